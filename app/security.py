"""Who may use which route.

Every view declares its audience with :func:`allow`; a request to an endpoint without a
declaration is refused (deny by default), and ``tests/web/test_route_rules.py`` walks the URL
map to make sure no route is left undeclared.

Audiences: the role names of ``app.models.ROLE_LABELS`` plus ``PUBLIC`` (anyone, signed in or
not: the intranet reader, the ballot by code) and ``SIGNED_IN`` (any signed-in user).
"""

from functools import wraps

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import UserMixin, current_user
from sqlmodel import Session, select

from app.extensions import _request_may_write, get_db, login_manager, write_bind
from app.extensions import db as database
from app.models import LoginSession, RoleMembership, User
from app.models.base import utcnow
from app.services import accounts

PUBLIC = "public"
SIGNED_IN = "signed_in"


class Identity(UserMixin):
    """The signed-in user with their roles, loaded once per request."""

    def __init__(self, user: User, session_id: str, memberships: list[RoleMembership], via: str = "password"):
        self.user = user
        self.via = via  # how this session signed in: password, ldap, cas
        self.id = user.id
        self.session_id = session_id
        self.memberships = memberships
        self.roles = {m.role for m in memberships}

    def get_id(self) -> str:
        return self.session_id

    @property
    def display_name(self) -> str:
        return self.user.display_name

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def units_for(self, role: str) -> set[int]:
        return {m.unit_id for m in self.memberships if m.role == role and m.unit_id}

    @property
    def leader_rank(self) -> str | None:
        for m in self.memberships:
            if m.role == "leader":
                return m.leader_rank
        return None


@login_manager.user_loader
def _load_identity(session_id: str):
    db = get_db()
    sess = db.get(LoginSession, session_id)
    if sess is None:
        return None
    now = utcnow()
    idle, lifetime = accounts.session_limits()
    if accounts.session_expired(sess, now, idle=idle, lifetime=lifetime):
        flash("登录已超时，请重新登录。", "warning")
        return None  # the row is deleted by the sessions_expire job
    if accounts.session_needs_touch(sess, now, idle=idle):
        _touch(session_id, now)
    user = db.get(User, sess.user_id)
    if user is None or not user.active:
        return None
    memberships = list(db.exec(select(RoleMembership).where(RoleMembership.user_id == user.id)))
    return Identity(user, session_id, memberships, sess.via)


def _touch(session_id: str, now) -> None:
    """Refresh the sign-in's last activity. A request that may write does it in its own
    transaction (committed with the request); a read-only request in a short transaction of its own,
    so that it never turns a reader into a writer (on SQLite a reader's snapshot may be stale)."""
    engine = database.engine
    if _request_may_write() or engine.url.database in (None, "", ":memory:"):  # one shared in-memory connection
        accounts.touch_session(get_db(), session_id=session_id, now=now)
        return
    with Session(write_bind(engine)) as own:
        accounts.touch_session(own, session_id=session_id, now=now)
        own.commit()


def allow(*audiences: str):
    """Declare who may use a view: role names, ``PUBLIC`` or ``SIGNED_IN``."""
    if not audiences:
        raise ValueError("allow() needs at least one audience")

    def decorator(view):
        view.allowed = frozenset(audiences)

        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped.allowed = view.allowed
        return wrapped

    return decorator


def rule_for(endpoint: str):
    if endpoint == "static":
        return frozenset({PUBLIC})
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed", None)


def enforce_route_rules():
    """before_request: refuse anything the endpoint's declaration does not admit."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404 follows
    allowed = rule_for(endpoint)
    if allowed is None:
        current_app.logger.error("route %s has no access rule", endpoint)
        abort(403)
    if PUBLIC in allowed:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    # a campus sign-in (LDAP, CAS) did not use the local password: no need to change it first
    if (current_user.user.must_change_password and current_user.via == "password"
            and endpoint not in ("auth.change_password", "auth.logout")):
        return redirect(url_for("auth.change_password"))
    if SIGNED_IN in allowed or current_user.roles.intersection(allowed):
        return None
    abort(403)


def client_ip() -> str | None:
    return request.remote_addr


def clear_session() -> None:
    session.clear()
