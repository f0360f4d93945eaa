"""Rectification pages: last year's plan on this year's self-report with the field for how it was
carried out (saved with the report); the unit's history page and who may see it; the office's list."""

from datetime import date, timedelta

from sqlmodel import select

from app.models.base import utcnow
from app.models.rectification import Rectification
from app.models.report import SelfReport
from tests.builders import factories as f
from tests.builders.report_world import World


def _world(session):
    w = World(session)
    prev = f.cycle(session, name="2017-2018学年", open_all=False, scheme=None)
    prev.period_start, prev.period_end = date(2017, 9, 1), date(2018, 8, 31)
    session.add(prev)
    session.flush()
    rect = Rectification(cycle_id=prev.id, unit_id=w.c1.id, grade="不合格", status="accepted",
                         plan_due=utcnow() - timedelta(days=300), causes="实践教学薄弱",
                         measures="新建两个校内实训室", owner="院长 李某某", complete_by=date(2019, 6, 30))
    session.add(rect)
    session.commit()
    return w, prev, rect


def test_self_report_shows_last_years_plan_and_saves_the_follow_up(client, session):
    w, prev, rect = _world(session)
    assert f.login(client, "tb1").status_code == 302
    page = client.get(f"/report/cycles/{w.cycle.id}/units/{w.c1.id}").get_data(as_text=True)
    assert "2017-2018学年整改方案（已通过）" in page and "新建两个校内实训室" in page
    assert "上一年度整改方案落实情况" in page
    r = client.post(f"/report/cycles/{w.cycle.id}/units/{w.c1.id}",
                    data={"t_summary": "年度工作完成情况……", "t_rectification": "两个实训室已于2019年5月建成使用。",
                          "v_report": "0"})
    assert r.status_code == 302
    session.expire_all()
    report = session.exec(select(SelfReport).where(SelfReport.unit_id == w.c1.id)).one()
    assert report.texts["rectification"] == "两个实训室已于2019年5月建成使用。"
    # a unit without a plan last year is not asked
    client.post("/logout")
    f.login(client, "tb2")
    page = client.get(f"/report/cycles/{w.cycle.id}/units/{w.c2.id}").get_data(as_text=True)
    assert "上一年度整改方案落实情况" not in page


def test_unit_history_visible_to_its_reporters_and_the_office_only(client, session):
    w, prev, rect = _world(session)
    f.login(client, "tb2")
    assert client.get(f"/units/{w.c1.id}/rectification").status_code == 403
    assert client.get(f"/rectification/{rect.id}").status_code == 403
    client.post("/logout")
    f.login(client, "tb1")
    assert "新建两个校内实训室" in client.get(f"/units/{w.c1.id}/rectification").get_data(as_text=True)
    client.post("/logout")
    f.login(client, "office")
    assert "实践教学薄弱" in client.get(f"/rectification/{rect.id}").get_data(as_text=True)
    page = client.get(f"/cycles/{w.cycle.id}/rectification").get_data(as_text=True)
    assert "考核结果公示后才能下达整改任务" in page
    r = client.post(f"/cycles/{w.cycle.id}/rectification", data={"plan_due": "2030-01-01T10:00"},
                    follow_redirects=True)
    assert "考核结果公示后才能下达整改任务" in r.get_data(as_text=True)
    assert session.exec(select(Rectification).where(Rectification.cycle_id == w.cycle.id)).first() is None
