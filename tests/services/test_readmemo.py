"""The per-session memo of repeated reads (app/services/readmemo.py): what one request reads
several times is read once, and never outlives a write."""

from sqlalchemy import event, update
from sqlalchemy.engine import Engine

from app.models import Unit
from app.services import org, stages
from tests.builders import factories as f


class Counter:
    def __init__(self):
        self.n = 0

    def __call__(self, *_args):
        self.n += 1

    def __enter__(self):
        event.listen(Engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc):
        event.remove(Engine, "before_cursor_execute", self)


def test_repeated_reads_are_one_query_until_something_is_written(session):
    a = f.unit(session, "甲学院")
    f.unit(session, "乙处", category="department")
    session.commit()
    with Counter() as c:
        first = org.active_units(session)
        again = org.active_units(session)
        colleges = org.active_units(session, "college")
        some = org.active_units(session, categories=["department"])
    assert c.n <= 2  # the transaction's BEGIN and one SELECT
    assert [u.name for u in first] == [u.name for u in again] and first is not again
    assert [u.name for u in colleges] == ["甲学院"] and [u.name for u in some] == ["乙处"]

    b = f.unit(session, "丙学院")  # flushed: forgotten
    assert b in org.active_units(session)
    a.active = False  # pending change: read again (a query flushes it first)
    assert a not in org.active_units(session)
    session.execute(update(Unit).where(Unit.id == b.id).values(active=False))
    assert [u.name for u in org.active_units(session)] == ["乙处"]
    session.rollback()
    assert {u.name for u in org.active_units(session)} == {"甲学院", "乙处"}


def test_stage_states_follow_overrides(session):
    cycle = f.cycle(session)
    session.commit()
    assert stages.state_of(session, cycle.id, "scoring").is_open
    stage = stages.get_stage(session, cycle.id, "scoring")
    stages.override_stage(session, actor_id=None, stage=stage, action="close", reason="测试")
    assert stages.state_of(session, cycle.id, "scoring").status == "closed"
