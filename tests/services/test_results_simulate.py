"""``kpi simulate`` runs a whole demo cycle through the services to publication, and the
published results are consistent."""

from sqlmodel import select

from app.models.result import ResultRow, ResultSet


def test_simulate_runs_a_cycle_to_publication(app, session):
    result = app.test_cli_runner().invoke(args=["kpi", "simulate", "--voters", "12", "--seed", "3",
                                                "--cycle-name", "模拟测试周期"])
    assert result.exit_code == 0, result.output
    assert "考核结果" in result.output and "院部" in result.output and "部门" in result.output
    rs = session.exec(select(ResultSet)).one()
    assert rs.status == "published"
    rows = session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)).all()
    assert len(rows) == 25
    for cat, quota in (("college", 2), ("department", 3)):
        mine = [r for r in rows if r.category == cat]
        assert sum(1 for r in mine if r.grade == "优秀") <= quota
        assert sorted(r.rank for r in mine)[0] == 1
        for r in mine:
            assert r.total == r.democratic + r.target + r.leader
    assert sum(1 for r in rows if r.democratic > 0) == 25  # every unit got ballots
