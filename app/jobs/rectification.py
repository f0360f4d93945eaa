"""Reminders before a rectification plan is due (see :func:`app.services.rectification.due_reminders`)."""

from datetime import datetime

from sqlmodel import Session

from app.services.rectification import due_reminders

from . import job


@job("rectification_reminders")
def rectification_reminders(db: Session, now: datetime) -> str:
    return f"发送整改提醒 {due_reminders(db, now)} 条"
