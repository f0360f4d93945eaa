"""The audit trail every write goes through, and in-app notices."""

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import JSONType, UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id", index=True)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    old_value: dict | list | str | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    new_value: dict | list | str | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    reason: str | None = Field(default=None, max_length=2000)


class Notice(SQLModel, table=True):
    """An in-app notice. ``dedupe_key`` makes a reminder idempotent: the same reminder for the
    same person is stored once however many processes try."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=4000)
    link: str | None = Field(default=None, max_length=300)
    dedupe_key: str | None = Field(default=None, max_length=200)
    # E-mail copy, sent by the scheduler's "mail" job: None (in-app only), "pending", "sent" or
    # "failed" (gave up after the attempt limit); attempts, the next try and the last error.
    email_status: str | None = Field(default=None, max_length=10, index=True)
    email_attempts: int = Field(default=0)
    email_next_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    email_sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    email_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class JobRun(SQLModel, table=True):
    """One row per (job, trigger): whoever inserts it runs the job; everyone else skips."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "trigger_key"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    trigger_key: str = Field(max_length=128)
    runner: str = Field(default="", max_length=128)
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    result: str | None = Field(default=None, max_length=2000)
