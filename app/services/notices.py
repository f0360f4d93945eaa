"""In-app notices, each with an e-mail copy when SMTP is configured and the person has an
address. A notice only records that its e-mail is pending; the scheduler's ``mail`` job
(:mod:`app.services.mail`) sends it, so no web request ever waits on a mail server."""

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from app.models import Notice, User
from app.models.base import utcnow

from . import ServiceError
from .audit import record


def notify(db: Session, *, user_id: int, title: str, body: str = "", link: str | None = None,
           dedupe_key: str | None = None) -> Notice | None:
    """Store a notice; with a ``dedupe_key`` it is stored at most once (also across processes)."""
    if dedupe_key:
        exists = db.exec(select(Notice.id).where(Notice.dedupe_key == dedupe_key)).first()
        if exists:
            return None
    notice = Notice(user_id=user_id, title=title, body=body, link=link, dedupe_key=dedupe_key,
                    email_status=_email_wanted(db, user_id))
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




def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def _email_wanted(db: Session, user_id: int) -> str | None:
    if not mail_configured():
        return None
    user = db.get(User, user_id)
    return "pending" if user is not None and user.email else None


def queue_test_mail(db: Session, *, actor: User) -> Notice:
    """A test message to the office member's own address, through the same queue as every
    notice (the scheduler sends it; the settings page shows the outcome)."""
    if not mail_configured():
        raise ServiceError("尚未配置邮件服务器（KPI_SMTP_HOST），无法发送测试邮件。")
    if not actor.email:
        raise ServiceError("您的账号没有填写电子邮箱，请先在“用户与角色”中为自己的账号填写邮箱。")
    notice = notify(
        db,
        user_id=actor.id,
        title="综合目标考核系统测试邮件",
        body=f"这是综合目标考核系统发给 {actor.display_name} 的测试邮件。"
        "收到本邮件说明系统的邮件发送设置正确，无需回复。",
    )
    record(db, actor_id=actor.id, action="test_mail", entity="notice", entity_id=notice.id, new={"to": actor.email})
    return notice


EMAIL_STATUS_LABELS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}


def email_outcomes(db: Session, *, limit: int = 30) -> list[tuple[Notice, User]]:
    """The latest notices with an e-mail copy and their recipients, newest first."""
    rows = db.exec(select(Notice, User).join(User, User.id == Notice.user_id)
                   .where(Notice.email_status != None)  # noqa: E711
                   .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit))
    return list(rows)
