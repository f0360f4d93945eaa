"""The office's settings page: how e-mail and campus sign-in are configured (read from the
environment, shown without secrets), a test message through the mail queue and its outcome."""

from flask import current_app, redirect, render_template, url_for
from flask_login import current_user

from app.extensions import get_db
from app.security import allow
from app.services import notices
from app.web.common import attempt, flash_form_errors
from app.web.templating import add_nav

from . import bp
from .forms import EmptyForm

add_nav("office", "系统设置", "office.settings")


@bp.route("/settings")
@allow("office")
def settings():
    cfg = current_app.config
    outcomes = notices.email_outcomes(get_db())
    return render_template("office/settings.html", cfg=cfg, mail_on=notices.mail_configured(), outcomes=outcomes,
                           labels=notices.EMAIL_STATUS_LABELS, form=EmptyForm(),
                           pending=any(n.email_status == "pending" for n, _u in outcomes))


@bp.route("/settings/test-mail", methods=["POST"])
@allow("office")
def test_mail():
    form = EmptyForm()
    if form.validate_on_submit():
        attempt(
            notices.queue_test_mail,
            get_db(),
            actor=current_user.user,
            ok=f"测试邮件已排队，发往 {current_user.user.email or ''}。"
            "后台任务会在一分钟内发送，结果见下表（本页自动刷新）。",
        )
    else:
        flash_form_errors(form, "页面已过期，请刷新后重试。")
    return redirect(url_for("office.settings"))
