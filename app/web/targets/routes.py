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

from flask import abort, flash, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user

from app.extensions import get_db
from app.models import Unit
from app.models.targets import TargetEvidence, TargetTableRecord
from app.rubric.targets import CHECKPOINT_LABELS, CHECKPOINTS, STATUS_LABELS
from app.security import allow
from app.services import ServiceError, StaleData, files, org
from app.services import target_reports as ysvc
from app.services import targets as svc
from app.services.tasks import Task, task_provider
from app.timefmt import from_local
from app.web.common import attempt, fail, get_or_404, int_arg, local_naive, parse_int, posted_version
from app.web.templating import add_nav

from . import bp
from .forms import CheckpointForm, ConfirmForm, CsrfForm, EvidenceForm, UploadForm

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
    dbs = get_db()
    units = current_user.units_for("reporter")
    recs = svc.tables_of(dbs, unit_ids=units)
    unit_names = {u.id: u.name for u in (dbs.get(Unit, i) for i in units) if u}
    rows = []
    for rec in recs:
        reps = {k: svc.progress(dbs, rec, k) for k in CHECKPOINTS}
        cps = {k: svc.checkpoint(dbs, rec.year, k) for k in CHECKPOINTS}
        rows.append((rec, reps, cps))
    return render_template("targets/index.html", rows=rows, unit_names=unit_names,
                           CHECKPOINT_LABELS=CHECKPOINT_LABELS)


@bp.route("/tables/<id:table_id>")
@allow("reporter", "office")
def table(table_id: int):
    dbs = get_db()
    rec = _table_or_404(table_id)
    reports = {k: svc.progress(dbs, rec, k) for k in CHECKPOINTS}
    actuals = svc.actuals_of(dbs, rec.id)
    evidence = svc.evidence_of(dbs, rec.id)
    return render_template("targets/table.html", reports=reports, actuals=actuals, evidence=evidence, **_ctx(rec))


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
                           ev_form=EvidenceForm(), del_form=CsrfForm(), **_ctx(rec))


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
    return _xlsx(svc.export_workbook(rec), f"{svc.label_of(rec, unit)}绩效目标表.xlsx".replace(" ", ""))


# ---------------------------------------------------------------- the office
@bp.route("/office")
@allow("office")
def office():
    dbs = get_db()
    ys = svc.years(dbs)
    year = _year_arg(ys)
    standings = svc.standings(dbs, year)
    scores = {s.rec.id: ysvc.year_end_score(dbs, s.rec) for s in standings if s.counts("full_year")["missing"]
              < len(s.reports["full_year"].rows)}
    have = {s.unit.id for s in standings}
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
                           standings=standings, scores=scores, without=without, cps=cps, forms=forms,
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
    items = []
    order = {"red": 0, "amber": 1, "over": 2, None: 3}
    for s in svc.standings(dbs, year):
        rep = s.reports[kind]
        # at year end: the points each row loses (every row that loses points is listed here)
        lost = {}
        if kind == "full_year":
            lost = {r.position: r.weight - r.points for r in ysvc.year_end_score(dbs, s.rec).score.shortfalls}
        rows = sorted((r for r in rep.rows if r.actual is not None and (r.behind or r.status is None
                                                                         or r.position in lost)),
                      key=lambda r: (order.get(r.status, 3), r.rate if r.rate is not None else 0, r.position))
        missing = [r for r in rep.rows if r.actual is None]
        if rows or missing:
            items.append((s, rows, missing, lost))
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
    preview = svc.preview_import(dbs, data=data, unit=unit, year=form.year.data, project=form.project.data)
    confirm = ConfirmForm()
    if preview.ok:
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
        session["target_import"] = {"token": token, "unit_id": unit.id, "year": form.year.data,
                                    "project": (form.project.data or "").strip(),
                                    "filename": os.path.basename(f.filename.replace("\\", "/"))[:255]}
        confirm.token.data = token
        confirm.version.data = preview.existing.version if preview.existing else 0
    return render_template("targets/preview.html", preview=preview, unit=unit, year=form.year.data,
                           project=(form.project.data or "").strip(), filename=f.filename, confirm=confirm,
                           pairs=list(zip(preview.result.rows, preview.result.locations, strict=False)),
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
    try:
        rec = svc.import_table(dbs, actor_id=current_user.id, unit=unit, year=int(pending["year"]), data=data,
                               filename=pending.get("filename", ""), project=pending.get("project"),
                               expected_version=posted_version(form.version.data))
    except ServiceError as exc:
        fail(exc)
        return redirect(url_for("targets.upload", unit_id=unit.id, year=pending["year"],
                                project=pending.get("project") or None))
    session.pop("target_import", None)

    def _drop():
        try:
            os.remove(path)
        except OSError:
            pass

    from app.extensions import after_commit

    after_commit(_drop)
    flash(
        f"已保存 {svc.label_of(rec, unit)}绩效目标表（第 {rec.revision} 版，{len(rec.data.get('rows', []))} 个指标）。",
        "success",
    )
    return redirect(url_for("targets.table", table_id=rec.id))


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
