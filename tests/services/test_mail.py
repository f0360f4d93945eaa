"""E-mail copies of notices, sent by the scheduler's mail job to a real SMTP server (aiosmtpd on
loopback, STARTTLS with a throw-away certificate, AUTH LOGIN): queued by notices, sent once,
retried with a doubling backoff up to the limit, the outcome recorded on the notice."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.extensions import db as database
from app.jobs import load_jobs, run_job
from app.models import Notice
from app.models.base import utcnow
from app.services import mail, notices
from tests.builders import campus as cs
from tests.builders import factories as f


@contextmanager
def _session(flask_app):
    with flask_app.app_context(), Session(database.engine, expire_on_commit=False) as s:
        yield s


def _notice(s, user, title="提醒：自查自评将于明天截止", body="请及时处理。"):
    n = notices.notify(s, user_id=user.id, title=title, body=body, link="/")
    s.commit()
    return n


def _person(s, name="anna", email="anna@example.edu"):
    u = f.user(s, name)
    u.email = email
    s.add(u)
    s.commit()
    return u


def test_a_notice_is_queued_only_when_mail_is_configured_and_the_person_has_an_address(app_factory, smtp_server):
    flask_app = app_factory(**smtp_server.config())
    with _session(flask_app) as s:
        with_address = _person(s)
        without = _person(s, "bob", None)
        assert _notice(s, with_address).email_status == "pending"
        assert _notice(s, without).email_status is None
    plain = app_factory()  # no SMTP host
    with _session(plain) as s:
        assert _notice(s, _person(s)).email_status is None
    assert smtp_server.messages == []  # queuing never talks to the server


def test_the_mail_job_sends_over_starttls_with_auth_login_and_records_it(app_factory, smtp_server):
    flask_app = app_factory(**smtp_server.config(PUBLIC_URL="https://kpi.example.edu"))
    with _session(flask_app) as s:
        anna = _person(s)
        n = _notice(s, anna)
        load_jobs()
        result = run_job(database.writer, "mail", tick_seconds=60)
        assert result == "发送邮件 1 封，待重试 0 封，放弃 0 封"
        s.expire_all()
        n = s.get(Notice, n.id)
        assert (n.email_status, n.email_attempts, n.email_error) == ("sent", 1, None)
        assert n.email_sent_at is not None
        # a second run sends nothing more
        assert mail.send_pending(s, now=utcnow()).sent == 0
    assert smtp_server.mechanisms == ["LOGIN"]
    [msg] = smtp_server.messages
    assert msg["To"] == "anna@example.edu" and msg["From"] == "kpi@example.edu"
    assert msg["Subject"] == "提醒：自查自评将于明天截止"
    text = msg.get_content()
    assert "请及时处理。" in text and "https://kpi.example.edu/" in text


def test_a_failed_send_is_retried_with_backoff_then_given_up(app_factory, smtp_server):
    closed = cs.free_port()
    cfg = smtp_server.config(SMTP_PORT=closed, SMTP_MAX_ATTEMPTS=3, SMTP_RETRY_SECONDS=60)
    flask_app = app_factory(**cfg)
    t0 = utcnow()
    with _session(flask_app) as s:
        n = _notice(s, _person(s))
        assert mail.send_pending(s, now=t0).retry == 1
        s.expire_all()
        n = s.get(Notice, n.id)
        assert (n.email_status, n.email_attempts) == ("pending", 1)
        assert "ConnectionRefusedError" in n.email_error
        assert n.email_next_at == t0 + timedelta(seconds=60)
        # not due yet: nothing is tried
        assert mail.send_pending(s, now=t0 + timedelta(seconds=59)).retry == 0
        s.expire_all()
        assert s.get(Notice, n.id).email_attempts == 1
        # second attempt, then the wait doubles
        t1 = t0 + timedelta(seconds=61)
        assert mail.send_pending(s, now=t1).retry == 1
        s.expire_all()
        n = s.get(Notice, n.id)
        assert n.email_attempts == 2 and n.email_next_at == t1 + timedelta(seconds=120)
        # third attempt is the last: failed for good, never tried again
        t2 = t1 + timedelta(seconds=121)
        assert mail.send_pending(s, now=t2).failed == 1
        s.expire_all()
        n = s.get(Notice, n.id)
        assert (n.email_status, n.email_attempts, n.email_next_at) == ("failed", 3, None)
        assert mail.send_pending(s, now=t2 + timedelta(days=1)).failed == 0
    assert smtp_server.messages == []


def test_a_send_that_fails_once_succeeds_on_the_retry(app_factory, smtp_server):
    flask_app = app_factory(**smtp_server.config(SMTP_PASSWORD="wrong-password", SMTP_RETRY_SECONDS=30))
    t0 = utcnow()
    with _session(flask_app) as s:
        n = _notice(s, _person(s))
        assert mail.send_pending(s, now=t0).retry == 1
        s.expire_all()
        assert "SMTPAuthenticationError" in s.get(Notice, n.id).email_error
        assert smtp_server.messages == []
        flask_app.config["SMTP_PASSWORD"] = cs.SMTP_PASSWORD  # the IT office fixes the password
        assert mail.send_pending(s, now=t0 + timedelta(seconds=31)).sent == 1
        s.expire_all()
        n = s.get(Notice, n.id)
        assert (n.email_status, n.email_attempts, n.email_error) == ("sent", 2, None)
    assert len(smtp_server.messages) == 1


def test_a_refused_recipient_does_not_stop_the_others(app_factory, smtp_server):
    smtp_server.refuse.append("gone@example.edu")
    flask_app = app_factory(**smtp_server.config())
    with _session(flask_app) as s:
        gone = _notice(s, _person(s, "gone", "gone@example.edu"))
        ok = _notice(s, _person(s, "bob", "bob@example.edu"))
        run = mail.send_pending(s, now=utcnow())
        assert (run.sent, run.retry) == (1, 1)
        s.expire_all()
        assert "SMTPRecipientsRefused" in s.get(Notice, gone.id).email_error
        assert s.get(Notice, ok.id).email_status == "sent"
    assert [m["To"] for m in smtp_server.messages] == ["bob@example.edu"]


def test_an_untrusted_server_certificate_is_refused(app_factory, smtp_server):
    flask_app = app_factory(**smtp_server.config(SMTP_CA_FILE=None))
    with _session(flask_app) as s:
        n = _notice(s, _person(s))
        mail.send_pending(s, now=utcnow())
        s.expire_all()
        assert "CERTIFICATE_VERIFY_FAILED" in s.get(Notice, n.id).email_error
    assert smtp_server.messages == [] and smtp_server.mechanisms == []


def test_a_claimed_notice_is_not_sent_by_a_second_scheduler(app_factory, smtp_server):
    flask_app = app_factory(**smtp_server.config())
    with _session(flask_app) as s:
        n = _notice(s, _person(s))
        with Session(database.engine, expire_on_commit=False) as other:
            stale = other.get(Notice, n.id)  # read by a second scheduler before the first claims it
            other.commit()
            assert mail._claim(s, s.get(Notice, n.id), utcnow())
            assert not mail._claim(other, stale, utcnow())  # same attempt count seen: lost the race
        # the lease keeps the claimed notice away from the next run for a while
        assert mail.send_pending(s, now=utcnow()).sent == 0
        assert mail.send_pending(s, now=utcnow() + timedelta(seconds=mail.LEASE_SECONDS + 1)).sent == 1
    assert len(smtp_server.messages) == 1


def test_reminders_are_queued_by_the_reminder_job_and_sent_by_the_mail_job(app_factory, smtp_server):
    flask_app = app_factory(**smtp_server.config())
    from app.jobs.reminders import send_reminders
    from app.models import Stage

    with _session(flask_app) as s:
        unit = f.unit(s, "机电工程学院")
        rep = f.user(s, "tb_jd", roles=[{"role": "reporter", "unit_id": unit.id}])
        rep.email = "tb_jd@example.edu"
        s.add(rep)
        cycle = f.cycle(s)
        stage = s.exec(select(Stage).where(Stage.cycle_id == cycle.id, Stage.kind == "self_report")).one()
        stage.reminder_hours = [200]
        s.add(stage)
        s.commit()
        assert "1 条" in send_reminders(s, utcnow())
        s.commit()
        assert smtp_server.messages == []
        [pending] = s.exec(select(Notice).where(Notice.email_status == "pending")).all()
        assert pending.user_id == rep.id
        assert mail.send_pending(s, now=utcnow()).sent == 1
    assert smtp_server.messages[0]["To"] == "tb_jd@example.edu"
    assert "自查自评" in smtp_server.messages[0]["Subject"]


def test_queue_test_mail_refuses_clearly(app_factory, smtp_server):
    from app.services import ServiceError

    plain = app_factory()
    with _session(plain) as s:
        with pytest.raises(ServiceError, match="尚未配置邮件服务器"):
            notices.queue_test_mail(s, actor=_person(s))
    flask_app = app_factory(**smtp_server.config())
    with _session(flask_app) as s:
        with pytest.raises(ServiceError, match="没有填写电子邮箱"):
            notices.queue_test_mail(s, actor=_person(s, "bob", None))
        assert s.exec(select(Notice)).all() == []
