"""The progress page of every stage the office follows (self-reports, scoring per owner, leader
evaluation, voting turnout, award votes): one implementation, the rows from the stage registry
(:mod:`app.services.progress`). Filters (未完成 / 已退回 / 落后 / 已完成) and a search; the office
selects rows and 催办 them, or (self-reports) publishes or returns them, always through a
confirmation page that names exactly what will happen."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import select

from app.extensions import get_db
from app.models import User
from app.security import allow
from app.services import ServiceError, progress
from app.services.notices import mail_configured
from app.services.stage_kinds import KINDS
from app.services.stages import stage_label
from app.web.common import EXPIRED, attempt, cycle_or_404, fail, stage_state

from . import bp

# what a batch does: (label on the button, on the confirmation page's title, kinds it applies to)
ACTIONS = {
    "remind": ("催办所选", "催办", None),
    "publish": ("公示所选报告", "公示自查报告", ("self_report",)),
    "return": ("退回所选报告", "退回自查报告", ("self_report",)),
}


def _kind_or_404(kind: str) -> str:
    if not progress.has_progress(kind):
        abort(404)
    return kind


def actions_for(kind: str) -> list[tuple[str, str]]:
    return [(key, a[0]) for key, a in ACTIONS.items() if a[2] is None or kind in a[2]]


@bp.route("/cycles/<id:cycle_id>/<kind>")
@allow("office")
def stage(cycle_id: int, kind: str):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    _kind_or_404(kind)
    status = request.args.get("status", "")
    if status not in progress.FILTERS:
        status = ""
    q = (request.args.get("q") or "").strip()[:50]
    rows = progress.rows_of(dbs, cycle, kind)
    elapsed = progress.elapsed_share(dbs, cycle, kind)
    shown = progress.select_rows(rows, status=status, q=q, elapsed=elapsed)
    counts = {key: len(progress.select_rows(rows, status=key, elapsed=elapsed)) for key in progress.FILTERS}
    note = ""
    if kind == "democratic":
        from app.services.progress_rows import code_turnout_note

        note = code_turnout_note(dbs, cycle)
    return render_template("progress/stage.html", cycle=cycle, kind=kind, label=stage_label(kind), rows=shown,
                           counts=counts, status=status, q=q, filters=progress.FILTERS, elapsed=elapsed,
                           behind={r.key for r in rows if progress.is_behind(r, elapsed)},
                           state=stage_state(cycle, kind), actions=actions_for(kind), form=FlaskForm(),
                           fingerprint=progress.fingerprint, office_page=KINDS[kind].office_page.endpoint, note=note)


def _selected() -> dict[str, str]:
    return {key: request.form.get(f"fp:{key}", "") for key in request.form.getlist("row")}


def _back(cycle_id: int, kind: str):
    return redirect(url_for("progress.stage", cycle_id=cycle_id, kind=kind,
                            status=request.form.get("status") or None, q=request.form.get("q") or None))


@bp.route("/cycles/<id:cycle_id>/<kind>/confirm", methods=["POST"])
@allow("office")
def confirm(cycle_id: int, kind: str):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    _kind_or_404(kind)
    action = request.form.get("action", "")
    if action not in dict(actions_for(kind)):
        abort(404)
    if not FlaskForm().validate_on_submit():
        flash(EXPIRED, "error")
        return _back(cycle_id, kind)
    try:
        rows = progress.confirmed_rows(dbs, cycle, kind, _selected())
        if action == "remind":
            progress.require_open_for_remind(dbs, cycle, kind)
            progress.check_remind(rows)
        else:
            progress.check_reports(rows, action)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _back(cycle_id, kind)
    names = {u.id: u.display_name for u in dbs.exec(select(User).where(
        User.id.in_({uid for r in rows for uid in r.recipients})))}
    return render_template("progress/confirm.html", cycle=cycle, kind=kind, label=stage_label(kind), rows=rows,
                           action=action, title=ACTIONS[action][1], names=names, token=progress.new_token(),
                           fingerprint=progress.fingerprint, form=FlaskForm(), mail=mail_configured(),
                           status=request.form.get("status", ""), q=request.form.get("q", ""))


@bp.route("/cycles/<id:cycle_id>/<kind>/run", methods=["POST"])
@allow("office")
def run(cycle_id: int, kind: str):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    _kind_or_404(kind)
    action = request.form.get("action", "")
    if action not in dict(actions_for(kind)):
        abort(404)
    if not FlaskForm().validate_on_submit():
        flash(EXPIRED, "error")
        return _back(cycle_id, kind)
    selected, n = _selected(), len(request.form.getlist("row"))
    if action == "remind":
        try:
            rows, people = progress.remind(dbs, actor_id=current_user.id, cycle=cycle, kind=kind, selected=selected,
                                           token=request.form.get("token", ""), message=request.form.get("message", ""))
        except ServiceError as exc:
            fail(exc)
        else:
            flash(f"已催办 {rows} 项、通知 {people} 人：站内通知已送达"
                  + ("，邮件副本由系统稍后发出。" if mail_configured() else "（未配置邮件服务器，未发邮件）。"),
                  "success")
    elif action == "publish":
        attempt(progress.publish_reports, dbs, actor_id=current_user.id, cycle=cycle, selected=selected,
                ok=f"已公示 {n} 份自查报告。")
    else:
        attempt(progress.return_reports, dbs, actor_id=current_user.id, cycle=cycle, selected=selected,
                comment=request.form.get("comment", ""), ok=f"已退回 {n} 份自查报告，各单位填报员已收到修改意见。")
    return _back(cycle_id, kind)
