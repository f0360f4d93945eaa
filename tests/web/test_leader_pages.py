from sqlmodel import select

from app.models.leader import LeaderRating, LeaderSheet
from app.services import stages
from tests.builders import factories as f
from tests.builders.report_world import small_scheme


def setup(session):
    units = [f.unit(session, f"学院{i}") for i in range(2)]
    f.user(session, "p1", roles=[{"role": "leader", "leader_rank": "principal"}])
    f.user(session, "d1", roles=[{"role": "leader", "leader_rank": "deputy"}])
    f.user(session, "boss", roles=["office"])
    f.user(session, "rep", roles=[{"role": "reporter", "unit_id": units[0].id}])
    cycle = f.cycle(session, scheme=f.scheme(session, small_scheme()))
    session.commit()
    return cycle, units


def close(session, cycle, kind="leader"):
    stages.override_stage(session, actor_id=None, stage=stages.get_stage(session, cycle.id, kind), action="close",
                          reason="测试")
    session.commit()


def form(units, scores, version, action="save"):
    data = {"version": str(version), "action": action}
    for u, s in zip(units, scores, strict=True):
        data[f"score_{u.id}"] = s
        data[f"comment_{u.id}"] = ""
    return data


def test_leader_saves_partially_then_finishes(client, session):
    cycle, units = setup(session)
    f.login(client, "p1")
    page = client.get(f"/leader/cycles/{cycle.id}/ratings").get_data(as_text=True)
    assert "学院0" in page and "学院1" in page and "保存并标记完成" in page
    r = client.post(f"/leader/cycles/{cycle.id}/ratings", data=form(units, ["88.5", ""], 0), follow_redirects=True)
    assert "已保存" in r.get_data(as_text=True)
    session.expire_all()
    assert [x.score_cents for x in session.exec(select(LeaderRating))] == [8850]
    r = client.post(
        f"/leader/cycles/{cycle.id}/ratings", data=form(units, ["88.5", ""], 1, "finish"), follow_redirects=True
    )
    assert "尚缺 1 个" in r.get_data(as_text=True)
    r = client.post(f"/leader/cycles/{cycle.id}/ratings", data=form(units, ["88.5", "90"], 1, "finish"),
                    follow_redirects=True)
    assert "标记完成" in r.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(LeaderSheet)).one().finished


def test_invalid_and_stale_forms_are_refused(client, session):
    cycle, units = setup(session)
    f.login(client, "p1")
    r = client.post(f"/leader/cycles/{cycle.id}/ratings", data=form(units, ["101", "abc"], 0))
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "0～100" in text and "不是数字" in text and 'value="101"' in text
    assert session.exec(select(LeaderRating)).all() == []
    client.post(f"/leader/cycles/{cycle.id}/ratings", data=form(units, ["80", ""], 0))
    r = client.post(f"/leader/cycles/{cycle.id}/ratings", data=form(units, ["10", ""], 0))
    assert "已过期" in r.get_data(as_text=True)
    session.expire_all()
    assert [x.score_cents for x in session.exec(select(LeaderRating))] == [8000]


def test_closed_stage_locks_the_page(client, session):
    cycle, units = setup(session)
    close(session, cycle)
    f.login(client, "p1")
    r = client.post(f"/leader/cycles/{cycle.id}/ratings", data=form(units, ["80", ""], 0))
    assert "已结束" in r.get_data(as_text=True)
    assert session.exec(select(LeaderRating)).all() == []


def test_who_may_see_what(client, session):
    cycle, units = setup(session)
    f.login(client, "rep")
    assert client.get(f"/leader/cycles/{cycle.id}/ratings").status_code == 403
    assert client.get(f"/leader/office/cycles/{cycle.id}").status_code == 403
    client.post("/logout")
    f.login(client, "p1")
    client.post(f"/leader/cycles/{cycle.id}/ratings", data=form(units, ["77.25", "66"], 0, "finish"))
    assert client.get(f"/leader/office/cycles/{cycle.id}").status_code == 403
    client.post("/logout")
    # the deputy sees an empty sheet of their own, never the principal's scores
    f.login(client, "d1")
    assert "77.25" not in client.get(f"/leader/cycles/{cycle.id}/ratings").get_data(as_text=True)
    client.post("/logout")
    f.login(client, "boss")
    page = client.get(f"/leader/office/cycles/{cycle.id}").get_data(as_text=True)
    assert "2 / 2" in page and "已完成" in page and "0 / 2" in page
    assert "77.25" not in page and "66.00" not in page
    close(session, cycle)
    page = client.get(f"/leader/office/cycles/{cycle.id}").get_data(as_text=True)
    assert "77.25" in page and "15.45" in page  # 77.25 / 100 × 20
    assert "77.25" in client.get(f"/leader/office/cycles/{cycle.id}?history=1").get_data(as_text=True)


def test_home_task_and_reminder_provider(client, session):
    cycle, units = setup(session)
    from app.services.leader_eval import pending_leaders
    from app.services.stage_kinds import KINDS, pending_people

    f.login(client, "p1")
    assert "为各单位评分" in client.get("/").get_data(as_text=True)
    assert KINDS["leader"].pending is pending_leaders
    p1 = session.exec(select(LeaderSheet)).first()
    assert p1 is None
    pending = pending_people(session, cycle, "leader")
    assert len(pending) == 2


def test_rating_page_shows_submitted_report_summaries(client, session):
    from app.services import reports

    cycle, units = setup(session)
    from app.models import User

    reporter = session.exec(select(User).where(User.username == "rep")).one()
    kw = dict(actor_id=reporter.id, allowed_units={units[0].id}, cycle=cycle, unit=units[0])
    v = reports.save_draft(session, **kw, texts={"summary": "本年度完成各项重点工作。" * 20}, report_version=0)
    reports.submit(session, **kw, expected_version=v["report"])
    reports.save_draft(session, actor_id=None, allowed_units={units[1].id}, cycle=cycle, unit=units[1],
                       texts={"summary": "草稿不给校领导看"}, report_version=0)
    session.commit()
    f.login(client, "p1")
    page = client.get(f"/leader/cycles/{cycle.id}/ratings").get_data(as_text=True)
    assert ("本年度完成各项重点工作。" * 20)[:140] + "…" in page
    assert "草稿不给校领导看" not in page and "（暂无已提交的自查报告）" in page
    assert f"/public/cycles/{cycle.id}/reports/{units[0].id}" in page
