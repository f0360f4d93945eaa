"""Target-table pages (绩效目标表).

Units (reporters bound to a unit): their tables, the actuals of each checkpoint with evidence,
progress, the year-end problems and fixes. The office: upload with a row-by-row preview (the dry
run; the file waits under UPLOAD_FOLDER/targets/pending keyed by a random token kept in the
session, and saving re-reads exactly that file), tables of all units, who is behind, checkpoints,
exports, year-end scores and grades, and the printable year-end report.
"""

import io
import os
import secrets
import time
from datetime import date

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user

from app.extensions import db, get_db
from app.models import Unit
from app.models.targets import TargetEvidence, TargetTableRecord
from app.rubric.targets import CHECKPOINT_LABELS, CHECKPOINTS, STATUS_LABELS
from app.security import allow
from app.services import ServiceError, StaleData, files, org
from app.services import target_history as hist
from app.services import target_overview as ov
from app.services import target_projects as psvc
from app.services import target_reports as ysvc
from app.services import targets as svc
from app.services.tasks import Task, task_provider
from app.timefmt import from_local
from app.web.common import attempt, fail, get_or_404, int_arg, local_naive, parse_int, posted_version
from app.web.templating import add_nav

from . import bp
from .forms import BudgetForm, CheckpointForm, ConfirmForm, CsrfForm, EvidenceForm, UploadForm
from .kept import download, fragments, render_part

add_nav("reporter", "绩效目标", "targets.index")
add_nav("office", "绩效目标表", "targets.office")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PENDING_MAX_AGE = 24 * 3600


def _table_or_404(table_id: int) -> TargetTableRecord:
    rec = get_db().get(TargetTableRecord, table_id)
    if rec is None or not svc.may_view(current_user, rec):
        abort(404)  # a reporter never learns whether another unit's table exists
    return rec


def _kind_or_404(kind: str) -> str:
    if kind not in CHECKPOINTS:
        abort(404)
    return kind


def _year_arg(default_years: list[int]) -> int:
    y = parse_int(request.args.get("year"))
    if y and 2000 <= y <= 2100:
        return y
    return default_years[0] if default_years else date.today().year


def _ctx(rec: TargetTableRecord) -> dict:
    dbs = get_db()
    return {"rec": rec, "unit": dbs.get(Unit, rec.unit_id), "table": svc.table_of(rec),
            "checkpoints": {k: svc.checkpoint(dbs, rec.year, k) for k in CHECKPOINTS},
            "CHECKPOINT_LABELS": CHECKPOINT_LABELS, "STATUS_LABELS": STATUS_LABELS,
            "may_report": svc.may_report(current_user, rec), "settings": svc.settings_of(rec)}


def _active_units() -> list[Unit]:
    """The active units by position (across categories), as the target tables list them."""
    return sorted(org.active_units(get_db()), key=lambda u: (u.position, u.id))


def _xlsx(data: bytes, name: str):
    resp = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# ---------------------------------------------------------------- both audiences
@bp.route("/")
@allow("reporter", "office")
def index():
    if current_user.has("office") and not current_user.units_for("reporter"):
        return redirect(url_for("targets.office"))
    units = current_user.units_for("reporter")
    return _tables_page(svc.tables_of(get_db(), unit_ids=units), units, "本单位绩效目标")


@bp.route("/units/<id:unit_id>/<id:year>")
@allow("reporter", "office")
def index_unit(unit_id: int, year: int):
    """One unit's tables of a year: its own table and its projects, each with its money."""
    if not current_user.has("office") and unit_id not in current_user.units_for("reporter"):
        abort(404)
    unit = get_or_404(Unit, unit_id)
    return _tables_page(svc.tables_of(get_db(), year=year, unit_ids=[unit_id]), {unit_id},
                        f"{unit.name} {year} 年度绩效目标（含项目）")


def _tables_page(recs: list[TargetTableRecord], units, heading: str):
    dbs = get_db()
    unit_names = {u.id: u.name for u in (dbs.get(Unit, i) for i in units) if u}
    rows = []
    for rec in recs:
        reps = {k: svc.progress(dbs, rec, k) for k in CHECKPOINTS}
        cps = {k: svc.checkpoint(dbs, rec.year, k) for k in CHECKPOINTS}
        rows.append((rec, reps, cps, psvc.money_of(rec)))
    project_years = sorted({(r.unit_id, r.year) for r in recs if r.project}, key=lambda k: (-k[1], k[0]))
    return render_template("targets/index.html", rows=rows, unit_names=unit_names, heading=heading,
                           project_years=project_years, CHECKPOINT_LABELS=CHECKPOINT_LABELS)


@bp.route("/tables/<id:table_id>")
@allow("reporter", "office")
def table(table_id: int):
    dbs = get_db()
    rec = _table_or_404(table_id)
    reports = {k: svc.progress(dbs, rec, k) for k in CHECKPOINTS}
    actuals = svc.actuals_of(dbs, rec.id)
    evidence = svc.evidence_of(dbs, rec.id)
    budget_form = BudgetForm()  # after a refused save (POST): what was typed
    if request.method == "GET":
        budget_form.version.data = rec.version
        for k, v in (rec.budget or {}).items():
            if k in budget_form:
                budget_form[k].data = v
    return render_template("targets/table.html", reports=reports, actuals=actuals, evidence=evidence,
                           prev_rec=hist.previous_table(dbs, rec), previous=hist.previous_year(dbs, rec),
                           money=psvc.money_of(rec), budget_form=budget_form,
                           budget_editable=_budget_editable(rec), **_ctx(rec))


def _budget_editable(rec: TargetTableRecord) -> bool:
    if current_user.has("office"):
        return True
    dbs = get_db()
    return (svc.may_report(current_user, rec) and rec.report_status not in ("submitted", "accepted")
            and any((cp := svc.checkpoint(dbs, rec.year, k)) is not None and cp.is_open for k in CHECKPOINTS))


@bp.route("/tables/<id:table_id>/budget", methods=["POST"])
@allow("reporter", "office")
def budget(table_id: int):
    rec = _table_or_404(table_id)
    form = BudgetForm()
    if not form.validate_on_submit():
        flash("金额过长或页面已过期，请刷新后重新填写。", "error")
        return redirect(url_for("targets.table", table_id=rec.id) + "#money")
    figures = {k: form[k].data or "" for k in ("start", "full", "half_plan", "half_spent", "spent")}
    try:
        psvc.save_budget(get_db(), actor_id=current_user.id, identity=current_user, rec=rec, budget=figures,
                         expected_version=posted_version(form.version.data))
    except StaleData as exc:
        fail(exc)
    except ServiceError as exc:
        fail(exc)
        return table(table_id)  # the page again, with what was typed
    else:
        flash("已保存项目资金。" if rec.project else "已保存预算资金。", "success")
    return redirect(url_for("targets.table", table_id=rec.id) + "#money")


@bp.route("/units/<id:unit_id>/<id:year>/projects.xlsx")
@allow("reporter", "office")
def projects_export(unit_id: int, year: int):
    """The unit's project tables of a year, one sheet each, and the 项目资金 sheet."""
    if not current_user.has("office") and unit_id not in current_user.units_for("reporter"):
        abort(404)
    unit = get_or_404(Unit, unit_id)
    try:
        data = psvc.projects_workbook(get_db(), unit, year)
    except ServiceError:
        abort(404)
    return _xlsx(data, f"{unit.name}{year}年度项目绩效目标表.xlsx")


@bp.route("/tables/<id:table_id>/fill/<kind>", methods=["GET", "POST"])
@allow("reporter")
def fill(table_id: int, kind: str):
    dbs = get_db()
    rec = _table_or_404(table_id)
    kind = _kind_or_404(kind)
    if not svc.may_report(current_user, rec):
        abort(404)
    form = CsrfForm()
    posted = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("页面已过期，请刷新后重新提交。", "error")
            return redirect(url_for("targets.fill", table_id=rec.id, kind=kind))
        entries = []
        for row in svc.table_of(rec).rows:
            p = row.position
            if f"a{p}_v" not in request.form:
                continue
            version = parse_int(request.form.get(f"a{p}_v") or "0")
            version = -1 if version is None else version
            text = request.form.get(f"a{p}_text", "")
            note = request.form.get(f"a{p}_note", "")
            posted[p] = (text, note)
            entries.append(svc.ActualInput(position=p, text=text, note=note, expected_version=version))
        try:
            n = svc.save_actuals(dbs, actor_id=current_user.id, allowed_units=current_user.units_for("reporter"),
                                 rec=rec, kind=kind, entries=entries)
        except StaleData as exc:
            fail(exc)
            return redirect(url_for("targets.fill", table_id=rec.id, kind=kind))
        except ServiceError as exc:
            fail(exc)  # keep what was typed on the page
        else:
            flash(f"已保存 {n} 项{CHECKPOINT_LABELS[kind]}实际值。" if n else "没有需要保存的修改。", "success")
            return redirect(url_for("targets.fill", table_id=rec.id, kind=kind))
    report = svc.progress(dbs, rec, kind)
    actuals = svc.actuals_of(dbs, rec.id, kind)
    cp = svc.checkpoint(dbs, rec.year, kind)
    return render_template("targets/fill.html", kind=kind, report=report, actuals=actuals, form=form,
                           posted=posted, cp=cp, evidence=svc.evidence_of(dbs, rec.id),
                           row_sections=_row_sections(svc.table_of(rec), report.rows, actuals, kind),
                           ev_form=EvidenceForm(), del_form=CsrfForm(), **_ctx(rec))


def _row_sections(table, rows, actuals, kind) -> list[dict]:
    """The rows grouped under their first two levels (一级 › 二级指标), each with how many have an actual:
    the sections and per-section progress of a long table's fill page."""
    out: list[dict] = []
    for r in rows:
        row = table.row(r.position)
        key = tuple(x for x in (row.level1, row.level2) if x)
        if not out or out[-1]["key"] != key:
            out.append({"key": key, "name": " › ".join(key) or "其他指标", "rows": [], "filled": 0,
                        "id": f"tsec-{len(out) + 1}"})
        out[-1]["rows"].append(r)
        out[-1]["filled"] += int((r.position, kind) in actuals)
    return out


@bp.route("/tables/<id:table_id>/fill/<kind>/autosave", methods=["POST"])
@allow("reporter")
def fill_autosave(table_id: int, kind: str):
    """JSON ``{"position": p, "text": "...", "note": "...", "version": n}``: save one row's actual shortly
    after typing (the same checks as the page's save button); answers the row's new version."""
    dbs = get_db()
    rec = _table_or_404(table_id)
    kind = _kind_or_404(kind)
    if not svc.may_report(current_user, rec):
        abort(404)
    data = request.get_json(silent=True)
    try:
        position, version = int(data["position"]), int(data.get("version") or 0)
        entry = svc.ActualInput(position=position, text=str(data.get("text") or ""), note=str(data.get("note") or ""),
                                expected_version=version)
    except (TypeError, ValueError, KeyError):
        return jsonify(ok=False, message="请求内容不完整。"), 400
    try:
        svc.save_actuals(dbs, actor_id=current_user.id, allowed_units=current_user.units_for("reporter"), rec=rec,
                         kind=kind, entries=[entry])
    except ServiceError as exc:
        db.rollback()
        return jsonify(ok=False, message=exc.message, stale=isinstance(exc, StaleData)), 409
    have = svc.actuals_of(dbs, rec.id, kind).get((position, kind))
    return jsonify(ok=True, version=have.version if have else 0, filled=have is not None)


@bp.route("/tables/<id:table_id>/evidence/<kind>/<id:position>", methods=["POST"])
@allow("reporter")
def evidence_add(table_id: int, kind: str, position: int):
    dbs = get_db()
    rec = _table_or_404(table_id)
    kind = _kind_or_404(kind)
    if not svc.may_report(current_user, rec):
        abort(404)
    form = EvidenceForm()
    back = url_for("targets.fill", table_id=rec.id, kind=kind) + f"#row-{position}"
    if not form.validate_on_submit():
        flash("材料名称或链接过长，或页面已过期。", "error")
        return redirect(back)
    upload = request.files.get("file")
    units = current_user.units_for("reporter")
    try:
        if upload and upload.filename:
            svc.add_evidence_file(dbs, actor_id=current_user.id, allowed_units=units, rec=rec, position=position,
                                  kind=kind, title=form.title.data, filename=upload.filename, stream=upload.stream)
        elif (form.url.data or "").strip():
            svc.add_evidence_link(dbs, actor_id=current_user.id, allowed_units=units, rec=rec, position=position,
                                  kind=kind, title=form.title.data, url=form.url.data)
        else:
            raise ServiceError("请选择文件或填写链接。")
    except ServiceError as exc:
        fail(exc)
    else:
        flash("已添加佐证材料。", "success")
    return redirect(back)


@bp.route("/evidence/<id:evidence_id>/delete", methods=["POST"])
@allow("reporter")
def evidence_delete(evidence_id: int):
    dbs = get_db()
    ev = get_or_404(TargetEvidence, evidence_id)
    rec = _table_or_404(ev.table_id)
    if not svc.may_report(current_user, rec) or not CsrfForm().validate_on_submit():
        abort(404)
    kind, position = ev.checkpoint, ev.position
    attempt(svc.remove_evidence, dbs, actor_id=current_user.id, allowed_units=current_user.units_for("reporter"),
            rec=rec, ev=ev, ok="已删除佐证材料。")
    return redirect(url_for("targets.fill", table_id=rec.id, kind=kind) + f"#row-{position}")


@bp.route("/evidence/<id:evidence_id>")
@allow("reporter", "office")
def evidence_download(evidence_id: int):
    ev = get_or_404(TargetEvidence, evidence_id)
    _table_or_404(ev.table_id)
    if ev.kind == "link":
        return redirect(ev.url)
    return files.open_for_download(svc.EVIDENCE_SUBDIR, ev.stored_name,
                                   ev.original_name or f"evidence.{ev.file_type}")


@bp.route("/tables/<id:table_id>/export.xlsx")
@allow("reporter", "office")
def export(table_id: int):
    rec = _table_or_404(table_id)
    unit = get_db().get(Unit, rec.unit_id)
    data = download("export.xlsx", rec.id, ov.key_of(rec, unit), lambda: svc.export_workbook(rec))
    return _xlsx(data, f"{svc.label_of(rec, unit)}绩效目标表.xlsx".replace(" ", ""))


# ---------------------------------------------------------------- the office
@bp.route("/office")
@allow("office")
def office():
    dbs = get_db()
    ys = svc.years(dbs)
    year = _year_arg(ys)
    entries = ov.entries(dbs, year)

    def render(items):  # the rows of the tables changed since their row was kept
        out = {}
        for s in ov.standings(dbs, items):
            sc = None
            if s.counts("full_year")["missing"] < len(s.reports["full_year"].rows):
                sc = ysvc.year_end_score(dbs, s.rec, table=s.table, values=s.values["full_year"])
            out[s.rec.id] = render_part("targets/_office_row.html", s=s, sc=sc)
        return out

    rows = fragments("office", entries, render)
    have = {e.unit.id for e in entries}
    without = [u for u in _active_units() if u.id not in have]
    cps = {k: svc.checkpoint(dbs, year, k) for k in CHECKPOINTS}
    forms = {}
    for k in CHECKPOINTS:
        f = CheckpointForm(prefix=k)
        cp = cps[k]
        f.year.data, f.kind.data, f.version.data = year, k, cp.version if cp else 0
        f.due_at.data = local_naive(cp.due_at) if cp else None
        forms[k] = f
    return render_template("targets/office.html", year=year, years=sorted(set(ys) | {year}, reverse=True),
                           rows=rows, without=without, cps=cps, forms=forms,
                           CHECKPOINT_LABELS=CHECKPOINT_LABELS)


@bp.route("/office/checkpoints/<kind>", methods=["POST"])
@allow("office")
def checkpoint_set(kind: str):
    dbs = get_db()
    kind = _kind_or_404(kind)
    form = CheckpointForm(prefix=kind)
    try:
        year = int(form.year.data or 0)
    except ValueError:
        abort(400)
    if not form.validate_on_submit() or not 2000 <= year <= 2100:
        flash("时间格式不正确或页面已过期。", "error")
        return redirect(url_for("targets.office", year=year or None))
    action = request.form.get(f"{kind}-action")
    if action not in ("open", "close"):
        abort(400)
    attempt(
        svc.set_checkpoint,
        dbs,
        actor_id=current_user.id,
        year=year,
        kind=kind,
        status="open" if action == "open" else "closed",
        due_at=from_local(form.due_at.data),
        expected_version=posted_version(form.version.data),
        ok=f"{year} 年{CHECKPOINT_LABELS[kind]}实际值填报已{'开放' if action == 'open' else '截止'}。",
    )
    return redirect(url_for("targets.office", year=year))


@bp.route("/office/behind")
@allow("office")
def behind():
    dbs = get_db()
    ys = svc.years(dbs)
    year = _year_arg(ys)
    kind = request.args.get("kind", "half_year")
    kind = kind if kind in CHECKPOINTS else "half_year"
    order = {"red": 0, "amber": 1, "over": 2, None: 3}

    def render(entries):  # the sections of the tables changed since their section was kept ("": none)
        out = {}
        for s in ov.standings(dbs, entries):
            rep = s.reports[kind]
            # at year end: the points each row loses (every row that loses points is listed here)
            lost = {}
            if kind == "full_year":
                ye = ysvc.year_end_score(dbs, s.rec, table=s.table, values=s.values["full_year"])
                lost = {r.position: r.weight - r.points for r in ye.score.shortfalls}
            rows = sorted((r for r in rep.rows if r.actual is not None and (r.behind or r.status is None
                                                                             or r.position in lost)),
                          key=lambda r: (order.get(r.status, 3), r.rate if r.rate is not None else 0, r.position))
            missing = [r for r in rep.rows if r.actual is None]
            out[s.rec.id] = render_part("targets/_behind_section.html", s=s, kind=kind, rows=rows, missing=missing,
                                        lost=lost) if rows or missing else ""
        return out

    items = [html for html in fragments(f"behind-{kind}", ov.entries(dbs, year), render) if html]
    return render_template("targets/behind.html", year=year, kind=kind, items=items,
                           CHECKPOINT_LABELS=CHECKPOINT_LABELS, STATUS_LABELS=STATUS_LABELS,
                           cp=svc.checkpoint(dbs, year, kind))


def _pending_dir() -> str:
    return files.folder(os.path.join("targets", "pending"))


def _pending_path(token: str) -> str:
    if not token or not token.isalnum():
        abort(400)
    return os.path.join(_pending_dir(), token + ".xlsx")


def _clean_pending() -> None:
    folder, now = _pending_dir(), time.time()
    for name in os.listdir(folder):
        p = os.path.join(folder, name)
        try:
            if now - os.path.getmtime(p) > PENDING_MAX_AGE:
                os.remove(p)
        except OSError:
            pass


def _upload_form() -> UploadForm:
    form = UploadForm()
    units = _active_units()
    form.unit_id.choices = [(0, "（请选择）")] + [(u.id, u.name) for u in units]
    return form


def _keep_pending(data: bytes, what: dict) -> str:
    """Keep the previewed file under a new random token (dropping the previous one of this session)."""
    _clean_pending()
    old = session.get("target_import") or {}
    if old.get("token"):
        try:
            os.remove(_pending_path(old["token"]))
        except OSError:
            pass
    token = secrets.token_hex(16)
    with open(_pending_path(token), "xb") as fh:
        fh.write(data)
    session["target_import"] = {"token": token, **what}
    return token


@bp.route("/office/import", methods=["GET", "POST"])
@allow("office")
def upload():
    dbs = get_db()
    form = _upload_form()
    if request.method == "GET":
        form.year.data = (
            form.year.data or int_arg("year", label="年度", minimum=2000, maximum=2100) or date.today().year
        )
        if int_arg("unit_id", label="单位"):
            form.unit_id.data = int_arg("unit_id", label="单位")
        form.project.data = request.args.get("project", "")
        return render_template("targets/upload.html", form=form)
    if not form.validate_on_submit() or not form.unit_id.data:
        if not form.unit_id.data:
            form.unit_id.errors = list(form.unit_id.errors) + ["请选择单位。"]
        return render_template("targets/upload.html", form=form), 200
    unit = dbs.get(Unit, form.unit_id.data)
    f = request.files.get("file")
    if unit is None or f is None or not f.filename:
        flash("请选择要上传的 .xlsx 工作簿。", "error")
        return render_template("targets/upload.html", form=form)
    data = f.read()
    confirm = ConfirmForm()
    filename = os.path.basename(f.filename.replace("\\", "/"))[:255]
    projects = None if (form.project.data or "").strip() else psvc.preview_projects(
        dbs, data=data, unit=unit, year=form.year.data, force=bool(form.projects.data))
    if projects is not None:
        if projects.ok:
            confirm.token.data = _keep_pending(data, {
                "unit_id": unit.id, "year": form.year.data, "projects": True, "force": bool(form.projects.data),
                "versions": {p.project: p.preview.existing.version if p.preview.existing else 0
                             for p in projects.parts}, "filename": filename})
        return render_template("targets/preview_projects.html", projects=projects, unit=unit, year=form.year.data,
                               filename=f.filename, confirm=confirm)
    preview = svc.preview_import(dbs, data=data, unit=unit, year=form.year.data, project=form.project.data)
    if preview.ok:
        confirm.token.data = _keep_pending(data, {"unit_id": unit.id, "year": form.year.data,
                                                  "project": (form.project.data or "").strip(), "filename": filename})
        confirm.version.data = preview.existing.version if preview.existing else 0
    return render_template("targets/preview.html", preview=preview, unit=unit, year=form.year.data,
                           project=(form.project.data or "").strip(), filename=f.filename, confirm=confirm,
                           pairs=list(zip(preview.result.rows, preview.result.locations,
                                          preview.result.row_warnings or [[] for _ in preview.result.rows],
                                          strict=False)),
                           CHECKPOINT_LABELS=CHECKPOINT_LABELS)


@bp.route("/office/import/confirm", methods=["POST"])
@allow("office")
def upload_confirm():
    dbs = get_db()
    form = ConfirmForm()
    pending = session.get("target_import") or {}
    if not form.validate_on_submit() or not pending or form.token.data != pending.get("token"):
        flash("预览已失效（可能在另一个窗口上传了其他文件），请重新上传。", "error")
        return redirect(url_for("targets.upload"))
    path = _pending_path(pending["token"])
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        session.pop("target_import", None)
        flash("预览已过期，请重新上传。", "error")
        return redirect(url_for("targets.upload"))
    unit = get_or_404(Unit, pending["unit_id"])
    if pending.get("projects"):
        try:
            recs = psvc.import_projects(dbs, actor_id=current_user.id, unit=unit, year=int(pending["year"]),
                                        data=data, filename=pending.get("filename", ""),
                                        force=bool(pending.get("force")), expected_versions=pending.get("versions"))
        except ServiceError as exc:
            fail(exc)
            return redirect(url_for("targets.upload", unit_id=unit.id, year=pending["year"]))
        _drop_pending(path)
        flash(f"已保存{unit.name} {pending['year']} 年度 {len(recs)} 个项目的绩效目标表："
              + "、".join(r.project for r in recs) + "。", "success")
        return redirect(url_for("targets.index_unit", unit_id=unit.id, year=pending["year"]))
    try:
        rec = svc.import_table(dbs, actor_id=current_user.id, unit=unit, year=int(pending["year"]), data=data,
                               filename=pending.get("filename", ""), project=pending.get("project"),
                               expected_version=posted_version(form.version.data))
    except ServiceError as exc:
        fail(exc)
        return redirect(url_for("targets.upload", unit_id=unit.id, year=pending["year"],
                                project=pending.get("project") or None))
    _drop_pending(path)
    flash(
        f"已保存 {svc.label_of(rec, unit)}绩效目标表（第 {rec.revision} 版，{len(rec.data.get('rows', []))} 个指标）。",
        "success",
    )
    return redirect(url_for("targets.table", table_id=rec.id))


def _drop_pending(path: str) -> None:
    session.pop("target_import", None)

    def _drop():
        try:
            os.remove(path)
        except OSError:
            pass

    from app.extensions import after_commit

    after_commit(_drop)


# ---------------------------------------------------------------- home tasks
@task_provider
def target_tasks(dbs, identity, cycle, timeline) -> list[Task]:
    if not identity.has("reporter", "office"):
        return []
    out = []
    for cp in svc.open_checkpoints(dbs):
        label = f"{cp.year}年{CHECKPOINT_LABELS[cp.checkpoint]}"
        if identity.has("reporter"):
            for rec in svc.tables_of(dbs, year=cp.year, unit_ids=identity.units_for("reporter")):
                unit = dbs.get(Unit, rec.unit_id)
                missing = svc.missing_count(dbs, rec, cp.checkpoint)
                name = svc.label_of(rec, unit)
                out.append(Task(
                    title=(f"填报{name}绩效目标{CHECKPOINT_LABELS[cp.checkpoint]}实际值" if missing
                           else f"{name}绩效目标{CHECKPOINT_LABELS[cp.checkpoint]}实际值已填齐"),
                    detail=f"{label}检查点 · 还有 {missing} 项未填" if missing else f"{label}检查点",
                    due=cp.due_at, done=not missing,
                    link=url_for("targets.fill", table_id=rec.id, kind=cp.checkpoint)))
        if identity.has("office"):
            out.append(Task(title=f"跟进{label}绩效目标实际值填报", detail="查看落后指标与未填报单位", due=cp.due_at,
                            link=url_for("targets.behind", year=cp.year, kind=cp.checkpoint)))
    return out
