"""The office's organisation workbook: template and export downloads, upload with a preview of
what would be created, changed or deactivated, confirmation, and the printable slips of initial
passwords (also for a bulk reset from the users page). The uploaded file waits under
UPLOAD_FOLDER/org/pending keyed by a random token kept in the session; the confirmation carries
the preview's fingerprint of the organisation and is refused when the organisation has changed."""

import io
from urllib.parse import quote

from flask import current_app, flash, make_response, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user

from app.extensions import after_commit, get_db
from app.models.base import utcnow
from app.security import allow
from app.services import ServiceError, accounts, files, org_import
from app.sheets.org import org_workbook
from app.web import heavy
from app.web.common import fail

from . import bp
from .forms import EmptyForm, OrgConfirmForm, OrgUploadForm

PENDING = "org"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(buf, name: str):
    resp = send_file(buf, mimetype=XLSX, as_attachment=True, download_name=name)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


@bp.route("/org")
@allow("office")
def org_page():
    return render_template("office/org_import.html", form=OrgUploadForm())


@bp.route("/org/template.xlsx")
@allow("office")
def org_template():
    return _xlsx(org_workbook([], []), "组织机构模板.xlsx")


@bp.route("/org/export.xlsx")
@allow("office")
def org_export():
    units, people = org_import.export_rows(get_db())
    # built one at a time (8 first builds at once left a worker 40 MB bigger, one at a time 11 MB);
    # once kept, it is read without waiting
    try:
        data = files.kept("org-export", (units, people),
                          lambda: heavy.build(lambda: org_workbook(units, people).getvalue()))
    except heavy.Busy:
        return heavy.busy_response()
    return _xlsx(io.BytesIO(data), f"组织机构-{utcnow():%Y%m%d}.xlsx")


@bp.route("/org/preview", methods=["POST"])
@allow("office")
def org_preview():
    form = OrgUploadForm()
    upload = request.files.get("file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        flash("请选择要上传的组织机构工作簿（.xlsx）。", "error")
        return redirect(url_for("office.org_page"))
    data = upload.read()
    plan = org_import.preview(get_db(), data=data, actor_id=current_user.id)
    confirm = OrgConfirmForm()
    old = session.pop("org_import", None) or {}
    if old.get("token"):
        files.drop_pending(PENDING, old["token"])
    filename = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:255]
    if plan.ok and plan.has_changes:
        token = files.keep_pending(PENDING, data)
        session["org_import"] = {"token": token, "filename": filename}
        confirm.token.data, confirm.fingerprint.data = token, plan.fingerprint
    return render_template("office/org_preview.html", plan=plan, confirm=confirm, filename=filename,
                           labels=org_import.ACTION_LABELS)


@bp.route("/org/confirm", methods=["POST"])
@allow("office")
def org_confirm():
    form = OrgConfirmForm()
    pending = session.get("org_import") or {}
    if not form.validate_on_submit() or not pending or form.token.data != pending.get("token"):
        flash("预览已失效（可能在另一个窗口上传了其他文件），请重新上传。", "error")
        return redirect(url_for("office.org_page"))
    data = files.read_pending(PENDING, pending["token"])
    if data is None:
        session.pop("org_import", None)
        flash("预览已过期，请重新上传。", "error")
        return redirect(url_for("office.org_page"))
    try:
        outcome = org_import.apply_import(get_db(), actor_id=current_user.id, data=data,
                                          expected_fingerprint=form.fingerprint.data or "",
                                          filename=pending.get("filename", ""))
    except ServiceError as exc:
        fail(exc)
        return redirect(url_for("office.org_page"))
    session.pop("org_import", None)
    token = pending["token"]
    after_commit(lambda: files.drop_pending(PENDING, token))
    p = outcome.plan
    flash(
        f"组织机构已导入：单位新建 {p.count('units', 'create')}、修改 {p.count('units', 'update')}、"
        f"停用 {p.count('units', 'deactivate')}；"
        f"人员新建 {p.count('people', 'create')}、修改 {p.count('people', 'update')}、"
        f"重新启用 {p.count('people', 'reactivate')}、停用 {p.count('people', 'deactivate')}。",
        "success",
    )
    if not outcome.accounts:
        return redirect(url_for("office.users"))
    return slips_response([(a.user, a.password, a.unit_name) for a in outcome.accounts], title="新账号初始密码")


def login_url() -> str:
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("auth.login")


def slips_response(items, *, title: str):
    """The printable A4 sheet of password slips (10 per page). Shown once: the passwords exist
    only in this response, which no cache keeps."""
    unit_names = {}
    rows = []
    for user, password, unit_name in items:
        if unit_name is None and user.unit_id:
            unit_names = unit_names or org_import.unit_names(get_db())
            unit_name = unit_names.get(user.unit_id)
        rows.append({"name": user.display_name, "username": user.username, "unit": unit_name or "",
                     "password": password})
    pages = [rows[i:i + 10] for i in range(0, len(rows), 10)]
    resp = make_response(render_template("office/password_slips.html", pages=pages, title=title, count=len(rows),
                                         login_url=login_url()))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/users/reset-passwords", methods=["POST"])
@allow("office")
def users_reset_passwords():
    if not EmptyForm().validate_on_submit():
        flash("页面已过期，请刷新后重试。", "error")
        return redirect(url_for("office.users"))
    ids = [int(x) for x in request.form.getlist("user_id") if x.isdigit()]
    if current_user.id in ids:
        ids.remove(current_user.id)  # one's own password is changed on 修改密码, not printed
    try:
        done = accounts.reset_passwords(get_db(), actor_id=current_user.id, user_ids=ids)
    except ServiceError as exc:
        fail(exc)
        return redirect(request.referrer or url_for("office.users"))
    return slips_response([(u, pw, None) for u, pw in done], title="重置后的密码")
