"""``kpi seed-university``: the generated university (issue #17), at a small size."""

from sqlmodel import func, select

from app.models import Cycle, Unit, User
from app.models.report import Evidence, SelfReport
from app.models.result import ResultRow, ResultSet
from app.models.targets import TargetTableRecord
from app.models.voting import RollEntry


def test_seed_university_builds_every_part_and_refuses_a_second_time(app, session):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["kpi", "seed-university", "--units", "30", "--staff", "150", "--history", "2",
                            "--codes", "40"])
    assert r.exit_code == 0, r.output
    assert "历史周期 2 个" in r.output and "sim_tb_" in r.output
    session.expire_all()

    def count(model, *where):
        return session.exec(select(func.count()).select_from(model).where(*where)).one()

    units = session.exec(select(Unit)).all()
    assert len(units) == 30 and {u.category for u in units} == {"college", "department"}
    assert count(User) == 150
    assert count(RollEntry, RollEntry.code.is_not(None)) >= 40
    assert count(Cycle) == 3
    published = session.exec(select(ResultSet).where(ResultSet.status == "final")).all()
    assert len(published) == 2
    rows = session.exec(select(ResultRow).where(ResultRow.result_set_id == published[0].id)).all()
    assert len(rows) == 30 and min(r.total for r in rows) > 100  # scored from the generated inputs, not empty
    assert len({r.rank for r in rows if r.category == "college"}) > 10
    assert count(TargetTableRecord) == 30
    assert count(SelfReport) == 30 and count(Evidence) >= 2 * 30 - 2 * 25
    again = runner.invoke(args=["kpi", "seed-university", "--units", "30"])
    assert again.exit_code != 0 and "数据库已有单位" in again.output
    assert count(Unit) == 30
    skipped = runner.invoke(args=["kpi", "seed-university", "--if-empty"])
    assert skipped.exit_code == 0 and "跳过" in skipped.output and count(Unit) == 30
