"""Self-report pages. Reporters edit their own unit's draft (autosaved with fetch, and a plain
save button that works without JavaScript); the office returns and publishes; published
reports are public at ``/public/cycles/<cycle_id>/reports/<unit_id>`` (``report.public_report``)."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db, get_db
from app.models import Cycle, Unit
from app.models.report import REPORT_SECTIONS, Evidence, SelfReport
from app.security import PUBLIC, SIGNED_IN, allow
from app.services import ServiceError, StaleData, evidence, files, reports, schemes
from app.services.tasks import Task, task_provider
from app.web.common import (
    BadInput,
    attempt,
    cycle_or_404,
    fail,
    flash_form_errors,
    get_or_404,
    parse_int,
    posted_version,
    stage_state,
    to_current_cycle,
)
from app.web.public.routes import PUBLIC_LINKS
from app.web.templating import add_nav

from . import bp
from .forms import EvidenceForm, ReturnForm, UnpublishForm
from .office_rows import office_rows

add_nav("reporter", "自查自评", "report.index")
add_nav("office", "自查报告", "report.index")
if ("各单位自查报告", "report.public_list") not in PUBLIC_LINKS:
    PUBLIC_LINKS.append(("各单位自查报告", "report.public_list"))


def _own_unit_or_404(unit_id: int) -> Unit:
    """A reporter reaches only the units they report for; anything else is 'not found'."""
    if not reports.may_edit(current_user, unit_id):
        abort(404)
    return get_or_404(Unit, unit_id)


def _display_value(field, value) -> str:
    if value in (None, ""):
        return ""
    if value is True:
        return "是"
    if value is False:
        return "否"
    return f"{value}{field.unit or ''}" if field.unit and field.unit != "%" else (
        f"{value}%" if field.unit == "%" else str(value))


def report_items(dbs, cycle: Cycle, unit: Unit, report: SelfReport | None, *, snapshot: bool) -> list[dict]:
    """What a report shows per indicator: the submitted snapshot (``snapshot``) or the draft."""
    entries = reports.entries_of(dbs, report)
    evs = reports.evidence_of(dbs, report, submitted_only=snapshot)
    by_code: dict[str | None, list[Evidence]] = {}
    for ev in evs:
        by_code.setdefault(ev.indicator_code, []).append(ev)
    items = []
    for leaf in reports.leaves_for_unit(cycle, unit):
        e = entries.get(leaf.code)
        facts = (e.submitted_facts if snapshot else e.facts) if e else {}
        narrative = (e.submitted_narrative if snapshot else e.narrative) if e else ""
        items.append({
            "leaf": leaf, "entry": e, "facts": facts or {}, "narrative": narrative or "",
            "shown": [(f.label, _display_value(f, (facts or {}).get(f.name))) for f in leaf.fact_fields],
            "evidence": by_code.get(leaf.code, []),
            "section": reports.section_of(leaf), "complete": reports.entry_complete(leaf, e),
        })
    return items, by_code.get(None, [])


def is_complete(item: dict) -> bool:
    """An indicator is complete when every required fact is filled, or, having no facts, it is explained."""
    fields = item["leaf"].fact_fields
    if not fields:
        return bool(item["narrative"].strip())
    return all(item["facts"].get(f.name) not in (None, "") for f in fields if f.required)


def indicator_sections(items: list[dict]) -> list[dict]:
    """The indicators grouped by their first two group levels (e.g. 院部目标考核基础指标 › 教学工作), in
    scheme order, each with how many of its indicators are complete: the editor's section navigation."""
    out: list[dict] = []
    for it in items:
        path = tuple(it["leaf"].path[:2])
        if not out or out[-1]["path"] != path:
            out.append({"path": path, "top": path[0] if path else "", "name": path[-1] if path else "其他指标",
                        "indicators": [], "done": 0, "id": f"sec-{len(out) + 1}"})
        it["complete"] = is_complete(it)
        out[-1]["indicators"].append(it)
        out[-1]["done"] += int(it["complete"])
    return out


# ----------------------------------------------------------------------------- reporter


@bp.route("/report/")
@allow("reporter", "office")
def index():
    return to_current_cycle("report.mine" if current_user.has("reporter") else "report.office_list")


@bp.route("/report/cycles/<id:cycle_id>")
@allow("reporter")
def mine(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    unit_ids = sorted(current_user.units_for("reporter"))
    if len(unit_ids) == 1:
        return redirect(url_for("report.edit", cycle_id=cycle.id, unit_id=unit_ids[0]))
    units = [dbs.get(Unit, uid) for uid in unit_ids]
    rs = reports.reports_of_cycle(dbs, cycle.id)
    return render_template("report/mine.html", cycle=cycle, units=[u for u in units if u], reports=rs)


def _entries_from_form(form, leaves) -> dict:
    out = {}
    for leaf in leaves:
        if f"v_{leaf.code}" not in form:
            continue
        out[leaf.code] = {
            "facts": {f.name: form.get(f"f_{leaf.code}_{f.name}", "") for f in leaf.fact_fields},
            "narrative": form.get(f"n_{leaf.code}", ""),
            "version": posted_version(form.get(f"v_{leaf.code}")),
        }
    return out


@bp.route("/report/cycles/<id:cycle_id>/units/<id:unit_id>", methods=["GET", "POST"])
@allow("reporter")
def edit(cycle_id: int, unit_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    unit = _own_unit_or_404(unit_id)
    allowed = current_user.units_for("reporter")
    if request.method == "POST":
        leaves = reports.leaves_for_unit(cycle, unit)
        texts = {k: request.form.get(f"t_{k}", "") for k in REPORT_SECTIONS if f"t_{k}" in request.form}
        try:
            versions = reports.save_draft(
                dbs,
                actor_id=current_user.id,
                allowed_units=allowed,
                cycle=cycle,
                unit=unit,
                texts=texts,
                report_version=posted_version(request.form.get("v_report")),
                entries=_entries_from_form(request.form, leaves),
            )
            if request.form.get("action") == "submit":
                reports.submit(dbs, actor_id=current_user.id, allowed_units=allowed, cycle=cycle, unit=unit,
                               expected_version=versions["report"])
                missing = reports.missing_facts(dbs, cycle, unit, reports.find_report(dbs, cycle.id, unit.id))
                flash("自查报告已提交。" + (f"提示：有 {len(missing)} 项指标的数据未填写完整，评分部门将据实核定。"
                                           if missing else ""), "success")
            else:
                flash("草稿已保存。", "success")
        except ServiceError as exc:
            fail(exc)
            if isinstance(exc, StaleData):
                return render_page(cycle, unit, posted=request.form), 409
        return redirect(url_for("report.edit", cycle_id=cycle.id, unit_id=unit.id))
    return render_page(cycle, unit)


def render_page(cycle: Cycle, unit: Unit, posted=None):
    dbs = get_db()
    report = reports.find_report(dbs, cycle.id, unit.id)
    items, general_evidence = report_items(dbs, cycle, unit, report, snapshot=False)
    state = stage_state(cycle, "self_report")
    editable = bool(state and state.is_open) and (report is None or report.status != "submitted")
    from app.services.rectification import previous_plan
    from app.services.scoring import corrections_for_unit

    corrections = {leaf.code: e for leaf, e in corrections_for_unit(dbs, cycle, unit.id)}
    previous = previous_plan(dbs, cycle, unit.id)
    sections = {k: v for k, v in REPORT_SECTIONS.items() if k != "rectification" or previous}
    return render_template("report/edit.html", cycle=cycle, unit=unit, report=report, items=items,
                           isections=indicator_sections(items),
                           general_evidence=general_evidence, sections=sections, state=state, previous=previous,
                           editable=editable, corrections=corrections, posted=posted,
                           evidence_form=EvidenceForm(), allowed_types=files.ALLOWED_TYPES,
                           max_mb=files.max_bytes() // (1024 * 1024),
                           has_scheme=schemes.has_scheme(cycle))


@bp.route("/report/cycles/<id:cycle_id>/units/<id:unit_id>/autosave", methods=["POST"])
@allow("reporter")
def autosave(cycle_id: int, unit_id: int):
    """JSON: {"texts": {...}, "version": n} or {"code": "...", "facts": {...}, "narrative": "...", "version": n}."""
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    unit = _own_unit_or_404(unit_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(ok=False, message="请求内容应为一个 JSON 对象。"), 400
    try:
        if "texts" in data:
            versions = reports.save_draft(
                dbs,
                actor_id=current_user.id,
                allowed_units=current_user.units_for("reporter"),
                cycle=cycle,
                unit=unit,
                texts=dict(data["texts"] or {}),
                report_version=posted_version(data.get("version")),
            )
        elif data.get("code"):
            versions = reports.save_draft(
                dbs,
                actor_id=current_user.id,
                allowed_units=current_user.units_for("reporter"),
                cycle=cycle,
                unit=unit,
                entries={
                    str(data["code"]): {
                        "facts": dict(data.get("facts") or {}),
                        "narrative": data.get("narrative") or "",
                        "version": posted_version(data.get("version")),
                    }
                },
            )
        else:
            return jsonify(ok=False, message="请求内容不完整。"), 400
    except (TypeError, ValueError, AttributeError):
        db.rollback()
        return jsonify(ok=False, message="请求内容不完整。"), 400
    except BadInput as exc:
        db.rollback()
        return jsonify(ok=False, message=exc.description), 400
    except ServiceError as exc:
        db.rollback()
        return jsonify(ok=False, message=exc.message, stale=isinstance(exc, StaleData)), 409
    return jsonify(ok=True, versions=versions)


@bp.route("/report/cycles/<id:cycle_id>/units/<id:unit_id>/evidence", methods=["POST"])
@allow("reporter")
def evidence_add(cycle_id: int, unit_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    unit = _own_unit_or_404(unit_id)
    form = EvidenceForm()
    back = url_for("report.edit", cycle_id=cycle.id, unit_id=unit.id) + (
        f"#ind-{form.code.data}" if form.code.data else "#general")
    if not form.validate_on_submit():
        flash_form_errors(form, "表单无效。")
        return redirect(back)
    upload = request.files.get("file")
    kw = dict(actor_id=current_user.id, allowed_units=current_user.units_for("reporter"), cycle=cycle, unit=unit,
              indicator_code=form.code.data, title=form.title.data or "")
    try:
        if upload is not None and upload.filename:
            ev = evidence.add_file(dbs, **kw, filename=upload.filename, stream=upload.stream)
        elif (form.url.data or "").strip():
            ev = evidence.add_link(dbs, **kw, url=form.url.data)
        else:
            raise ServiceError("请选择文件或填写链接。")
    except ServiceError as exc:
        fail(exc)
    else:
        flash(f"已添加佐证材料「{ev.title}」。", "success")
    return redirect(back)


@bp.route("/report/cycles/<id:cycle_id>/units/<id:unit_id>/evidence/<id:evidence_id>/delete", methods=["POST"])
@allow("reporter")
def evidence_delete(cycle_id: int, unit_id: int, evidence_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    unit = _own_unit_or_404(unit_id)
    ev = get_or_404(Evidence, evidence_id)
    code = ev.indicator_code
    attempt(
        evidence.remove,
        dbs,
        actor_id=current_user.id,
        allowed_units=current_user.units_for("reporter"),
        cycle=cycle,
        unit=unit,
        evidence=ev,
        ok="已删除佐证材料。",
    )
    anchor = f"#ind-{code}" if code else "#general"
    return redirect(url_for("report.edit", cycle_id=cycle.id, unit_id=unit.id) + anchor)


@bp.route("/report/evidence/<id:evidence_id>")
@allow(SIGNED_IN)
def evidence_download(evidence_id: int):
    dbs = get_db()
    ev = dbs.get(Evidence, evidence_id)
    report = dbs.get(SelfReport, ev.report_id) if ev else None
    if ev is None or report is None or not evidence.may_download(current_user, ev, report):
        abort(404)
    if ev.kind == "link":
        return redirect(ev.url)
    return files.open_for_download(evidence.SUBDIR, ev.stored_name, ev.original_name or f"evidence.{ev.file_type}")


@bp.route("/report/cycles/<id:cycle_id>/units/<id:unit_id>/view")
@allow("reporter", "office", "scorer", "leader", "group")
def view(cycle_id: int, unit_id: int):
    """The submitted report (printable on A4). The unit's own reporters see it too."""
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    unit = get_or_404(Unit, unit_id)
    if not reports.may_read_submitted(current_user, unit.id):
        abort(404)
    report = reports.find_report(dbs, cycle.id, unit.id)
    if report is None or not report.ever_submitted:
        if reports.may_edit(current_user, unit.id):
            flash("报告尚未提交；以下为提交后他人看到的样式。", "info")
        else:
            return render_template("report/not_submitted.html", cycle=cycle, unit=unit), 404
    items, general = report_items(dbs, cycle, unit, report, snapshot=True)
    return render_template("report/view.html", cycle=cycle, unit=unit, report=report, items=items,
                           general_evidence=general, sections=REPORT_SECTIONS, public=False,
                           texts=(report.submitted_texts if report else {}) or {})


# ----------------------------------------------------------------------------- office


@bp.route("/report/office/cycles/<id:cycle_id>")
@allow("office")
def office_list(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    from app.services.org import active_units

    units = active_units(dbs)
    rs = reports.reports_of_cycle(dbs, cycle.id, without_texts=True)
    counts = {"submitted": sum(1 for r in rs.values() if r.status == "submitted"),
              "published": sum(1 for r in rs.values() if r.published_at)}
    filled = reports.completeness_of_units(dbs, cycle, units, rs)
    return render_template(
        "report/office_list.html",
        cycle=cycle,
        units=units,
        reports=rs,
        counts=counts,
        rows=office_rows(cycle.id, units, rs, filled),
        state=stage_state(cycle, "self_report"),
        return_form=ReturnForm(),
        unpublish_form=UnpublishForm(),
    )


def _office_report(cycle_id: int, unit_id: int) -> SelfReport:
    report = reports.find_report(get_db(), cycle_id, unit_id)
    if report is None:
        abort(404)
    return report


@bp.route("/report/office/cycles/<id:cycle_id>/units/<id:unit_id>/return", methods=["POST"])
@allow("office")
def return_report(cycle_id: int, unit_id: int):
    report = _office_report(cycle_id, unit_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        attempt(reports.return_report, get_db(), actor_id=current_user.id, report=report, comment=form.comment.data,
                expected_version=posted_version(form.version.data), ok="已退回修改，单位将看到您的意见。")
    return redirect(url_for("report.office_list", cycle_id=cycle_id))


@bp.route("/report/office/cycles/<id:cycle_id>/units/<id:unit_id>/publish", methods=["POST"])
@allow("office")
def publish(cycle_id: int, unit_id: int):
    report = _office_report(cycle_id, unit_id)
    attempt(reports.publish, get_db(), actor_id=current_user.id, report=report,
            expected_version=parse_int(request.form.get("version")), ok="已在校内公示。")
    return redirect(url_for("report.office_list", cycle_id=cycle_id))


@bp.route("/report/office/cycles/<id:cycle_id>/publish-all", methods=["POST"])
@allow("office")
def publish_all(cycle_id: int):
    dbs = get_db()
    cycle_or_404(cycle_id)
    n = 0
    for report in reports.reports_of_cycle(dbs, cycle_id).values():
        if report.status == "submitted" and report.published_at is None:
            n += int(reports.publish(dbs, actor_id=current_user.id, report=report))
    flash(f"已公示 {n} 份报告。" if n else "没有待公示的已提交报告。", "success" if n else "info")
    return redirect(url_for("report.office_list", cycle_id=cycle_id))


@bp.route("/report/office/cycles/<id:cycle_id>/units/<id:unit_id>/unpublish", methods=["POST"])
@allow("office")
def unpublish(cycle_id: int, unit_id: int):
    report = _office_report(cycle_id, unit_id)
    form = UnpublishForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        attempt(
            reports.unpublish,
            get_db(),
            actor_id=current_user.id,
            report=report,
            reason=form.reason.data,
            expected_version=parse_int(form.version.data),
            ok="已撤回公示。",
        )
    return redirect(url_for("report.office_list", cycle_id=cycle_id))


# ----------------------------------------------------------------------------- public


@bp.route("/public/cycles/<id:cycle_id>/reports")
@allow(PUBLIC)
def public_list(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    rs = [r for r in reports.reports_of_cycle(dbs, cycle.id).values() if r.published_at]
    units = {u.id: u for u in (dbs.get(Unit, r.unit_id) for r in rs) if u}
    rs.sort(key=lambda r: (units[r.unit_id].category, units[r.unit_id].position, r.unit_id))
    return render_template("report/public_list.html", cycle=cycle, reports=rs, units=units)


@bp.route("/public/cycles/<id:cycle_id>/reports/<id:unit_id>")
@allow(PUBLIC)
def public_report(cycle_id: int, unit_id: int):
    """A published report, at a stable address (the democratic ballot links here)."""
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    unit = get_or_404(Unit, unit_id)
    report = reports.find_report(dbs, cycle.id, unit.id)
    if report is None or report.published_at is None:
        abort(404)
    items, general = report_items(dbs, cycle, unit, report, snapshot=True)
    return render_template("report/view.html", cycle=cycle, unit=unit, report=report, items=items,
                           general_evidence=general, sections=REPORT_SECTIONS, public=True,
                           texts=report.submitted_texts or {})


# ----------------------------------------------------------------------------- home tasks and reminders


@task_provider
def report_tasks(dbs, identity, cycle, timeline) -> list[Task]:
    if not identity.has("reporter"):
        return []
    state = next((s for st, s in timeline if st.kind == "self_report"), None)
    if state is None or state.status in ("planned", "unscheduled"):
        return []
    out = []
    rs = reports.reports_of_cycle(dbs, cycle.id)
    for uid in sorted(identity.units_for("reporter")):
        unit = dbs.get(Unit, uid)
        if unit is None:
            continue
        r = rs.get(uid)
        done = bool(r and r.status == "submitted")
        if r and r.status == "returned":
            title, detail = f"修改并重新提交{unit.name}自查报告（已退回）", f"目标办意见：{r.return_comment or ''}"
        elif done:
            title, detail = f"{unit.name}自查报告已提交", "提交于 " + (r.submitted_at.strftime("%Y-%m-%d") if r else "")
        else:
            title, detail = f"填写并提交{unit.name}自查自评报告", f"{cycle.name} · 自查自评"
        if not state.is_open and not done:
            detail += "（阶段已结束）"
        out.append(Task(title=title, detail=detail, due=state.until, done=done,
                        urgent=bool(r and r.status == "returned"),
                        link=url_for("report.edit", cycle_id=cycle.id, unit_id=uid)))
    return out
