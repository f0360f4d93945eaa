"""Sending the pending e-mail copies of notices: called by the scheduler's ``mail`` job only.

Each pending notice is claimed before it is sent (its attempt count goes up and its next try
moves a lease ahead, committed), so two schedulers never send the same notice at once. After
a send the outcome is recorded on the notice: sent (with the time) or the error; a failed send
is retried after ``SMTP_RETRY_SECONDS``, doubling each time, until ``SMTP_MAX_ATTEMPTS``
attempts, when it is marked failed for good.

The connection: ``SMTP_SSL`` (implicit TLS) or plain with ``SMTP_TLS`` (STARTTLS), the server's
certificate verified (against ``SMTP_CA_FILE`` when given), then AUTH when ``SMTP_USER`` is set.
"""

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from sqlalchemy import or_, update
from sqlmodel import Session, select

from app.models import Notice, User
from app.models.base import utcnow

LEASE_SECONDS = 600  # a claimed notice is not tried again by anyone for this long
SEND_ERRORS = (OSError, smtplib.SMTPException, ssl.SSLError, UnicodeError)


@dataclass
class MailRun:
    sent: int = 0
    retry: int = 0
    failed: int = 0

    def summary(self) -> str:
        return f"发送邮件 {self.sent} 封，待重试 {self.retry} 封，放弃 {self.failed} 封"


def open_connection() -> smtplib.SMTP:
    cfg = current_app.config
    context = ssl.create_default_context(cafile=cfg.get("SMTP_CA_FILE") or None)
    host, port, timeout = cfg["SMTP_HOST"], cfg["SMTP_PORT"], cfg.get("SMTP_TIMEOUT", 20)
    if cfg.get("SMTP_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if cfg.get("SMTP_TLS"):
            smtp.starttls(context=context)
    try:
        if cfg.get("SMTP_USER"):
            smtp.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def build_message(notice: Notice, to: str) -> EmailMessage:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["SMTP_FROM"]
    msg["To"] = to
    msg["Subject"] = notice.title
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=cfg["SMTP_FROM"].rpartition("@")[2] or None)
    body = notice.body or notice.title
    if notice.link and cfg.get("PUBLIC_URL"):
        body += f"\n\n{cfg['PUBLIC_URL'].rstrip('/')}{notice.link}"
    msg.set_content(body + "\n\n——综合目标考核系统（本邮件由系统自动发送）")
    return msg


def _claim(db: Session, notice: Notice, now: datetime) -> bool:
    result = db.exec(
        update(Notice)
        .where(Notice.id == notice.id, Notice.email_status == "pending", Notice.email_attempts == notice.email_attempts)
        .values(email_attempts=notice.email_attempts + 1, email_next_at=now + timedelta(seconds=LEASE_SECONDS))
    )
    db.commit()
    return result.rowcount == 1


def _record(db: Session, notice_id: int, now: datetime, error: str | None, *, final: bool = False) -> str:
    """Store the outcome of one attempt; return "sent", "failed" (no more tries) or "retry"."""
    cfg = current_app.config
    notice = db.get(Notice, notice_id)
    db.refresh(notice)
    if error is None:
        notice.email_status, notice.email_sent_at = "sent", utcnow()
        notice.email_next_at, notice.email_error = None, None
    elif final or notice.email_attempts >= cfg["SMTP_MAX_ATTEMPTS"]:
        notice.email_status, notice.email_next_at, notice.email_error = "failed", None, error[:500]
    else:
        wait = cfg["SMTP_RETRY_SECONDS"] * 2 ** (notice.email_attempts - 1)
        notice.email_next_at, notice.email_error = now + timedelta(seconds=wait), error[:500]
    db.add(notice)
    db.commit()
    return notice.email_status if error is None or notice.email_status == "failed" else "retry"


def send_pending(db: Session, *, now: datetime, limit: int = 100) -> MailRun:
    """Send up to ``limit`` pending e-mails that are due at ``now``; one SMTP connection for the
    batch (opened again after a failure). Commits as it goes."""
    run = MailRun()
    if not current_app.config.get("SMTP_HOST"):
        return run
    due = list(db.exec(
        select(Notice).where(Notice.email_status == "pending",
                             or_(Notice.email_next_at == None, Notice.email_next_at <= now))  # noqa: E711
        .order_by(Notice.id).limit(limit)
    ))
    smtp = None
    try:
        for notice in due:
            notice_id = notice.id
            if not _claim(db, notice, now):
                continue  # another scheduler has it
            user = db.get(User, notice.user_id)
            if user is None or not user.email:  # the address was removed meanwhile: nothing to retry
                outcome = _record(db, notice_id, now, "收件人没有电子邮箱", final=True)
                setattr(run, outcome, getattr(run, outcome) + 1)
                continue
            error = None
            try:
                if smtp is None:
                    smtp = open_connection()
                smtp.send_message(build_message(notice, user.email))
            except SEND_ERRORS as exc:
                error = f"{type(exc).__name__}: {exc}"
                current_app.logger.warning("e-mail of notice %s to %s failed: %s", notice_id, user.email, error)
                if smtp is not None:
                    smtp.close()
                    smtp = None
            outcome = _record(db, notice_id, now, error)
            setattr(run, outcome, getattr(run, outcome) + 1)
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except SEND_ERRORS:
                smtp.close()
    return run
