"""The office runs cycles, stages, units and users through the web pages."""

from datetime import date

from sqlmodel import select

from app.models import AuditEntry, Cycle, RoleMembership, Stage, StageOverride, Unit, User
from app.services import stages
from tests.builders import factories as f


def _office(client, session):
    f.user(session, "boss", roles=["office"])
    session.commit()
    f.login(client, "boss")


def test_create_cycle_set_times_and_see_timeline(client, session):
    _office(client, session)
    r = client.post("/office/cycles/new", data={"name": "2019-2020学年", "period_start": "2019-09-01",
                                                "period_end": "2020-08-31", "scheme_id": "0"})
    assert r.status_code == 302
    session.expire_all()
    cycle = session.exec(select(Cycle).where(Cycle.name == "2019-2020学年")).one()
    stage = session.exec(select(Stage).where(Stage.cycle_id == cycle.id, Stage.kind == "self_report")).one()
    p = f"s{stage.id}-"
    r = client.post(f"/office/cycles/{cycle.id}/stages/{stage.id}", data={
        p + "stage_id": stage.id, p + "version": stage.version, p + "opens_at": "2020-06-01T08:00",
        p + "closes_at": "2020-06-15T17:00", p + "reminder_hours": "72, 24"})
    assert r.status_code == 302
    session.expire_all()
    stage = session.get(Stage, stage.id)
    # typed in Beijing time, stored in UTC
    assert stage.opens_at.isoformat() == "2020-06-01T00:00:00+00:00"
    assert stage.closes_at.isoformat() == "2020-06-15T09:00:00+00:00"
    assert stage.reminder_hours == [72, 24]
    page = client.get(f"/office/cycles/{cycle.id}").get_data(as_text=True)
    assert "2020-06-15 17:00" in page and "gantt-bar" in page


def test_duplicate_cycle_name_and_bad_period_are_refused(client, session):
    _office(client, session)
    f.cycle(session, name="2018-2019学年")
    session.commit()
    r = client.post("/office/cycles/new", data={"name": "2018-2019学年", "period_start": "2018-09-01",
                                                "period_end": "2019-08-31", "scheme_id": "0"})
    assert "已存在" in r.get_data(as_text=True)
    session.expire_all()
    r = client.post("/office/cycles/new", data={"name": "X", "period_start": "2019-09-01",
                                                "period_end": "2018-08-31", "scheme_id": "0"})
    assert "晚于开始" in r.get_data(as_text=True)
    assert len(session.exec(select(Cycle)).all()) == 1


def test_stale_stage_form_is_refused(client, session):
    _office(client, session)
    cycle = f.cycle(session)
    session.commit()
    stage = session.exec(select(Stage).where(Stage.cycle_id == cycle.id, Stage.kind == "leader")).one()
    p = f"s{stage.id}-"
    form = {p + "stage_id": stage.id, p + "version": stage.version, p + "opens_at": "2020-06-01T08:00",
            p + "closes_at": "2020-06-15T17:00", p + "reminder_hours": "24"}
    client.post(f"/office/cycles/{cycle.id}/stages/{stage.id}", data=form)
    form[p + "closes_at"] = "2020-06-20T17:00"
    r = client.post(f"/office/cycles/{cycle.id}/stages/{stage.id}", data=form, follow_redirects=True)
    assert "已被他人修改" in r.get_data(as_text=True)
    session.expire_all()
    assert session.get(Stage, stage.id).closes_at.day == 15


def test_close_and_reopen_with_reason(client, session):
    _office(client, session)
    cycle = f.cycle(session)
    session.commit()
    stage = session.exec(select(Stage).where(Stage.cycle_id == cycle.id, Stage.kind == "scoring")).one()
    r = client.post(f"/office/cycles/{cycle.id}/override", data={"stage_id": stage.id, "action": "close", "reason": ""},
                    follow_redirects=True)
    assert "请填写原因" in r.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(StageOverride)).all() == []
    client.post(f"/office/cycles/{cycle.id}/override", data={"stage_id": stage.id, "action": "close",
                                                              "reason": "评分完成"})
    page = client.get(f"/office/cycles/{cycle.id}").get_data(as_text=True)
    assert "提前结束 — 原因：评分完成" in page
    r = client.post(f"/office/cycles/{cycle.id}/override", data={"stage_id": stage.id, "action": "reopen",
                                                                 "reason": "补录", "until": "2099-01-01T00:00"})
    assert r.status_code == 302
    session.expire_all()
    overrides = session.exec(select(StageOverride).order_by(StageOverride.id)).all()
    assert [o.action for o in overrides] == ["close", "reopen"]


def test_units_and_users(client, session):
    _office(client, session)
    r = client.post("/office/units/new", data={"name": "机电工程学院", "category": "college", "subtype": "二级学院",
                                               "position": "1"})
    assert r.status_code == 302
    r = client.post("/office/units/new", data={"name": "教务处", "category": "department", "subtype": "二级学院"},
                    follow_redirects=True)
    assert "不是该类别的单位类型" in r.get_data(as_text=True)
    dept = f.unit(session, "教务处", category="department")
    session.expire_all()
    college = session.exec(select(Unit).where(Unit.name == "机电工程学院")).one()
    r = client.post("/office/users/new", data={"username": "li", "display_name": "李老师", "password": "abc12345",
                                               "unit_id": str(college.id)})
    assert r.status_code == 302
    session.expire_all()
    li = session.exec(select(User).where(User.username == "li")).one()
    assert li.must_change_password
    r = client.post(f"/office/users/{li.id}", data={"role": "scorer", "unit_id": str(college.id), "leader_rank": ""},
                    follow_redirects=True)
    assert "须绑定一个职能部门" in r.get_data(as_text=True)
    client.post(f"/office/users/{li.id}", data={"role": "scorer", "unit_id": str(dept.id), "leader_rank": ""})
    session.expire_all()
    roles = session.exec(select(RoleMembership).where(RoleMembership.user_id == li.id)).all()
    assert [(m.role, m.unit_id) for m in roles] == [("scorer", dept.id)]
    # retiring a unit needs a reason
    r = client.post(f"/office/units/{college.id}", data={"name": "机电工程学院", "category": "college",
                                                         "subtype": "二级学院", "position": "1"})
    assert "须填写原因" in r.get_data(as_text=True)
    client.post(f"/office/units/{college.id}", data={"name": "机电工程学院", "category": "college",
                                                     "subtype": "二级学院", "position": "1", "reason": "合并"})
    session.expire_all()
    assert session.get(Unit, college.id).active is False
    audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "unit", AuditEntry.action == "update")).one()
    assert audit.old_value == {"active": True} and audit.reason == "合并"
    assert "合并" in client.get("/office/audit").get_data(as_text=True)


def test_home_shows_open_stages_with_deadline(client, session):
    _office(client, session)
    f.cycle(session)
    session.commit()
    page = client.get("/").get_data(as_text=True)
    tasks = page.split('<ul class="tasks">', 1)[1].split("</ul>", 1)[0]
    assert "2018-2019学年 · 自查自评（进行中）" in tasks and "截止" in tasks


def test_archive_a_cycle_needs_a_reason_and_changes_the_current_cycle(client, session):
    _office(client, session)
    old = f.cycle(session, name="2018-2019学年")
    new = stages.create_cycle(session, actor_id=None, name="模拟周期", period_start=date(2019, 9, 1),
                              period_end=date(2020, 8, 31), scheme=None)
    session.commit()
    assert stages.current_cycle(session).id == new.id
    r = client.post(f"/office/cycles/{new.id}/archive", data={"active": "0", "reason": ""}, follow_redirects=True)
    assert "请填写原因" in r.get_data(as_text=True)
    session.expire_all()
    assert stages.current_cycle(session).id == new.id
    client.post(f"/office/cycles/{new.id}/archive", data={"active": "0", "reason": "模拟数据，不再使用"})
    session.expire_all()
    assert stages.current_cycle(session).id == old.id
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "archive")).one()
    assert entry.reason == "模拟数据，不再使用"
    client.post(f"/office/cycles/{new.id}/archive", data={"active": "1", "reason": "恢复"})
    session.expire_all()
    assert stages.current_cycle(session).id == new.id
    # the cycle list marks only the home page's cycle 当前; the other unarchived one is 未归档
    text = client.get("/office/cycles").get_data(as_text=True)
    assert text.count("当前（首页显示）") == 1 and "未归档" in text
    row = text.split("模拟周期</a>")[1].split("</tr>")[0]
    assert "当前（首页显示）" in row
