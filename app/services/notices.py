"""In-app notices and e-mail (when SMTP is configured)."""

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from app.models import Notice, User
from app.models.base import utcnow


def notify(db: Session, *, user_id: int, title: str, body: str = "", link: str | None = None,
           dedupe_key: str | None = None) -> Notice | None:
    """Store a notice; with a ``dedupe_key`` it is stored at most once (also across processes)."""
    if dedupe_key:
        exists = db.exec(select(Notice.id).where(Notice.dedupe_key == dedupe_key)).first()
        if exists:
            return None
    notice = Notice(user_id=user_id, title=title, body=body, link=link, dedupe_key=dedupe_key)
    try:
        with db.begin_nested():
            db.add(notice)
            db.flush()
    except IntegrityError:
        return None
    return notice


def unread_count(db: Session, user_id: int) -> int:
    return db.exec(select(func.count()).select_from(Notice).where(Notice.user_id == user_id,
                                                                  Notice.read_at == None)).one()  # noqa: E711


def recent(db: Session, user_id: int, limit: int = 50) -> list[Notice]:
    return list(db.exec(select(Notice).where(Notice.user_id == user_id).order_by(Notice.created_at.desc(),
                                                                                   Notice.id.desc()).limit(limit)))


def mark_read(db: Session, *, user_id: int) -> None:
    for notice in db.exec(select(Notice).where(Notice.user_id == user_id, Notice.read_at == None)):  # noqa: E711
        notice.read_at = utcnow()
        db.add(notice)
    db.flush()


def send_email(to: str, subject: str, body: str) -> bool:
    """Send one e-mail if SMTP is configured; return whether it was sent."""
    cfg = current_app.config
    if not cfg.get("SMTP_HOST") or not to:
        return False
    msg = EmailMessage()
    msg["From"] = cfg["SMTP_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=20) as smtp:
        if cfg.get("SMTP_TLS"):
            smtp.starttls()
        if cfg.get("SMTP_USER"):
            smtp.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD") or "")
        smtp.send_message(msg)
    return True


def email_pending(db: Session, notices: list[Notice]) -> int:
    sent = 0
    for notice in notices:
        user = db.get(User, notice.user_id)
        if user and user.email and not notice.emailed:
            try:
                if send_email(user.email, notice.title, notice.body):
                    notice.emailed = True
                    db.add(notice)
                    sent += 1
            except (OSError, smtplib.SMTPException):
                current_app.logger.exception("e-mail to %s failed", user.email)
    db.flush()
    return sent
