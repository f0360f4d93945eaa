"""Accounts: passwords (argon2id), throttled sign-in, sign-in sessions, users and roles."""

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import func, or_, update
from sqlmodel import Session, delete, select

from app.models import ROLE_LABELS, LoginSession, LoginThrottle, RoleMembership, Unit, User
from app.models.base import utcnow

from . import PermissionDenied, ServiceError, StaleData, directory
from .audit import record

MIN_PASSWORD_LENGTH = 8


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"], parallelism=cfg["ARGON2_PARALLELISM"]
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# A hash to verify against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH: dict[str, str] = {}


def _throttle_row(db: Session, key: str) -> LoginThrottle:
    row = db.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        db.add(row)
    return row


def count_failure(db: Session, key: str, *, limit: int, window_seconds: int, lock_seconds: int):
    """One more failed attempt under ``key`` (a sign-in name, an address, a vote-code address):
    the count restarts after ``window_seconds``; at ``limit`` the key is locked for
    ``lock_seconds``. Returns the time it is locked until, or None."""
    now = utcnow()
    row = _throttle_row(db, key)
    if row.first_at is None or now - row.first_at > timedelta(seconds=window_seconds):
        row.failures, row.first_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + timedelta(seconds=lock_seconds)
    return row.locked_until


def lock_minutes(until) -> int:
    """Whole minutes (at least 1) until a lock ends, for the message."""
    return max(1, int((until - utcnow()).total_seconds() // 60) + 1)


def locked_until(db: Session, key: str):
    """When the throttle key (``u:name``, ``ip:addr``) is locked until, or None."""
    row = db.get(LoginThrottle, key)
    if row and row.locked_until and row.locked_until > utcnow():
        return row.locked_until
    return None


def _name_key(username: str) -> str:
    return f"u:{username.lower()[:150]}"


def _pair_key(username: str, ip: str | None) -> str:
    return f"ua:{ip or '-'}|{username.lower()}"[:160]


def authenticate(db: Session, *, username: str, password: str, ip: str | None) -> tuple[User, str]:
    """Return the user and how they were recognised ("password" or "ldap"), or raise ServiceError.

    Failures are counted per address (``ip:…``, ``LOGIN_MAX_FAILURES_PER_IP``) and per address and
    name together (``ua:…|…``, ``LOGIN_MAX_FAILURES``); past a limit that address (or that address
    for that name) is locked for ``LOGIN_LOCK_SECONDS``, whatever the password. A name alone is
    never locked, so someone failing elsewhere cannot lock the owner out of their own browser;
    failures per name are still counted (``u:…``), and every ``LOGIN_MAX_FAILURES`` of them within
    the window write a ``login_failures`` audit entry that the office sees on the audit page.

    The local password is checked first; when it does not match and a campus directory is
    configured (``KPI_LDAP_URL``), the name and password are tried there and the directory
    person is matched to an account by 工号 (``User.employee_no``). So local accounts (``office``)
    never wait on the directory and keep working when it is down."""
    cfg = current_app.config
    username = (username or "").strip()
    locks = [_pair_key(username, ip)] + ([f"ip:{ip}"] if ip else [])
    for key in locks:
        until = locked_until(db, key)
        if until:
            raise ServiceError(f"登录失败次数过多，请 {lock_minutes(until)} 分钟后再试。")

    user = db.exec(select(User).where(User.username == username)).first()
    if user is None:
        if "h" not in _DUMMY_HASH:
            _DUMMY_HASH["h"] = hash_password(secrets.token_hex(8))
        verify_password(_DUMMY_HASH["h"], password or "")
        ok = False
    else:
        ok = verify_password(user.password_hash, password or "") and user.active

    outage, via = False, "password"
    if not ok and directory.configured():
        try:
            person = directory.check_password(username, password or "")
        except directory.DirectoryUnavailable as exc:
            current_app.logger.warning("LDAP sign-in of %r: directory unavailable: %s", username, exc)
            person, outage = None, True
        if person is not None:
            user = _account_for_employee_no(db, person.employee_no, source="统一身份认证")
            ok, via = True, "ldap"

    if ok:
        row = db.get(LoginThrottle, locks[0])
        if row is not None:
            db.delete(row)
        db.flush()
        return user, via

    window, lock = cfg["LOGIN_WINDOW_SECONDS"], cfg["LOGIN_LOCK_SECONDS"]
    count_failure(db, locks[0], limit=cfg["LOGIN_MAX_FAILURES"], window_seconds=window, lock_seconds=lock)
    if ip:
        count_failure(db, locks[1], limit=cfg["LOGIN_MAX_FAILURES_PER_IP"], window_seconds=window, lock_seconds=lock)
    if username:
        count_failure(db, _name_key(username), limit=2**31 - 1, window_seconds=window, lock_seconds=0)
        failures = db.get(LoginThrottle, _name_key(username)).failures
        if failures % cfg["LOGIN_MAX_FAILURES"] == 0:
            record(db, actor_id=None, action="login_failures", entity="user",
                   entity_id=user.id if user is not None else None,
                   new={"username": username[:150], "failures": failures, "last_address": ip},
                   reason=f"账号「{username[:150]}」{window // 60} 分钟内登录失败 {failures} 次")
    db.flush()
    if user is not None and not user.active:
        raise ServiceError("该账号已停用，请联系目标办。")
    if outage:
        raise ServiceError(
            "用户名或密码错误。统一身份认证服务暂时无法连接，校园账号暂不能登录；本系统的本地账号不受影响。"
        )
    raise ServiceError("用户名或密码错误。")


@dataclass(frozen=True)
class FailedSignIns:
    """Repeated failed sign-ins for the office: per name (``name``) or a locked address (``address``)."""

    kind: str
    subject: str
    failures: int
    since: datetime
    locked_until: datetime | None


def repeated_failures(db: Session, *, now: datetime | None = None) -> list[FailedSignIns]:
    """Names with at least ``LOGIN_MAX_FAILURES`` failures in the current window, and the addresses
    (alone or for one name) locked now; most failures first."""
    cfg = current_app.config
    now = now or utcnow()
    since = now - timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    out = []
    for row in db.exec(select(LoginThrottle).where(or_(LoginThrottle.key.startswith("u:"),
                                                       LoginThrottle.key.startswith("ua:"),
                                                       LoginThrottle.key.startswith("ip:")))):
        locked = row.locked_until if row.locked_until and row.locked_until > now else None
        if row.key.startswith("u:"):
            if row.first_at >= since and row.failures >= cfg["LOGIN_MAX_FAILURES"]:
                out.append(FailedSignIns("name", row.key[2:], row.failures, row.first_at, None))
        elif locked:
            subject = row.key.split(":", 1)[1]
            if row.key.startswith("ua:"):
                addr, _, name = subject.partition("|")
                subject = f"{addr}（账号「{name}」）"
            out.append(FailedSignIns("address", subject, row.failures, row.first_at, locked))
    return sorted(out, key=lambda f: (-f.failures, f.subject))




def _account_for_employee_no(db: Session, employee_no: str | None, *, source: str) -> User:
    """The active account whose 工号 a campus sign-in (LDAP or CAS) vouched for. The campus
    identity only says who someone is: roles come from the account alone."""
    employee_no = (employee_no or "").strip()
    if not employee_no:
        raise ServiceError(f"{source}未提供您的工号，无法对应到本系统账号，请联系信息中心或目标办。")
    user = db.exec(select(User).where(User.employee_no == employee_no)).first()
    if user is None:
        raise ServiceError(f"{source}已通过，但本系统中没有工号为 {employee_no} 的账号。请联系目标办开通账号后再登录。")
    if not user.active:
        raise ServiceError("该账号已停用，请联系目标办。")
    return user


def campus_account(db: Session, *, employee_no: str | None, source: str) -> User:
    """The account for a campus sign-in that has already been verified elsewhere (CAS)."""
    return _account_for_employee_no(db, employee_no, source=source)


def start_session(db: Session, *, user: User, via: str = "password", cas_ticket: str | None = None) -> LoginSession:
    sess = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id, via=via, cas_ticket=cas_ticket)
    db.add(sess)
    db.flush()
    return sess


TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at is refreshed at most this often


def session_limits() -> tuple[timedelta, timedelta]:
    """(idle timeout, absolute lifetime) of a sign-in, from the configuration."""
    cfg = current_app.config
    return timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]), timedelta(hours=cfg["SESSION_MAX_HOURS"])


def session_expired(sess: LoginSession, now, *, idle: timedelta, lifetime: timedelta) -> bool:
    """Whether the sign-in ``sess`` has ended: idle too long, or begun too long ago."""
    seen = sess.last_seen_at or sess.created_at
    return now - seen > idle or now - sess.created_at > lifetime


def session_needs_touch(sess: LoginSession, now, *, idle: timedelta) -> bool:
    seen = sess.last_seen_at or sess.created_at
    return now - seen >= min(TOUCH_EVERY, idle / 4)


def touch_session(db: Session, *, session_id: str, now) -> None:
    """Record activity on a sign-in (the idle timeout counts from here)."""
    db.exec(update(LoginSession).where(LoginSession.id == session_id).values(last_seen_at=now))
    db.flush()


def delete_expired_sessions(db: Session, *, now, idle: timedelta, lifetime: timedelta) -> int:
    """Delete every sign-in that has ended; the number deleted."""
    seen = func.coalesce(LoginSession.last_seen_at, LoginSession.created_at)
    result = db.exec(delete(LoginSession).where(or_(seen < now - idle, LoginSession.created_at < now - lifetime)))
    db.flush()
    return result.rowcount or 0


def end_session(db: Session, *, session_id: str) -> LoginSession | None:
    """End one sign-in session; return it (e.g. to see whether it came from CAS)."""
    sess = db.get(LoginSession, session_id)
    db.exec(delete(LoginSession).where(LoginSession.id == session_id))
    db.flush()
    return sess


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"新密码至少 {MIN_PASSWORD_LENGTH} 位。", field="new_password")
    if password.isdigit() or password.isalpha():
        raise ServiceError("新密码须同时包含字母和数字。", field="new_password")


def change_password(db: Session, *, user: User, current: str, new: str, keep_session: str | None) -> None:
    if not verify_password(user.password_hash, current or ""):
        raise ServiceError("当前密码不正确。", field="current_password")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    db.add(user)
    # every other browser signed in as this user is signed out
    db.exec(delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.id != (keep_session or "")))
    record(db, actor_id=user.id, action="change_password", entity="user", entity_id=user.id)


def roles_of(db: Session, user_id: int) -> list[RoleMembership]:
    return list(db.exec(select(RoleMembership).where(RoleMembership.user_id == user_id)))


def require_role(db: Session, user_id: int | None, *roles: str) -> None:
    """Refuse with :class:`PermissionDenied` unless the user holds one of ``roles``."""
    held = user_id is not None and db.exec(select(RoleMembership.id).where(
        RoleMembership.user_id == user_id, RoleMembership.role.in_(roles))).first() is not None
    if not held:
        raise PermissionDenied()


def create_user(
    db: Session,
    *,
    actor_id: int | None,
    username: str,
    display_name: str,
    password: str,
    unit_id: int | None = None,
    email: str | None = None,
    employee_no: str | None = None,
    roles: list[dict] | None = None,
    must_change_password: bool = True,
    password_hash: str | None = None,
    phone: str | None = None,
) -> User:
    """A new account. ``password_hash`` instead of ``password``: a hash made already (the
    organisation import hashes its random initial passwords in bulk, see :func:`initial_passwords`)."""
    username = (username or "").strip()
    if not username:
        raise ServiceError("请填写用户名。", field="username")
    if db.exec(select(User).where(User.username == username)).first():
        raise ServiceError(f"用户名「{username}」已存在。", field="username")
    employee_no = (employee_no or "").strip() or None
    if employee_no and db.exec(select(User).where(User.employee_no == employee_no)).first():
        raise ServiceError(f"工号「{employee_no}」已被其他账号使用。", field="employee_no")
    if password_hash is None:
        check_password_strength(password)
        password_hash = hash_password(password)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=password_hash,
        unit_id=unit_id,
        email=email or None,
        employee_no=employee_no or None,
        phone=phone or None,
        must_change_password=must_change_password,
    )
    db.add(user)
    db.flush()
    for role in roles or []:
        add_role(db, actor_id=actor_id, user=user, **role)
    record(db, actor_id=actor_id, action="create", entity="user", entity_id=user.id,
           new={"username": username, "display_name": user.display_name, "unit_id": unit_id,
                **({"employee_no": user.employee_no} if user.employee_no else {})})
    return user


def check_role(
    db: Session, role: str, unit_id: int | None, leader_rank: str | None
) -> tuple[str, int | None, str | None]:
    """The membership ``(role, unit_id, leader_rank)`` as stored (a unit only for reporters and
    scorers, a rank only for leaders), or ServiceError."""
    if role not in ROLE_LABELS:
        raise ServiceError(f"未知角色「{role}」。")
    if role in ("reporter", "scorer") and not unit_id:
        raise ServiceError(f"「{ROLE_LABELS[role]}」须绑定一个单位。")
    if role == "scorer" and unit_id:
        unit = db.get(Unit, unit_id)
        if unit is None or unit.category != "department":
            raise ServiceError("考核评分员须绑定一个职能部门。")
    if role == "leader" and leader_rank not in ("principal", "deputy"):
        raise ServiceError("校领导须指定正职或副职。")
    return role, unit_id if role in ("reporter", "scorer") else None, leader_rank if role == "leader" else None


def create_users(db: Session, *, actor_id: int | None, people: list[dict]) -> list[User]:
    """Many new accounts at once (the organisation import), with the checks of
    :func:`create_user` and :func:`add_role`, written in a few flushes instead of several per
    person. Each dict: username, display_name, password_hash, unit_id, email, employee_no, phone,
    roles (``[(role, unit_id, leader_rank)]``); every account must change its password first."""
    names = [p["username"] for p in people]
    nos = [p["employee_no"] for p in people if p.get("employee_no")]
    if len(set(names)) != len(names) or len(set(nos)) != len(nos):
        raise ServiceError("新账号的用户名或工号有重复。")
    taken = set(db.exec(select(User.username).where(User.username.in_(names)))) if names else set()
    taken |= set(db.exec(select(User.employee_no).where(User.employee_no.in_(nos)))) if nos else set()
    if taken:
        raise ServiceError(f"用户名或工号「{'、'.join(sorted(taken)[:5])}」已被其他账号使用。")
    users = []
    for p in people:
        users.append(User(username=p["username"], display_name=p["display_name"].strip() or p["username"],
                          password_hash=p["password_hash"], unit_id=p.get("unit_id"), email=p.get("email") or None,
                          employee_no=p.get("employee_no") or None, phone=p.get("phone") or None,
                          must_change_password=True))
    db.add_all(users)
    db.flush()
    for user, p in zip(users, people, strict=True):
        record(db, actor_id=actor_id, action="create", entity="user", entity_id=user.id, flush=False,
               new={"username": user.username, "display_name": user.display_name, "unit_id": user.unit_id,
                    **({"employee_no": user.employee_no} if user.employee_no else {})})
        for role, unit_id, rank in sorted(set(check_role(db, *r) for r in p.get("roles", ()))):
            db.add(RoleMembership(user_id=user.id, role=role, unit_id=unit_id, leader_rank=rank))
            record(db, actor_id=actor_id, action="add_role", entity="user", entity_id=user.id, flush=False,
                   new={"role": role, "unit_id": unit_id, "leader_rank": rank})
    db.flush()
    return users


def add_role(db: Session, *, actor_id: int | None, user: User, role: str, unit_id: int | None = None,
             leader_rank: str | None = None) -> RoleMembership:
    role, unit_id, leader_rank = check_role(db, role, unit_id, leader_rank)
    existing = db.exec(
        select(RoleMembership).where(RoleMembership.user_id == user.id, RoleMembership.role == role,
                                     RoleMembership.unit_id == unit_id)
    ).first()
    if existing:
        return existing
    membership = RoleMembership(user_id=user.id, role=role, unit_id=unit_id, leader_rank=leader_rank)
    db.add(membership)
    db.flush()
    record(db, actor_id=actor_id, action="add_role", entity="user", entity_id=user.id,
           new={"role": role, "unit_id": unit_id, "leader_rank": leader_rank})
    return membership


def remove_role(db: Session, *, actor_id: int, membership_id: int) -> None:
    membership = db.get(RoleMembership, membership_id)
    if membership is None:
        raise ServiceError("该角色已不存在。")
    if membership.user_id == actor_id and membership.role == "office":
        raise PermissionDenied("不能移除自己的目标办角色。")
    db.delete(membership)
    record(db, actor_id=actor_id, action="remove_role", entity="user", entity_id=membership.user_id,
           old={"role": membership.role, "unit_id": membership.unit_id, "leader_rank": membership.leader_rank})
    db.flush()


def profile_stamp(user: User) -> str:
    """The version of an account's profile as its page shows it (no version column)."""
    return hashlib.sha256(repr((user.display_name, user.email, user.employee_no)).encode()).hexdigest()[:16]


def update_profile(db: Session, *, actor_id: int, user_id: int, display_name: str, email: str | None,
                   employee_no: str | None, expected_stamp: str | None = None) -> User:
    """Change an account's name, e-mail address and 工号 (the staff number campus sign-in matches).
    ``expected_stamp``: the :func:`profile_stamp` the page showed; refused when changed since."""
    user = db.get(User, user_id)
    if user is None:
        raise ServiceError("用户不存在。")
    if expected_stamp and expected_stamp != profile_stamp(user):
        raise StaleData(f"打开本页后「{user.display_name}」的资料已被他人修改，未保存。请查看当前内容后重新修改。")
    display_name = (display_name or "").strip()
    if not display_name:
        raise ServiceError("请填写姓名。", field="display_name")
    email = (email or "").strip() or None
    employee_no = (employee_no or "").strip() or None
    if employee_no and db.exec(select(User).where(User.employee_no == employee_no, User.id != user.id)).first():
        raise ServiceError(f"工号「{employee_no}」已被其他账号使用。", field="employee_no")
    old = {"display_name": user.display_name, "email": user.email, "employee_no": user.employee_no}
    new = {"display_name": display_name, "email": email, "employee_no": employee_no}
    if old != new:
        user.display_name, user.email, user.employee_no = display_name, email, employee_no
        db.add(user)
        record(db, actor_id=actor_id, action="update", entity="user", entity_id=user.id, old=old, new=new)
    db.flush()
    return user


def reset_password(db: Session, *, actor_id: int, user_id: int, password: str) -> None:
    user = db.get(User, user_id)
    if user is None:
        raise ServiceError("用户不存在。")
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    db.add(user)
    db.exec(delete(LoginSession).where(LoginSession.user_id == user.id))
    record(db, actor_id=actor_id, action="reset_password", entity="user", entity_id=user.id)


# Initial passwords: 12 characters from the vote-code alphabet (no 0/O, 1/I/L), about 69 bits,
# with at least one letter and one digit. They are hashed with a lighter argon2id (t=1, 8 MiB,
# p=1; about 5 ms instead of about 160 ms) in a few threads, so that importing 800 people takes
# seconds, not minutes, inside one web request: guessing a random 69-bit password costs 2^68
# hashes on average whatever the hash, and it must be changed at the first sign-in, after which
# the account's own password gets the full cost (:func:`hash_password`).
INITIAL_PASSWORD_LEN = 12
_PASSWORD_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"


def new_initial_password() -> str:
    while True:
        pw = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(INITIAL_PASSWORD_LEN))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


def initial_passwords(n: int) -> list[tuple[str, str]]:
    """``n`` fresh random passwords with their hashes: ``[(password, hash), …]``."""
    from concurrent.futures import ThreadPoolExecutor

    cfg = current_app.config
    hasher = PasswordHasher(time_cost=1, memory_cost=min(8192, cfg["ARGON2_MEMORY_COST"]), parallelism=1)
    passwords = [new_initial_password() for _ in range(n)]
    if n <= 4:
        return [(pw, hasher.hash(pw)) for pw in passwords]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(zip(passwords, pool.map(hasher.hash, passwords), strict=True))


def reset_passwords(db: Session, *, actor_id: int, user_ids: list[int]) -> list[tuple[User, str]]:
    """Give each selected account a new random password (forced to change at the next sign-in,
    signed out everywhere). Returns ``[(user, password), …]`` for the slips; the passwords are
    nowhere else (the audit entry records only that a reset happened)."""
    users = list(db.exec(select(User).where(User.id.in_(set(user_ids or []))).order_by(User.id)))
    if not users:
        raise ServiceError("请先勾选要重置密码的账号。")
    out = []
    for user, (password, hashed) in zip(users, initial_passwords(len(users)), strict=True):
        user.password_hash = hashed
        user.must_change_password = True
        db.add(user)
        db.exec(delete(LoginSession).where(LoginSession.user_id == user.id))
        record(db, actor_id=actor_id, action="reset_password", entity="user", entity_id=user.id, new={"bulk": True})
        out.append((user, password))
    db.flush()
    return out


def set_active(db: Session, *, actor_id: int, user_id: int, active: bool, reason: str) -> None:
    user = db.get(User, user_id)
    if user is None:
        raise ServiceError("用户不存在。")
    if user.id == actor_id and not active:
        raise PermissionDenied("不能停用自己的账号。")
    if not (reason or "").strip():
        raise ServiceError("请填写原因。", field="reason")
    if user.active != active:
        user.active = active
        db.add(user)
        if not active:
            db.exec(delete(LoginSession).where(LoginSession.user_id == user.id))
        record(db, actor_id=actor_id, action="activate" if active else "deactivate", entity="user",
               entity_id=user.id, old={"active": not active}, new={"active": active}, reason=reason)
    db.flush()
