"""Leader evaluation (领导班子评价): one sheet per (cycle, school leader), one rating per
(cycle, unit, leader).

Scores are stored as integer hundredths (``score_cents``): exact on SQLite and PostgreSQL alike;
``score`` gives the Decimal. A sheet's ``version`` guards the whole page against stale forms.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import UTCDateTime, utcnow


class LeaderSheet(SQLModel, table=True):
    """A leader's evaluation sheet for a cycle: who, which rank (snapshot), finished or not."""

    __tablename__ = "leader_sheet"
    __table_args__ = (UniqueConstraint("cycle_id", "leader_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    leader_id: int = Field(foreign_key="user_account.id", index=True)
    rank: str = Field(max_length=20)  # principal | deputy, as held when the sheet was started
    finished: bool = Field(default=False)
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class LeaderRating(SQLModel, table=True):
    __tablename__ = "leader_rating"
    __table_args__ = (UniqueConstraint("sheet_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(foreign_key="leader_sheet.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    score_cents: int  # 0 … 10000 (0.00 … 100.00)
    comment: str = Field(default="", max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def score(self) -> Decimal:
        return (Decimal(self.score_cents) / 100).quantize(Decimal("0.01"))


class LeaderRatingChange(SQLModel, table=True):
    """The sealed history of a rating. The audit trail records who changed which unit's rating
    and points here (values withheld: the office must not see what a leader gave before the
    stage closes); after the leader stage closes the office reads the old and new values here."""

    __tablename__ = "leader_rating_change"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    sheet_id: int = Field(foreign_key="leader_sheet.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    old_cents: int | None = None
    new_cents: int | None = None
    old_comment: str | None = Field(default=None, max_length=1000)
    new_comment: str | None = Field(default=None, max_length=1000)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
