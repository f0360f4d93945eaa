"""Results of a cycle: the stored snapshot, deliberation and objection overrides, objections.

A cycle has at most one :class:`ResultSet`. Its status moves one way only:
``proposed`` (拟定, recomputed from the inputs on demand) → ``fixed`` (已定稿, frozen) →
``published`` (公示中, objections possible) → ``final`` (最终结果, nothing changes any more).
Scores are stored as ``Numeric(8, 2)`` columns for sorting and as strings inside the JSON
detail (exact Decimals); the JSON is what the pages, the workbook and the API read.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import JSONType, UTCDateTime, utcnow

RESULT_STATUSES = {"proposed": "拟定（审议中）", "fixed": "已定稿", "published": "公示中", "final": "最终结果"}
VISIBLE_STATUSES = ("published", "final")  # what the public may see
OVERRIDE_KINDS = {"total": "调整总分", "grade": "调整等次", "fail": "认定不合格"}
OVERRIDE_SOURCES = {"deliberation": "领导小组审议", "objection": "异议更正"}
OBJECTION_STATUSES = {"open": "待答复", "upheld": "异议成立（已更正）", "rejected": "不予采纳"}


def _score_column(nullable: bool = False) -> Column:
    return Column(Numeric(8, 2, asdecimal=True), nullable=nullable)


class ResultSet(SQLModel, table=True):
    __tablename__ = "result_set"
    __table_args__ = (UniqueConstraint("cycle_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    status: str = Field(default="proposed", max_length=12)
    scheme_key: str = Field(default="", max_length=64)
    scheme_version: int = Field(default=0)
    normalisation: str = Field(default="scale", max_length=8)
    fingerprint: str = Field(default="", max_length=64)  # sha256 of the computed payload
    # warnings, grading inputs, awards, ballot summary, turnout, last changes, missing inputs
    data: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    computed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    fixed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    fixed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    published_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    notice_from: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    notice_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    final_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    final_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    final_how: str | None = Field(default=None, max_length=20)  # office | period_end
    version: int = Field(default=1)

    @property
    def status_label(self) -> str:
        return RESULT_STATUSES.get(self.status, self.status)

    @property
    def is_visible(self) -> bool:
        return self.status in VISIBLE_STATUSES


class ResultRow(SQLModel, table=True):
    """One unit's result. ``computed_*`` are the engine's numbers; ``total``/``rank``/``grade``
    are after the overrides. ``detail`` holds every explanation (components, indicator tree,
    normalisations, grading)."""

    __tablename__ = "result_row"
    __table_args__ = (UniqueConstraint("result_set_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    result_set_id: int = Field(foreign_key="result_set.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    unit_name: str = Field(max_length=100)
    category: str = Field(max_length=20)
    subtype: str = Field(max_length=20)
    position: int = Field(default=0)
    democratic: Decimal = Field(default=Decimal(0), sa_column=_score_column())
    target: Decimal = Field(default=Decimal(0), sa_column=_score_column())
    target_raw: Decimal = Field(default=Decimal(0), sa_column=_score_column())
    leader: Decimal = Field(default=Decimal(0), sa_column=_score_column())
    computed_total: Decimal = Field(default=Decimal(0), sa_column=_score_column())
    total: Decimal = Field(default=Decimal(0), sa_column=_score_column())
    computed_rank: int = Field(default=0)
    rank: int = Field(default=0)
    grade: str = Field(default="", max_length=10)
    provisional: bool = Field(default=False)
    flags: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    detail: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class ResultOverride(SQLModel, table=True):
    """A recorded change of a unit's result: by the leadership group in deliberation, or by the
    office upholding an objection. Never edited or deleted; a later one of the same kind wins."""

    __tablename__ = "result_override"

    id: int | None = Field(default=None, primary_key=True)
    result_set_id: int = Field(foreign_key="result_set.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    kind: str = Field(max_length=10)  # total | grade | fail
    old_value: str = Field(default="", max_length=20)
    new_value: str = Field(default="", max_length=20)
    reason: str = Field(max_length=2000)
    source: str = Field(default="deliberation", max_length=12)  # deliberation | objection
    objection_id: int | None = Field(default=None, foreign_key="result_objection.id")
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def kind_label(self) -> str:
        return OVERRIDE_KINDS.get(self.kind, self.kind)

    @property
    def source_label(self) -> str:
        return OVERRIDE_SOURCES.get(self.source, self.source)


class Objection(SQLModel, table=True):
    """An objection to a unit's published result, lodged during the notice period."""

    __tablename__ = "result_objection"

    id: int | None = Field(default=None, primary_key=True)
    result_set_id: int = Field(foreign_key="result_set.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    user_id: int = Field(foreign_key="user_account.id")
    text: str = Field(max_length=4000)
    status: str = Field(default="open", max_length=10)  # open | upheld | rejected
    answer: str | None = Field(default=None, max_length=4000)
    answered_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    version: int = Field(default=1)

    @property
    def status_label(self) -> str:
        return OBJECTION_STATUSES.get(self.status, self.status)
