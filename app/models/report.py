"""Self-reports (自查自评): a unit's report for a cycle, its per-indicator entries, evidence.

A report has a *draft* (what the unit is editing, seen only by that unit) and the *submitted*
snapshot (what the office, the scorers and, once published, every reader see). Submitting
copies the draft into the snapshot; the office may return a submitted report with a comment,
after which the unit revises the draft and submits again.
"""

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import JSONType, UTCDateTime, utcnow

REPORT_STATUS = {"draft": "草稿", "submitted": "已提交", "returned": "已退回修改"}

# The overall narrative sections of a report (after the Jiangmen self-evaluation document).
REPORT_SECTIONS = {
    "summary": "基本情况与年度工作完成情况",
    "highlights": "工作亮点与特色",
    "problems": "存在的问题",
    "measures": "整改措施及下一步打算",
    # Asked only of a unit that had a rectification task (整改) in the previous cycle.
    "rectification": "上一年度整改方案落实情况",
}


class SelfReport(SQLModel, table=True):
    __tablename__ = "self_report"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    status: str = Field(default="draft", max_length=20)
    # Draft texts by section key (see REPORT_SECTIONS); the submitted snapshot beside it.
    texts: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    submitted_texts: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    submitted_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    return_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    returned_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)

    @property
    def status_label(self) -> str:
        return REPORT_STATUS.get(self.status, self.status)

    @property
    def ever_submitted(self) -> bool:
        return self.submitted_at is not None


class ReportEntry(SQLModel, table=True):
    """The unit's facts and narrative for one indicator (draft and submitted snapshot)."""

    __tablename__ = "report_entry"
    __table_args__ = (UniqueConstraint("report_id", "indicator_code"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="self_report.id", index=True)
    indicator_code: str = Field(max_length=40)
    facts: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    narrative: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    submitted_facts: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    submitted_narrative: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)


class Evidence(SQLModel, table=True):
    """A file or a link backing a report (``indicator_code`` empty: the report as a whole).
    Files live under UPLOAD_FOLDER with a random ``stored_name``; they are only ever served as
    attachments. ``submitted`` evidence is visible beyond the unit (set when the report is submitted)."""

    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="self_report.id", index=True)
    indicator_code: str | None = Field(default=None, max_length=40)
    kind: str = Field(max_length=10)  # file | link
    title: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=1000)
    original_name: str | None = Field(default=None, max_length=255)
    stored_name: str | None = Field(default=None, max_length=80)
    file_type: str | None = Field(default=None, max_length=10)  # pdf png jpg docx xlsx doc xls
    size: int | None = Field(default=None)
    sha256: str | None = Field(default=None, max_length=64)
    submitted: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
