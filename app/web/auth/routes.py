from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.extensions import csrf, db, get_db
from app.security import PUBLIC, SIGNED_IN, Identity, allow, client_ip
from app.services import ServiceError, accounts, cas
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
            user, via = accounts.authenticate(dbs, username=form.username.data, password=form.password.data,
                                              ip=client_ip())
        except ServiceError as exc:
            # keep the failure counters, drop nothing else: commit them explicitly
            db.commit()
            flash(exc.message, "error")
            return _login_page(form), 200
        return _signed_in(user, via=via, next_url=request.args.get("next"))
    return _login_page(form)


def safe_next_or_none(target):
    return safe_next(target, None)


def _login_page(form):
    return render_template("auth/login.html", form=form, cas_on=cas.configured(),
                           next=safe_next_or_none(request.args.get("next")))


def _signed_in(user, *, via: str, next_url: str | None, cas_ticket: str | None = None):
    """Start the sign-in session (a fresh Flask session) and go on. Only a local-password
    sign-in is sent to change a password the office set."""
    dbs = get_db()
    session.clear()
    sess = accounts.start_session(dbs, user=user, via=via, cas_ticket=cas_ticket)
    login_user(Identity(user, sess.id, accounts.roles_of(dbs, user.id), via))
    if user.must_change_password and via == "password":
        flash("首次登录或密码已被重置，请先修改密码。", "warning")
        return redirect(url_for("auth.change_password"))
    return redirect(safe_next_or_none(next_url) or url_for("home.index"))


def _absolute_url(endpoint: str) -> str:
    """The address of ``endpoint`` as users reach it (``KPI_PUBLIC_URL`` when set)."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)


def _cas_service_url() -> str:
    """This product's CAS service address; the same for the redirect and the validation."""
    return _absolute_url("auth.cas_login")


@bp.route("/login/cas", methods=["GET", "POST"])
@allow(PUBLIC)
@csrf.exempt
def cas_login():
    """CAS: without a ticket go to the CAS server; with one, validate it and sign in. A POST is
    the CAS server's back-channel single sign-out (``logoutRequest``)."""
    if not cas.configured():
        return render_template("errors/error.html", code=404, message="未启用统一身份认证。"), 404
    dbs = get_db()
    if request.method == "POST":
        ticket = cas.ticket_of_logout_request(request.form.get("logoutRequest"))
        if ticket is None:
            return "not a CAS LogoutRequest", 400
        cas.single_sign_out(dbs, ticket=ticket)
        return "", 200
    ticket = request.args.get("ticket")
    if not ticket:
        if current_user.is_authenticated:
            return redirect(url_for("home.index"))
        session["cas_next"] = safe_next_or_none(request.args.get("next"))
        return redirect(cas.login_url(_cas_service_url()))
    try:
        user = cas.sign_in(dbs, ticket=ticket, service_url=_cas_service_url(), ip=client_ip())
    except ServiceError as exc:
        db.commit()  # keep the failure count
        flash(exc.message, "error")
        return _login_page(LoginForm(formdata=None)), 200
    return _signed_in(user, via="cas", next_url=session.get("cas_next"), cas_ticket=ticket.strip())


@bp.route("/logout", methods=["POST"])
@allow(SIGNED_IN)
def logout():
    ended = accounts.end_session(get_db(), session_id=current_user.session_id)
    logout_user()
    session.clear()
    if ended is not None and ended.cas_ticket and cas.configured():
        # end the campus sign-in too, then come back to the login page
        return redirect(cas.logout_url(_absolute_url("auth.login")))
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
