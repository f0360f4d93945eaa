"""Schemes, cycles and their stages."""

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint, cast
from sqlalchemy.orm import column_property, deferred
from sqlmodel import Field, SQLModel

from .base import JSONType, UTCDateTime, utcnow


class Scheme(SQLModel, table=True):
    """A versioned assessment scheme (the rubric as data, see app/rubric)."""

    __tablename__ = "scheme"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64)
    version: int = Field(default=1)
    name: str = Field(max_length=200)
    data: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


_SCHEME_DATA = Column("scheme_data", JSONType, nullable=False)


class Cycle(SQLModel, table=True):
    """One assessment year (学年度). ``scheme_data`` is the snapshot taken at creation: editing
    a scheme later never changes a past cycle. It is loaded only when read (deferred): most
    pages list or look up cycles without their scheme, and ten cycles' snapshots are most of
    what a cycle query would otherwise decode. ``scheme_text`` is the same snapshot as stored (its
    JSON text, not decoded; read only), by which app.services.schemes finds the scheme it loaded before."""

    __tablename__ = "cycle"
    __mapper_args__ = {"properties": {"scheme_data": deferred(_SCHEME_DATA),
                                      "scheme_text": column_property(cast(_SCHEME_DATA, Text), deferred=True)}}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    period_start: date
    period_end: date
    scheme_id: int | None = Field(default=None, foreign_key="scheme.id")
    scheme_data: dict = Field(default_factory=dict, sa_column=_SCHEME_DATA)
    archived: bool = Field(default=False)
    version: int = Field(default=1)  # optimistic lock for edits
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Stage(SQLModel, table=True):
    """One stage of a cycle; ``kind`` is a key of ``app.services.stages.STAGE_LABELS``."""

    __tablename__ = "stage"
    __table_args__ = (UniqueConstraint("cycle_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    kind: str = Field(max_length=20)
    opens_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    closes_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # Reminder offsets in hours before closes_at, e.g. [72, 24].
    reminder_hours: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    version: int = Field(default=1)


class StageOverride(SQLModel, table=True):
    """A manual decision of the office on a stage: ``reopen`` until a time, or ``close`` now.
    The latest override wins over the planned times."""

    __tablename__ = "stage_override"

    id: int | None = Field(default=None, primary_key=True)
    stage_id: int = Field(foreign_key="stage.id", index=True)
    action: str = Field(max_length=10)  # reopen | close
    until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    reason: str = Field(max_length=1000)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
