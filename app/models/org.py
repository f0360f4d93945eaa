"""The organisation: units, users, role memberships and sign-in sessions."""

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import UTCDateTime, utcnow

CATEGORY_LABELS = {"college": "院部", "department": "部门"}
SUBTYPES = {
    "college": ["二级学院", "基础课教学部", "思想政治教学部", "继续教育学院"],
    "department": ["职能部门"],
}

# Roles. The anonymous intranet reader is "not signed in" and needs no row.
ROLE_LABELS = {
    "office": "目标办",
    "reporter": "单位填报员",
    "scorer": "考核评分员",
    "leader": "校领导",
    "group": "领导小组成员",
    "voter": "测评投票人",
}
LEADER_RANKS = {"principal": "正职", "deputy": "副职"}


class Unit(SQLModel, table=True):
    __tablename__ = "unit"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    short_name: str = Field(default="", max_length=40)
    category: str = Field(max_length=20, index=True)  # college | department
    subtype: str = Field(max_length=20)
    active: bool = Field(default=True)
    position: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=64)
    password_hash: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=255)
    # 工号: the staff number the college knows a person by; the organisation workbook and a campus
    # sign-in (LDAP, CAS) match people by it
    employee_no: str | None = Field(default=None, max_length=32, unique=True)
    phone: str | None = Field(default=None, max_length=40)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)  # the unit one works in
    active: bool = Field(default=True)
    must_change_password: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class RoleMembership(SQLModel, table=True):
    """A role a user holds. ``unit_id`` binds a reporter to its unit and a scorer to its
    functional department; ``leader_rank`` is principal or deputy for school leaders."""

    __tablename__ = "role_membership"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    role: str = Field(max_length=20)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    leader_rank: str | None = Field(default=None, max_length=20)


class LoginSession(SQLModel, table=True):
    """One signed-in browser. The cookie holds only the random id; logout deletes the row, so
    a copied cookie is worthless afterwards. A row ends after ``SESSION_IDLE_MINUTES`` without a
    request (``last_seen_at``, refreshed at most every few minutes) or ``SESSION_MAX_HOURS`` after
    the sign-in (``created_at``), whichever comes first; the ``sessions_expire`` job deletes it.
    ``via`` says how the person signed in (password, ldap, cas): a campus sign-in is not sent to
    change a local password it did not use.
    ``cas_ticket`` is the CAS service ticket a CAS sign-in was validated with: the CAS server's
    single sign-out names it."""

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    via: str = Field(default="password", max_length=10)
    cas_ticket: str | None = Field(default=None, max_length=256, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime | None = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=True))


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per user name and per address (key ``u:name`` or ``ip:addr``)."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=160)
    failures: int = Field(default=0)
    first_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
