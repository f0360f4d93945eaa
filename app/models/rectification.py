"""Rectification (整改) of a unit graded 不合格: after publication the office opens one task per such
unit with a deadline for the plan; the unit's reporters submit a plan (causes, measures, the person
responsible, the date by which it is carried out); the office returns it with comments or accepts it.

``status``: ``open`` (no plan yet) → ``submitted`` → ``returned`` (revise and submit again) or
``accepted`` (final).
"""

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import UTCDateTime, utcnow

RECTIFICATION_STATUSES = {"open": "待提交", "submitted": "待审核", "returned": "已退回修改", "accepted": "已通过"}


class Rectification(SQLModel, table=True):
    __tablename__ = "rectification"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    grade: str = Field(max_length=10)
    status: str = Field(default="open", max_length=20)
    plan_due: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    causes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    measures: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    owner: str = Field(default="", max_length=100)
    complete_by: date | None = Field(default=None)
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    submitted_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    review_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    reviewed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    version: int = Field(default=1)

    @property
    def status_label(self) -> str:
        return RECTIFICATION_STATUSES.get(self.status, self.status)
