"""Target scoring pages. Owner keys: ``office`` (目标办) or a department's unit id. A scorer
reaches only their own department's owner key (anything else is 404); the office sees every
grid and scores the 目标办 indicators."""

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db, get_db
from app.models import Cycle, Unit
from app.models.report import REPORT_SECTIONS
from app.rubric.numbers import fmt
from app.security import allow
from app.services import ServiceError, StaleData, reports, schemes, scoring
from app.services.scoring import CellInput, CycleScoring, ImportRefused
from app.services.tasks import Task, task_provider
from app.sheets.safety import UnsafeWorkbook
from app.web.common import cycle_or_404, fail, posted_version, stage_state, to_current_cycle
from app.web.templating import add_nav

from . import bp
from .forms import ImportForm

add_nav("scorer", "目标考核评分", "scoring.index")
add_nav("office", "目标考核评分", "scoring.index")


def _owner_or_404(cycle: Cycle, key: str, *, edit: bool = False):
    """The owner if the person may see it (edit: may score it); 404 otherwise."""
    owner = scoring.owners(get_db(), cycle).get(key)
    mine = scoring.owner_keys_for(current_user)
    if owner is None:
        abort(404)
    if key not in mine and not (current_user.has("office") and not edit):
        abort(404)
    return owner


@bp.route("/")
@allow("scorer", "office")
def index():
    return to_current_cycle("scoring.cycle")


@bp.route("/cycles/<id:cycle_id>")
@allow("scorer", "office")
def cycle(cycle_id: int):
    dbs = get_db()
    cyc = cycle_or_404(cycle_id)
    ctx = CycleScoring(dbs, cyc)
    all_owners = scoring.owners(dbs, cyc)
    by_owner, by_unit = scoring.progress(dbs, cyc, ctx)
    mine = scoring.owner_keys_for(current_user)
    visible = {k: o for k, o in all_owners.items() if k in mine or current_user.has("office")}
    visible = {k: o for k, o in visible.items() if o.leaves}
    if len(visible) == 1 and not current_user.has("office"):
        return redirect(url_for("scoring.grid", cycle_id=cyc.id, key=next(iter(visible))))
    return render_template("scoring/cycle.html", cycle=cyc, owners=visible, mine=mine, by_owner=by_owner,
                           by_unit=by_unit, units=ctx.units, state=stage_state(cyc, "scoring"),
                           has_scheme=schemes.has_scheme(cyc))


@bp.route("/cycles/<id:cycle_id>/owners/<key>")
@allow("scorer", "office")
def grid(cycle_id: int, key: str):
    dbs = get_db()
    cyc = cycle_or_404(cycle_id)
    owner = _owner_or_404(cyc, key)
    ctx = CycleScoring(dbs, cyc)
    results = ctx.results()
    units = [u for u in ctx.units if any(ctx.applies(u.id, leaf.code) for leaf in owner.leaves)]
    submitted = {uid for uid, r in reports.reports_of_cycle(dbs, cyc.id).items() if r.ever_submitted}
    by_owner, _ = scoring.progress(dbs, cyc, ctx)
    return render_template("scoring/grid.html", cycle=cyc, owner=owner, units=units, ctx=ctx, results=results,
                           submitted=submitted, progress=by_owner.get(key), state=stage_state(cyc, "scoring"),
                           can_edit=key in scoring.owner_keys_for(current_user), import_form=ImportForm())


def _cell_input(form, leaf, unit_id: int) -> CellInput:
    fields = leaf.fact_fields + leaf.judgment_fields
    return CellInput(unit_id=unit_id, code=leaf.code,
                     values={f.name: form.get(f"f_{f.name}", "") for f in fields},
                     reasons={f.name: form.get(f"r_{f.name}", "") for f in leaf.fact_fields},
                     version=posted_version(form.get("version")), confirm=True)


@bp.route("/cycles/<id:cycle_id>/owners/<key>/units/<id:unit_id>/<code>", methods=["GET", "POST"])
@allow("scorer", "office")
def cell(cycle_id: int, key: str, unit_id: int, code: str):
    dbs = get_db()
    cyc = cycle_or_404(cycle_id)
    owner = _owner_or_404(cyc, key)
    ctx = CycleScoring(dbs, cyc)
    leaf = next((x for x in owner.leaves if x.code == code), None)
    unit = dbs.get(Unit, unit_id)
    if leaf is None or unit is None or not ctx.applies(unit_id, code):
        abort(404)
    can_edit = key in scoring.owner_keys_for(current_user)
    peers = [u for u in ctx.population.get(code, [])]
    idx = next(i for i, u in enumerate(peers) if u.id == unit_id)
    nxt = peers[idx + 1] if idx + 1 < len(peers) else None
    prev = peers[idx - 1] if idx > 0 else None
    posted = None
    if request.method == "POST":
        if not can_edit:
            abort(404)
        try:
            _entry, res, changed = scoring.save_cell(dbs, actor_id=current_user.id,
                                                     owner_keys=scoring.owner_keys_for(current_user), cycle=cyc,
                                                     cell=_cell_input(request.form, leaf, unit.id))
        except ServiceError as exc:
            fail(exc)
            posted = request.form
            ctx = CycleScoring(dbs, cyc)
            status = 409 if isinstance(exc, StaleData) else 422
            return _render_cell(cyc, owner, leaf, unit, ctx, prev, nxt, can_edit, posted), status
        message = f"已保存：{unit.name} · {leaf.name} 得 {fmt(res.points)} 分。" if changed else "已核实，无改动。"
        flash(message, "success")
        if request.form.get("action") == "next" and nxt is not None:
            return redirect(url_for("scoring.cell", cycle_id=cyc.id, key=key, unit_id=nxt.id, code=code))
        return redirect(url_for("scoring.cell", cycle_id=cyc.id, key=key, unit_id=unit.id, code=code))
    return _render_cell(cyc, owner, leaf, unit, ctx, prev, nxt, can_edit, posted)


def _render_cell(cyc, owner, leaf, unit, ctx, prev, nxt, can_edit, posted):
    dbs = get_db()
    report = reports.find_report(dbs, cyc.id, unit.id)
    entry_r = reports.entries_of(dbs, report).get(leaf.code) if report and report.ever_submitted else None
    evidence = [e for e in reports.evidence_of(dbs, report, submitted_only=True)
                if e.indicator_code in (leaf.code, None)] if report and report.ever_submitted else []
    entry = ctx.entries.get((unit.id, leaf.code))
    reported = ctx.reported_facts(unit.id, leaf.code)
    effective = ctx.effective(unit.id, leaf.code)
    result = ctx.results().get((unit.id, leaf.code))
    state = stage_state(cyc, "scoring")
    editable = can_edit and bool(state and state.is_open)
    return render_template("scoring/cell.html", cycle=cyc, owner=owner, leaf=leaf, unit=unit, report=report,
                           report_entry=entry_r, evidence=evidence, entry=entry, reported=reported,
                           effective=effective, result=result, prev=prev, nxt=nxt, editable=editable,
                           posted=posted, state=state, sections=REPORT_SECTIONS)


@bp.route("/cycles/<id:cycle_id>/owners/<key>/units/<id:unit_id>/<code>/preview", methods=["POST"])
@allow("scorer", "office")
def preview(cycle_id: int, key: str, unit_id: int, code: str):
    """JSON: the points and explanation the cell would get with the posted values (nothing saved)."""
    dbs = get_db()
    cyc = cycle_or_404(cycle_id)
    owner = _owner_or_404(cyc, key, edit=True)
    leaf = next((x for x in owner.leaves if x.code == code), None)
    if leaf is None:
        abort(404)
    try:
        res = scoring.preview(dbs, owner_keys=scoring.owner_keys_for(current_user), cycle=cyc,
                              cell=_cell_input(request.form, leaf, unit_id))
    except ServiceError as exc:
        db.rollback()
        return jsonify(ok=False, message=exc.message), 200
    return jsonify(ok=True, points=fmt(res.points), max=fmt(res.max_points), explanation=res.explanation,
                   status=res.status, provisional=res.provisional, error=res.error)


@bp.route("/cycles/<id:cycle_id>/owners/<key>/template.xlsx")
@allow("scorer", "office")
def template(cycle_id: int, key: str):
    from app.sheets.scoring import build_template

    dbs = get_db()
    cyc = cycle_or_404(cycle_id)
    owner = _owner_or_404(cyc, key, edit=True)
    data = build_template(CycleScoring(dbs, cyc), owner)
    from urllib.parse import quote

    name = f"评分模板_{cyc.name}_{owner.name}.xlsx"
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=scoring.xlsx; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/cycles/<id:cycle_id>/owners/<key>/import", methods=["POST"])
@allow("scorer", "office")
def import_template(cycle_id: int, key: str):
    from app.sheets.scoring import TemplateError, read_template

    dbs = get_db()
    cyc = cycle_or_404(cycle_id)
    _owner_or_404(cyc, key, edit=True)
    form = ImportForm()
    errors: list[str] = []
    if not form.validate_on_submit():
        errors = [e for errs in form.errors.values() for e in errs]
    else:
        try:
            cells = read_template(form.file.data.read(), cycle_id=cyc.id, owner_key=key)
            n = scoring.import_cells(dbs, actor_id=current_user.id, owner_keys=scoring.owner_keys_for(current_user),
                                     cycle=cyc, owner_key=key, cells=cells)
        except UnsafeWorkbook as exc:
            errors = [f"文件无法导入：{exc}"]
        except TemplateError as exc:
            errors = exc.errors
        except ImportRefused as exc:
            errors = exc.errors
        except ServiceError as exc:
            errors = [exc.message]
        else:
            flash(f"导入完成：更新了 {n} 项评分。" if n else "导入完成：没有需要更新的内容。", "success")
            return redirect(url_for("scoring.grid", cycle_id=cyc.id, key=key))
    db.rollback()
    return render_template("scoring/import_errors.html", cycle=cyc, key=key, errors=errors), 422


# ----------------------------------------------------------------------------- home tasks and reminders


@task_provider
def scoring_tasks(dbs, identity, cycle, timeline) -> list[Task]:
    if not identity.has("scorer"):
        return []
    state = next((s for st, s in timeline if st.kind == "scoring"), None)
    if state is None or not state.is_open:
        return []
    owners = scoring.owners(dbs, cycle)
    keys = [k for k in sorted(scoring.owner_keys_for(identity)) if k != scoring.OFFICE_KEY and k in owners]
    if not keys:
        return []
    by_owner, _ = scoring.progress(dbs, cycle)
    out = []
    for k in keys:
        p = by_owner.get(k)
        if p is None or p.total == 0:
            continue
        out.append(Task(title=f"{owners[k].name}负责指标的目标考核评分（已完成 {p.done}/{p.total}）",
                        detail=f"{cycle.name} · 目标考核评分", due=state.until, done=p.finished,
                        link=url_for("scoring.grid", cycle_id=cycle.id, key=k)))
    return out
