"""Send the pending e-mail copies of notices (reminders, returned reports, objections, test
messages), with retries: see :mod:`app.services.mail`. Web requests only record them."""

from datetime import datetime

from sqlmodel import Session

from app.services import mail

from . import job


@job("mail")
def send_mail(db: Session, now: datetime) -> str:
    return mail.send_pending(db, now=now).summary()
