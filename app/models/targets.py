"""Budget-performance target tables (绩效目标表) as stored data.

A ``TargetTableRecord`` is one unit's table for one year (``project`` empty), or the table of one
of its projects (``project`` names it). ``data`` is ``app.rubric.targets.TargetTable.to_dict()``:
every value keeps its original text next to what was parsed. ``revision`` counts imports (a
re-import replaces ``data`` and archives the previous one in ``TargetTableVersion``); ``version``
is the optimistic lock of every change of the record (imports, the year-end report texts, the
budget line, the settings); ``actuals_stamp`` is a new random token whenever its actuals or evidence change.
``settings`` are the office's judging settings of the table (over-achievement policy, bands,
scoring; see ``app.rubric.tablesettings``), ``self_eval`` the unit's deductions of the overall
(部门整体) self-evaluation.

``TargetActual`` is the actual value a unit reported for one row (``position`` of the table's rows)
at one checkpoint (``half_year`` / ``full_year``): the original text as typed and its parse.
``TargetEvidence`` backs a row at a checkpoint with a file (stored under UPLOAD_FOLDER/targets with
a random name, served only as an attachment) or a link.

``TargetCheckpoint`` is the office's window for a year's checkpoint: while it is ``open`` the units
enter their actuals; ``closed`` locks them.
"""

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import JSONType, UTCDateTime, utcnow

CHECKPOINT_STATUS = {"open": "填报中", "closed": "已截止"}
# The columns ``app.services.target_overview`` keys each table's part of the overview pages on.
OVERVIEW_COLUMNS = ("id", "unit_id", "project", "version", "revision", "actuals_stamp", "updated_at", "created_at")
REPORT_STATUS = {"draft": "未提交", "submitted": "已提交待审核", "returned": "已退回修改", "accepted": "已审核通过"}


class TargetTableRecord(SQLModel, table=True):
    __tablename__ = "target_table"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "project"),
        # what the office's overview reads of every table of a year, without reading the tables
        Index("ix_target_table_overview", "year", *OVERVIEW_COLUMNS),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int = Field(index=True)
    project: str = Field(default="", max_length=200)  # "" = the unit's own (部门整体) table
    title: str = Field(default="", max_length=200)
    layout: str = Field(default="levels", max_length=20)
    data: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    source_name: str = Field(default="", max_length=255)
    revision: int = Field(default=1)
    # Year-end report (as in the Jiangmen self-evaluation): overall, problems, fixes.
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    problems: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    fixes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # 年初预算数 / 全年预算数 / 全年执行数 in 万元 as decimal strings (for the self-evaluation sheet).
    budget: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # The office's judging settings (``app.rubric.tablesettings.TableSettings.to_dict``; {} = defaults).
    settings: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False, default=dict))
    # The unit's overall self-evaluation entries: {"deductions": [{"dimension", "points", "reason"}]}.
    self_eval: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False, default=dict))
    # The office's review of the year-end report: draft → submitted → returned (with comments) | accepted.
    report_status: str = Field(default="draft", max_length=20)
    review_comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    reviewed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)
    # A new random token whenever the table's actuals or evidence change; with ``version`` it says
    # whether what is kept of the table (``app.web.targets.kept``) is still current (not a lock).
    actuals_stamp: str = Field(default="", max_length=32)


class TargetTableVersion(SQLModel, table=True):
    """A table's content as it was before a re-import replaced it."""

    __tablename__ = "target_table_version"
    __table_args__ = (UniqueConstraint("table_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    table_id: int = Field(foreign_key="target_table.id", index=True)
    revision: int
    data: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    source_name: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class TargetActual(SQLModel, table=True):
    __tablename__ = "target_actual"
    __table_args__ = (UniqueConstraint("table_id", "position", "checkpoint"),)

    id: int | None = Field(default=None, primary_key=True)
    table_id: int = Field(foreign_key="target_table.id", index=True)
    position: int
    checkpoint: str = Field(max_length=20)  # half_year | full_year
    text: str = Field(max_length=200)  # as typed
    parsed: dict | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 说明 / 偏差原因
    entered_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    entered_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)


class TargetEvidence(SQLModel, table=True):
    __tablename__ = "target_evidence"

    id: int | None = Field(default=None, primary_key=True)
    table_id: int = Field(foreign_key="target_table.id", index=True)
    position: int
    checkpoint: str = Field(max_length=20)
    kind: str = Field(max_length=10)  # file | link
    title: str = Field(default="", max_length=200)
    url: str | None = Field(default=None, max_length=1000)
    original_name: str | None = Field(default=None, max_length=255)
    stored_name: str | None = Field(default=None, max_length=64, unique=True)
    file_type: str | None = Field(default=None, max_length=10)
    size: int | None = None
    sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class TargetCheckpoint(SQLModel, table=True):
    __tablename__ = "target_checkpoint"
    __table_args__ = (UniqueConstraint("year", "checkpoint"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    checkpoint: str = Field(max_length=20)
    status: str = Field(default="open", max_length=10)  # open | closed
    due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def status_label(self) -> str:
        return CHECKPOINT_STATUS.get(self.status, self.status)
