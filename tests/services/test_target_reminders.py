"""Reminders before a target checkpoint is due go only to reporters of units with missing actuals."""

from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from app.jobs.targets import remind_target_checkpoints
from app.models import Notice
from app.models.base import utcnow
from app.services import targets
from tests.builders import factories as f

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "targets" / "xuzhou_2022_targets.xlsx"


def test_reminders_before_due_only_to_units_behind(session):
    behind = f.unit(session, "财务处", category="department")
    other = f.unit(session, "图书馆", category="department")
    rep = f.user(session, "rep_cwc", roles=[{"role": "reporter", "unit_id": behind.id}])
    f.user(session, "rep_tsg", roles=[{"role": "reporter", "unit_id": other.id}])
    targets.import_table(session, actor_id=None, unit=behind, year=2022, data=FIXTURE.read_bytes())
    due = utcnow() + timedelta(hours=30)
    targets.set_checkpoint(session, actor_id=None, year=2022, kind="half_year", status="open", due_at=due)
    session.commit()

    # more than three days ahead: nothing yet
    assert "0 条" in remind_target_checkpoints(session, due - timedelta(hours=100))
    # within three days: the reporter of the unit with a table and missing actuals, once
    assert "1 条" in remind_target_checkpoints(session, due - timedelta(hours=48))
    assert "0 条" in remind_target_checkpoints(session, due - timedelta(hours=47))
    # within a day: the second reminder
    assert "1 条" in remind_target_checkpoints(session, due - timedelta(hours=2))
    notices = session.exec(select(Notice)).all()
    assert [n.user_id for n in notices] == [rep.id, rep.id]
    assert "财务处" in notices[0].title and "项半年实际值未填报" in notices[0].body
    # after the due time, or once the checkpoint is closed: no more
    assert "0 条" in remind_target_checkpoints(session, due + timedelta(hours=1))
