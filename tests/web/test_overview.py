"""The office's overview of a cycle: report counts, scoring per owner, leaders, turnout, awards, who is
behind and the deadlines, on its own page and on the office's home page, in a bounded number of SQL
statements that does not grow with the number of units (no query per unit or per person)."""

import re

import pytest
from sqlalchemy import event

from app.services import leader_eval, reports, voting
from tests.builders import factories as f
from tests.builders.report_world import World


@pytest.fixture
def w(session):
    w = World(session)
    w.p1 = f.user(session, "校长甲", roles=[{"role": "leader", "leader_rank": "principal"}, "group"])
    w.d1 = f.user(session, "副校长乙", roles=[{"role": "leader", "leader_rank": "deputy"}])
    for unit, user in ((w.c1, w.tb1), (w.c2, w.tb2)):
        kw = dict(actor_id=user.id, allowed_units={unit.id}, cycle=w.cycle, unit=unit)
        v = reports.save_draft(session, **kw, texts={"summary": "总结"}, report_version=0)
        reports.submit(session, **kw, expected_version=v["report"])
    reports.publish(session, actor_id=w.office.id, report=reports.find_report(session, w.cycle.id, w.c1.id))
    r2 = reports.find_report(session, w.cycle.id, w.c2.id)
    reports.return_report(session, actor_id=w.office.id, report=r2, comment="补充", expected_version=r2.version)
    kw = dict(actor_id=w.tb3.id, allowed_units={w.c3.id}, cycle=w.cycle, unit=w.c3)
    reports.save_draft(session, **kw, texts={"summary": "草稿"}, report_version=0)
    leader_eval.save_ratings(session, actor_id=w.p1.id, rank="principal", cycle=w.cycle, expected_version=0,
                             entries=[leader_eval.Entry(w.c1.id, "18")])
    groups = voting.create_default_groups(session, actor_id=None, cycle=w.cycle)
    voting.issue_codes(session, actor_id=None, cycle=w.cycle, group_id=groups[0].id, count=8, batch="干部")
    session.commit()
    return w


def _statements(engine):
    seen = []

    def listener(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    return seen, lambda: event.remove(engine, "before_cursor_execute", listener)


def test_overview_shows_every_stage(client, session, w):
    f.login(client, "office")
    html = client.get(f"/office/cycles/{w.cycle.id}/overview").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", html)
    text = re.sub(r"\s+", "", text)  # compared without white space
    assert "已提交1/6" in text and "已退回1" in text and "已公示1" in text  # 6 active units
    assert "自查报告未提交（5）" in text and "信息工程学院" in text.split("自查报告未提交")[1]
    assert "教务处0/" in text and "科技与产业处0/" in text and "目标办0/" in text  # scoring per owner
    assert "已完成0/2位校领导" in text and "校长甲1/6" in text and "副校长乙0/6" in text
    assert "领导班子评价未完成（2）：校长甲、副校长乙" in text
    assert "投票率（已投/名册）0/8" in text and "中层干部0/8" in text
    assert "（剩4天）" in text  # the deadlines of open stages (5 days from the fixture's set-up)
    assert 'style="width: 16.67%"' in html or 'style="width: 16.67%' in html  # a bar, 1 of 6


def test_office_home_shows_the_same_figures(client, session, w):
    f.login(client, "office")
    html = client.get("/").get_data(as_text=True)
    assert 'id="home-overview"' in html and 'data-count="submitted">1<' in html
    assert 'data-count="returned">1<' in html and "领导班子评价未完成（2）" in html
    f.login(client, "tb1")
    client.post("/logout")
    f.login(client, "tb1")
    assert 'id="home-overview"' not in client.get("/").get_data(as_text=True)


def test_overview_is_a_bounded_number_of_statements(client, session, engine, w):
    f.login(client, "office")
    url = f"/office/cycles/{w.cycle.id}/overview"
    client.get(url)
    seen, stop = _statements(engine)
    try:
        assert client.get(url).status_code == 200
        few = len(seen)
        for i in range(12):
            f.unit(session, f"新增学院{i}")
        f.user(session, "副校长丙", roles=[{"role": "leader", "leader_rank": "deputy"}])
        session.commit()
        seen.clear()
        assert client.get(url).status_code == 200
        more = len(seen)
    finally:
        stop()
    assert few <= 30, few
    assert more == few  # the same statements for 18 units as for 6
