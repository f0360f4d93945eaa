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
from app.web.common import cycle_or_404, fail, posted_version, stage_state, to_current_cycle, url_maker
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
    components = _entered_components(cyc, mine)
    if len(visible) == 1 and not current_user.has("office") and not components:
        return redirect(url_for("scoring.grid", cycle_id=cyc.id, key=next(iter(visible))))
    return render_template("scoring/cycle.html", cycle=cyc, owners=visible, mine=mine, by_owner=by_owner,
                           by_unit=by_unit, units=ctx.units, state=stage_state(cyc, "scoring"),
                           has_scheme=schemes.has_scheme(cyc), components=components)


def _entered_components(cyc: Cycle, mine: set[str]) -> list[dict]:
    """The scheme's entered components the person may see (the office: all), each once, with progress."""
    from app.services import component_values

    dbs = get_db()
    out, seen = [], set()
    for e in component_values.entered_components(cyc):
        c = e.component
        if c.key in seen:
            continue
        seen.add(c.key)
        key = component_values.owner_key(dbs, c)
        if key not in mine and not current_user.has("office"):
            continue
        out.append({"key": c.key, "name": c.name, "owner": c.owner or "目标办", "mine": key in mine,
                    "done": len(component_values.values_of(dbs, cyc, c.key)),
                    "total": len(component_values.units_for(dbs, cyc, c.key))})
    return out


@bp.route("/cycles/<id:cycle_id>/owners/<key>")
@allow("scorer", "office")
def grid(cycle_id: int, key: str):
    dbs = get_db()
    cyc = cycle_or_404(cycle_id)
    owner = _owner_or_404(cyc, key)
    ctx = CycleScoring(dbs, cyc)
    units = [u for u in ctx.units if any(ctx.applies(u.id, leaf.code) for leaf in owner.leaves)]
    submitted = reports.submitted_units(dbs, cyc.id)
    by_owner, _ = scoring.progress(dbs, cyc, ctx, only=key)
    cell_url = {leaf.code: url_maker("scoring.cell", "unit_id", cycle_id=cyc.id, key=key, code=leaf.code)
                for leaf in owner.leaves}
    return render_template("scoring/grid.html", cycle=cyc, owner=owner, units=units, ctx=ctx, cell_url=cell_url,
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
    result = ctx.result(unit.id, leaf.code)
    state = stage_state(cyc, "scoring")
    editable = can_edit and bool(state and state.is_open)
    return render_template("scoring/cell.html", cycle=cyc, owner=owner, leaf=leaf, unit=unit, report=report,
                           report_entry=entry_r, evidence=evidence, entry=entry, reported=reported,
                           effective=effective, result=result, prev=prev, nxt=nxt, editable=editable,
                           posted=posted, state=state, sections=REPORT_SECTIONS)


# ----------------------------------------------------------------------------- a row or a column on one page


def _batch_cells(form, pairs) -> list[CellInput]:
    """The cells of a row or column page: fields ``f|unit|code|name``, reasons ``r|…``, versions ``v|unit|code``,
    the 核实 box ``c|unit|code``. Only the cells the page showed (``pairs``) are read."""
    out = []
    for unit, leaf in pairs:
        pre = f"{unit.id}|{leaf.code}|"
        if f"v|{pre[:-1]}" not in form:
            continue
        out.append(CellInput(unit_id=unit.id, code=leaf.code,
                             values={f.name: form.get(f"f|{pre}{f.name}", "")
                                     for f in leaf.fact_fields + leaf.judgment_fields},
                             reasons={f.name: form.get(f"r|{pre}{f.name}", "") for f in leaf.fact_fields},
                             version=posted_version(form.get(f"v|{pre[:-1]}")),
                             confirm=form.get(f"c|{pre[:-1]}") == "1"))
    return out


def _batch(cyc: Cycle, key: str, pairs, *, title: str, mode: str, back, ctx: CycleScoring | None = None):
    """A row (one unit, its indicators) or a column (one indicator, its units) of the grid on one page, saved
    all or nothing with the error of each refused cell shown beside it. ``ctx``: the cycle's scoring as the
    caller loaded it (read again after a post)."""
    dbs = get_db()
    owner = _owner_or_404(cyc, key)
    can_edit = key in scoring.owner_keys_for(current_user)
    state = stage_state(cyc, "scoring")
    posted, errors, status = None, {}, 200
    if request.method == "POST":
        if not can_edit:
            abort(404)
        try:
            n = scoring.save_cells(dbs, actor_id=current_user.id, owner_keys=scoring.owner_keys_for(current_user),
                                   cycle=cyc, owner_key=key, cells=_batch_cells(request.form, pairs))
        except scoring.BatchRefused as exc:
            db.rollback()  # the page says it beside each refused cell and above them
            posted, errors = request.form, exc.by_cell()
            status = 409 if any("已被他人修改" in m for m in errors.values()) else 422
        except ServiceError as exc:
            fail(exc)
            posted, status = request.form, 422
        else:
            flash(f"已保存 {n} 项评分。" if n else "已核实，无改动。", "success")
            return redirect(request.url)
    if ctx is None or request.method == "POST":
        ctx = CycleScoring(dbs, cyc)
    submitted = reports.submitted_units(dbs, cyc.id)
    rows = [{"unit": u, "leaf": leaf, "entry": ctx.entries.get((u.id, leaf.code)),
             "reported": ctx.reported_facts(u.id, leaf.code), "effective": ctx.effective(u.id, leaf.code),
             "result": ctx.result(u.id, leaf.code), "done": ctx.is_done(u.id, leaf.code),
             "error": errors.get((u.id, leaf.code)), "submitted": u.id in submitted} for u, leaf in pairs]
    return render_template("scoring/batch.html", cycle=cyc, owner=owner, rows=rows, title=title, mode=mode,
                           posted=posted, state=state, editable=can_edit and bool(state and state.is_open),
                           back=back, n_errors=len(errors)), status


@bp.route("/cycles/<id:cycle_id>/owners/<key>/units/<id:unit_id>", methods=["GET", "POST"])
@allow("scorer", "office")
def unit_row(cycle_id: int, key: str, unit_id: int):
    """One unit, every indicator of this owner that applies to it, on one page."""
    cyc = cycle_or_404(cycle_id)
    owner = _owner_or_404(cyc, key)
    ctx = CycleScoring(get_db(), cyc)
    unit = ctx.unit_by_id.get(unit_id)
    pairs = [(unit, leaf) for leaf in owner.leaves if unit is not None and ctx.applies(unit_id, leaf.code)]
    if not pairs:
        abort(404)
    return _batch(cyc, key, pairs, title=f"{unit.name} · {owner.name}负责的指标", mode="row",
                  back=url_for("scoring.grid", cycle_id=cyc.id, key=key), ctx=ctx)


@bp.route("/cycles/<id:cycle_id>/owners/<key>/indicators/<code>", methods=["GET", "POST"])
@allow("scorer", "office")
def indicator_column(cycle_id: int, key: str, code: str):
    """One indicator for every unit it applies to, on one page."""
    cyc = cycle_or_404(cycle_id)
    owner = _owner_or_404(cyc, key)
    leaf = next((x for x in owner.leaves if x.code == code), None)
    if leaf is None:
        abort(404)
    ctx = CycleScoring(get_db(), cyc)
    pairs = [(u, leaf) for u in ctx.population.get(code, [])]
    if not pairs:
        abort(404)
    return _batch(cyc, key, pairs, title=f"{leaf.code} {leaf.name} · 全部单位", mode="column",
                  back=url_for("scoring.grid", cycle_id=cyc.id, key=key), ctx=ctx)


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


# ----------------------------------------------------------------------------- entered components


def _component_or_404(cyc: Cycle, key: str, *, edit: bool = False):
    """The entered component ``key`` and its owner key, if the person may see it (edit: enter it)."""
    from app.services import component_values

    try:
        comp = component_values.component_of(cyc, key)
    except ServiceError:
        abort(404)
    owner = component_values.owner_key(get_db(), comp)
    mine = scoring.owner_keys_for(current_user)
    if owner not in mine and not (current_user.has("office") and not edit):
        abort(404)
    return comp, owner in mine


@bp.route("/cycles/<id:cycle_id>/components/<key>", methods=["GET", "POST"])
@allow("scorer", "office")
def component(cycle_id: int, key: str):
    from app.services import component_values

    dbs = get_db()
    cyc = cycle_or_404(cycle_id)
    comp, can_edit = _component_or_404(cyc, key)
    units = component_values.units_for(dbs, cyc, key)
    errors, posted = [], None
    if request.method == "POST":
        if not can_edit:
            abort(404)
        form = request.form
        rows = [component_values.ValueInput(unit_id=u.id, raw=form.get(f"v_{u.id}", ""),
                                            no_work=form.get(f"nw_{u.id}") == "1", note=form.get(f"n_{u.id}", ""),
                                            version=posted_version(form.get(f"ver_{u.id}")), where=u.name)
                for u in units if f"ver_{u.id}" in form]
        try:
            n = component_values.save_many(dbs, actor_id=current_user.id,
                                           owner_keys=scoring.owner_keys_for(current_user), cycle=cyc, key=key,
                                           rows=rows)
        except component_values.ValuesRefused as exc:
            db.rollback()
            errors, posted = exc.errors, form
        except ServiceError as exc:
            fail(exc)
            errors, posted = [exc.message], form
        else:
            flash(f"已保存「{comp.name}」{n} 个单位的数值。" if n else "没有改动。", "success")
            return redirect(url_for("scoring.component", cycle_id=cyc.id, key=key))
    state = stage_state(cyc, "scoring")
    current = component_values.values_of(dbs, cyc, key)
    return render_template("scoring/component.html", cycle=cyc, comp=comp, units=units, current=current,
                           editable=can_edit and bool(state and state.is_open), can_edit=can_edit, state=state,
                           errors=errors, posted=posted, import_form=ImportForm()), (422 if errors else 200)


@bp.route("/cycles/<id:cycle_id>/components/<key>/template.xlsx")
@allow("scorer", "office")
def component_template(cycle_id: int, key: str):
    from urllib.parse import quote

    from app.services import component_values
    from app.sheets.component_values import build_template

    dbs = get_db()
    cyc = cycle_or_404(cycle_id)
    comp, _ = _component_or_404(cyc, key, edit=True)
    data = build_template(cycle_id=cyc.id, cycle_name=cyc.name, comp=comp,
                          units=component_values.units_for(dbs, cyc, key),
                          current=component_values.values_of(dbs, cyc, key))
    name = f"录入模板_{cyc.name}_{comp.name}.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=values.xlsx; filename*=UTF-8''{quote(name)}",
                             "Cache-Control": "no-store"})


@bp.route("/cycles/<id:cycle_id>/components/<key>/import", methods=["POST"])
@allow("scorer", "office")
def component_import(cycle_id: int, key: str):
    from app.services import component_values
    from app.sheets.component_values import TemplateError, read_template

    dbs = get_db()
    cyc = cycle_or_404(cycle_id)
    comp, _ = _component_or_404(cyc, key, edit=True)
    form = ImportForm()
    errors: list[str] = []
    if not form.validate_on_submit():
        errors = [e for errs in form.errors.values() for e in errs]
    else:
        try:
            rows = [component_values.ValueInput(unit_id=uid, raw=raw, no_work=nw, note=note,
                                                where=f"「录入」表第 {r} 行 {'D' if nw else 'C'} 列")
                    for r, uid, raw, nw, note in read_template(form.file.data.read(), cycle_id=cyc.id, key=key)]
            n = component_values.save_many(dbs, actor_id=current_user.id,
                                           owner_keys=scoring.owner_keys_for(current_user), cycle=cyc, key=key,
                                           rows=rows)
        except UnsafeWorkbook as exc:
            errors = [f"文件无法导入：{exc}"]
        except TemplateError as exc:
            errors = exc.errors
        except component_values.ValuesRefused as exc:
            errors = exc.errors
        except ServiceError as exc:
            errors = [exc.message]
        else:
            flash(f"导入完成：「{comp.name}」更新了 {n} 个单位。" if n else "导入完成：没有需要更新的内容。", "success")
            return redirect(url_for("scoring.component", cycle_id=cyc.id, key=key))
    db.rollback()
    return render_template("scoring/component_import_errors.html", cycle=cyc, comp=comp, errors=errors), 422
