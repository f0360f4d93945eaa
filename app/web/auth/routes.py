from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.extensions import db, get_db
from app.security import PUBLIC, SIGNED_IN, allow, client_ip
from app.services import ServiceError, accounts
from app.web.common import safe_next

from . import bp
from .forms import ChangePasswordForm, LoginForm


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        dbs = get_db()
        try:
            user = accounts.authenticate(dbs, username=form.username.data, password=form.password.data, ip=client_ip())
        except ServiceError as exc:
            # keep the failure counters, drop nothing else: commit them explicitly
            db.commit()
            flash(exc.message, "error")
            return render_template("auth/login.html", form=form), 200
        session.clear()
        sess = accounts.start_session(dbs, user=user)
        from app.security import Identity

        login_user(Identity(user, sess.id, accounts.roles_of(dbs, user.id)))
        if user.must_change_password:
            flash("首次登录或密码已被重置，请先修改密码。", "warning")
            return redirect(url_for("auth.change_password"))
        return redirect(safe_next(request.args.get("next"), url_for("home.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(SIGNED_IN)
def logout():
    accounts.end_session(get_db(), session_id=current_user.session_id)
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@allow(SIGNED_IN)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(get_db(), user=current_user.user, current=form.current_password.data,
                                     new=form.new_password.data, keep_session=current_user.session_id)
        except ServiceError as exc:
            db.rollback()
            flash(exc.message, "error")
        else:
            flash("密码已修改。其他设备上的登录已退出。", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)
