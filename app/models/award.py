"""Contribution award (突出贡献奖), excellence eligibility (优秀格次申报) and vetoes (一票否决).

* ``AwardApplication``: a unit's application for the award; the office pre-checks it
  (``submitted`` → ``accepted`` for review, or ``returned`` with a reason; the unit may revise a
  returned application and submit it again). ``AwardVote``: one vote per (application, group
  member), changeable until the award stage closes.
* ``ExcellenceApplication``: a unit's application for 优秀 eligibility (one per unit and cycle);
  the leadership group, or the office on its behalf (recorded), accepts or rejects it.
* ``Veto``: a condition that bars 优秀, recorded by the office; withdrawn only with a reason.
* ``AttachedFile``: evidence files of any of the three (``owner`` + ``owner_id``), stored outside
  the web root under random names.
"""

from datetime import date, datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import JSONType, UTCDateTime, utcnow

AWARD_LEVELS = ["国家级", "省级", "市级", "校级", "其他"]
AWARD_STATUS = {"submitted": "待初审", "accepted": "评审中", "returned": "已退回修改"}
EXCELLENCE_CONDITIONS = {
    "innovation": "具有一项创新性工作并取得相应成效",
    "breakthrough": "在学校年度工作要点推进中取得突破性进展或作出突出成绩",
}
EXCELLENCE_STATUS = {"submitted": "待领导小组审核", "accepted": "已认定", "rejected": "未认定"}


class AwardApplication(SQLModel, table=True):
    __tablename__ = "award_application"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    title: str = Field(max_length=200)  # the achievement
    level: str = Field(max_length=20)
    achieved_on: date
    issuer: str = Field(max_length=200)  # the issuing body
    description: str = Field(default="", max_length=4000)
    links: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    status: str = Field(default="submitted", max_length=20)
    return_reason: str | None = Field(default=None, max_length=2000)
    submitted_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    reviewed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def status_label(self) -> str:
        return AWARD_STATUS.get(self.status, self.status)


class AwardVote(SQLModel, table=True):
    __tablename__ = "award_vote"
    __table_args__ = (UniqueConstraint("application_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="award_application.id", index=True)
    member_id: int = Field(foreign_key="user_account.id", index=True)
    approve: bool
    comment: str = Field(default="", max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ExcellenceApplication(SQLModel, table=True):
    __tablename__ = "excellence_application"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    condition: str = Field(max_length=20)  # innovation | breakthrough
    title: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    links: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    status: str = Field(default="submitted", max_length=20)
    decision_reason: str | None = Field(default=None, max_length=2000)
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_on_behalf: bool = Field(default=False)  # the office recorded the group's decision
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    submitted_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def status_label(self) -> str:
        return EXCELLENCE_STATUS.get(self.status, self.status)

    @property
    def condition_label(self) -> str:
        return EXCELLENCE_CONDITIONS.get(self.condition, self.condition)


class Veto(SQLModel, table=True):
    __tablename__ = "veto"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    condition: str = Field(max_length=40)  # a key of the scheme's vetoes, or "other"
    condition_text: str = Field(max_length=500)  # the condition's wording when recorded
    reason: str = Field(max_length=2000)
    links: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    recorded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    withdrawn: bool = Field(default=False)
    withdraw_reason: str | None = Field(default=None, max_length=2000)
    withdrawn_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    version: int = Field(default=1)


class AttachedFile(SQLModel, table=True):
    """An evidence file of an award application (``award``), an excellence application
    (``excellence``) or a veto (``veto``)."""

    __tablename__ = "attached_file"

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=20, index=True)
    owner_id: int = Field(index=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    original_name: str = Field(max_length=255)
    stored_name: str = Field(max_length=64, unique=True)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
