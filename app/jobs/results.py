"""Closing the objection window: published results become final when the publication stage
(the notice period) has closed. Idempotent: a result set already final is left alone."""

from datetime import datetime

from sqlmodel import Session

from app.services.results import close_due

from . import job


@job("close_objections")
def close_objections(db: Session, now: datetime) -> str:
    done = close_due(db, now)
    return f"公示期结束，确定最终结果的周期 {len(done)} 个" + (f"（{', '.join(map(str, done))}）" if done else "")
