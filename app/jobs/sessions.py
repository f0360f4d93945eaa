"""Delete sign-in sessions that have ended (idle past ``SESSION_IDLE_MINUTES`` or older than
``SESSION_MAX_HOURS``). The sign-in check refuses them anyway; this keeps the table small and
leaves no live-looking rows behind. Idempotent."""

from datetime import datetime

from sqlmodel import Session

from app.services import accounts

from . import job


@job("sessions_expire")
def expire_sessions(db: Session, now: datetime) -> str:
    idle, lifetime = accounts.session_limits()
    n = accounts.delete_expired_sessions(db, now=now, idle=idle, lifetime=lifetime)
    return f"清理过期登录 {n} 个"
