"""Wrong inputs on the tools for a whole college: the one-page stage plan, the progress pages and
the multi-group codes answer with a Chinese message and change nothing; only the office reaches them."""

from sqlmodel import select

from app.models import AuditEntry, Notice
from app.services import cycle_plan, voting
from tests.builders import factories as f


def _office(client, session):
    f.user(session, "boss", roles=["office"])
    session.commit()
    f.login(client, "boss")


def _plan_form(session, cycle, **override):
    data = {}
    for kind, st in cycle_plan.stages_of(session, cycle).items():
        data[f"{kind}-version"] = st.version
        data[f"{kind}-opens_at"] = ""
        data[f"{kind}-closes_at"] = ""
        data[f"{kind}-reminder_hours"] = "72,24"
    data.update(override)
    return data


def test_plan_page_refuses_wrong_inputs_with_messages(client, session):
    _office(client, session)
    cycle = f.cycle(session, open_all=False)
    session.commit()
    before = cycle_plan.current_plan(session, cycle)
    cases = [({"scoring-opens_at": "2020-13-01T08:00", "scoring-closes_at": "2020-03-01T08:00"},
              "「目标考核评分」的开始时间格式不正确"),
             ({"leader-reminder_hours": "72,abc"}, "「领导班子评价」的提醒时间须为截止前的正整数小时"),
             ({"award-opens_at": "2020-03-01T08:00"}, "「突出贡献奖评审」须同时填写开始时间和结束时间"),
             ({"scoring-version": "7", "scoring-opens_at": "2020-03-01T08:00", "scoring-closes_at": "2020-03-09T08:00"},
              "已被他人修改")]
    for override, message in cases:
        r = client.post(f"/office/cycles/{cycle.id}/plan", data=_plan_form(session, cycle, **override))
        assert r.status_code in (409, 422), override
        assert message in r.get_data(as_text=True), override
    session.expire_all()
    assert cycle_plan.current_plan(session, cycle) == before
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "set_times")).all() == []


def test_progress_pages_are_the_office_s_and_unknown_stages_are_not_found(client, session):
    cycle = f.cycle(session)
    f.user(session, "tb", roles=["voter"])
    session.commit()
    f.login(client, "tb")
    assert client.get(f"/progress/cycles/{cycle.id}/self_report").status_code in (302, 403)
    client.post("/logout")
    _office(client, session)
    assert client.get(f"/progress/cycles/{cycle.id}/self_report").status_code == 200
    assert client.get(f"/progress/cycles/{cycle.id}/deliberation").status_code == 404
    assert client.get(f"/progress/cycles/{cycle.id}/nonsense").status_code == 404
    r = client.post(f"/progress/cycles/{cycle.id}/self_report/confirm", data={"action": "publish"})
    assert r.status_code == 302
    assert client.post(f"/progress/cycles/{cycle.id}/scoring/confirm", data={"action": "publish"}).status_code == 404
    r = client.post(f"/progress/cycles/{cycle.id}/self_report/run", data={"action": "remind", "token": "t"},
                    follow_redirects=True)
    assert "请先勾选要处理的行" in r.get_data(as_text=True)
    assert session.exec(select(Notice)).all() == []


def test_codes_for_groups_refuses_a_bad_count(client, session):
    _office(client, session)
    cycle = f.cycle(session, scheme=f.voting_scheme(session))
    g1, _g2 = voting.create_default_groups(session, actor_id=None, cycle=cycle)
    session.commit()
    r = client.post(f"/voting/cycles/{cycle.id}/codes/groups", data={f"count-{g1.id}": "1.5"})
    assert "「中层干部」的数量应为 0 至 5000 之间的整数" in r.get_data(as_text=True)
    r = client.post(f"/voting/cycles/{cycle.id}/codes/groups", data={})
    assert "请至少为一个测评人员类别填写生成数量" in r.get_data(as_text=True)
    assert voting.batches(session, cycle.id) == []
