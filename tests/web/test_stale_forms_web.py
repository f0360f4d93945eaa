"""Stale tabs (issue #13 defect 4): a state-changing form posts the version of the object it was
rendered from; a post from a page rendered before the object changed is refused with a Chinese
message and changes nothing, and a post from a fresh page works. (A post without a version is
not checked, as before.)"""

import re

import pytest
from sqlmodel import select

from app.models import User
from app.models.result import ResultRow, ResultSet
from app.services import results, voting
from tests.builders import factories as f
from tests.builders.results_case import build_case
from tests.web.test_voting_web import (
    TOKEN,
    _login,
    _open_ballot,
    _session,
    _valid,
    setup,  # noqa: F401  (the fixture, used through voting_setup)
)


def _as(client, name):
    client.post("/logout")
    assert f.login(client, name).status_code == 302


# ----------------------------------------------------------------------------- results


@pytest.fixture
def case(session, monkeypatch):
    c = build_case(session)
    session.commit()
    monkeypatch.setattr(results, "gather_inputs", lambda db, cycle: c.inputs)
    return c


def _rs(session, case) -> ResultSet:
    session.commit()
    session.expire_all()
    return session.exec(select(ResultSet).where(ResultSet.cycle_id == case.cycle.id)).one()


def _leader_changes(session, case):
    rs = _rs(session, case)
    row = session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)).first()
    results.add_override(session, actor_id=case.group.id, cycle=case.cycle, unit_id=row.unit_id, kind="grade",
                         value="合格" if row.grade == "优秀" else "优秀", reason="领导小组审议")
    session.commit()


def test_recompute_from_a_page_opened_before_a_change_is_refused(client, session, case):
    cid = case.cycle.id
    _as(client, "office1")
    assert 'name="version"' in client.get(f"/cycles/{cid}/results").get_data(as_text=True)
    seen = _rs(session, case).version
    _leader_changes(session, case)
    r = client.post(f"/cycles/{cid}/results/recompute", data={"version": seen}, follow_redirects=True)
    assert "已有变化" in r.get_data(as_text=True) and "未重新计算" in r.get_data(as_text=True)
    r = client.post(f"/cycles/{cid}/results/recompute", data={"version": _rs(session, case).version},
                    follow_redirects=True)
    assert "已重新计算" in r.get_data(as_text=True)


def test_finalise_from_a_page_opened_before_an_objection_correction_is_refused(client, session, case):
    cid = case.cycle.id
    _as(client, "office1")
    client.get(f"/cycles/{cid}/results")
    client.post(f"/cycles/{cid}/results/fix")
    client.post(f"/cycles/{cid}/results/publish")
    assert _rs(session, case).status == "published"
    page = client.get(f"/cycles/{cid}/objections").get_data(as_text=True)
    seen = _rs(session, case).version
    assert f'name="version" value="{seen}"' in page
    # another officer corrects a result (as an upheld objection does): the set's version moves on
    rs = _rs(session, case)
    row = session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)).first()
    results.apply_override(session, rs=rs, cycle=case.cycle, row=row, kind="grade",
                           value="合格" if row.grade == "优秀" else "优秀", reason="异议更正",
                           actor_id=case.office.id, source="deliberation")
    session.commit()
    r = client.post(f"/cycles/{cid}/results/finalise", data={"version": seen}, follow_redirects=True)
    assert "未结束公示" in r.get_data(as_text=True)
    assert _rs(session, case).status == "published"
    client.post(f"/cycles/{cid}/results/finalise", data={"version": _rs(session, case).version})
    assert _rs(session, case).status == "final"


# ----------------------------------------------------------------------------- voting (the rating's setup has no
# version column: its forms post voting.setup_stamp, a digest of the groups, weights and 优秀 share)



@pytest.fixture
def voting_setup(setup):  # noqa: F811
    return setup

STAMP = re.compile(r'name="version" value="([0-9a-f]{16})"')


def _office(o):
    office = o.app.test_client()
    assert _login(office, "boss").status_code == 302
    return office


def _other_officer_reweights(o, weight):
    with _session(o) as s:
        g = voting.groups_of(s, o.cycle.id)[0]
        voting.save_group(s, actor_id=None, cycle=o.cycle, key=g.key, name=g.name, weight=voting.Decimal(weight),
                          group_id=g.id)
        s.commit()


def test_voting_share_and_group_forms_from_a_stale_dashboard_are_refused(voting_setup):
    o = voting_setup
    office, url = _office(o), f"/voting/cycles/{o.cycle.id}"
    page = office.get(url).text
    token, stamp = TOKEN.search(page).group(1), STAMP.search(page).group(1)
    group = o.groups[1]
    _other_officer_reweights(o, "60")
    r = office.post(f"{url}/share", data={"share": "20", "csrf_token": token, "version": stamp}, follow_redirects=True)
    assert "测评设置已被修改，未保存" in r.text
    r = office.post(f"{url}/groups", data={"group_id": group.id, "name": "改名", "weight": "40", "csrf_token": token,
                                           "version": stamp}, follow_redirects=True)
    assert "测评人员类别已被修改，未保存" in r.text
    with _session(o) as s:
        assert voting.state(s, o.cycle.id).max_excellent_share == voting.Decimal("0.4")
        assert s.get(type(group), group.id).name == group.name
    # from the reloaded page both work
    page = office.get(url).text
    token, stamp = TOKEN.search(page).group(1), STAMP.search(page).group(1)
    r = office.post(f"{url}/share", data={"share": "20", "csrf_token": token, "version": stamp}, follow_redirects=True)
    assert "已保存本周期的优秀票比例上限" in r.text
    stamp = STAMP.search(office.get(url).text).group(1)
    r = office.post(f"{url}/groups", data={"group_id": group.id, "name": "改名", "weight": "40", "csrf_token": token,
                                           "version": stamp}, follow_redirects=True)
    assert "已保存测评人员类别" in r.text
    with _session(o) as s:
        assert voting.state(s, o.cycle.id).max_excellent_share == voting.Decimal("0.2")
        assert s.get(type(group), group.id).name == "改名"


def test_publishing_a_tally_that_changed_since_the_page_was_opened_is_refused(voting_setup):
    from app.services import stages

    o = voting_setup
    for code in o.codes[:5]:
        c, r = _open_ballot(o, code)
        assert c.post("/v/ballot", data={**_valid(o), "csrf_token": TOKEN.search(r.text).group(1)}).status_code == 200
    with _session(o) as s:
        stages.override_stage(s, actor_id=None, stage=stages.get_stage(s, o.cycle.id, "democratic"), action="close",
                              reason="会议结束")
        s.commit()
    office, url = _office(o), f"/voting/cycles/{o.cycle.id}"
    page = office.get(f"{url}/tally").text
    token, stamp = TOKEN.search(page).group(1), STAMP.search(page).group(1)
    _other_officer_reweights(o, "70")  # the tally the office saw is not the one it would publish
    r = office.post(f"{url}/publish", data={"csrf_token": token, "version": stamp}, follow_redirects=True)
    assert "选票或测评规则已有变化，未公布" in r.text
    with _session(o) as s:
        assert voting.state(s, o.cycle.id).published_at is None
    stamp = STAMP.search(office.get(f"{url}/tally").text).group(1)
    r = office.post(f"{url}/publish", data={"csrf_token": token, "version": stamp}, follow_redirects=True)
    assert "已公布计票结果" in r.text
    with _session(o) as s:
        assert voting.state(s, o.cycle.id).published_at is not None


# ----------------------------------------------------------------------------- award votes of the leading group
# (the vote table has no version column: the form posts awards.vote_stamp, the application's version and the
# member's own vote as the page showed it)


def test_an_award_vote_from_a_tab_opened_before_the_member_voted_elsewhere_is_refused(client, session):
    from app.models.award import AwardApplication, AwardVote
    from app.services import awards
    from tests.web.test_award_pages import apply, as_user
    from tests.web.test_award_pages import setup as award_setup

    cycle, u1, _ = award_setup(session)
    as_user(client, "rep1")
    apply(client, cycle, u1)
    a = session.exec(select(AwardApplication)).one()
    as_user(client, "boss")
    client.post(f"/award/office/applications/{a.id}/precheck",
                data={f"a{a.id}-version": "1", f"a{a.id}-decision": "accept", f"a{a.id}-reason": ""})
    as_user(client, "g0")
    page = client.get(f"/group/cycles/{cycle.id}/awards").get_data(as_text=True)
    stale = re.search(rf'name="a{a.id}-version" type="hidden" value="([^"]+)"', page).group(1)
    # the same member votes 不同意 in another tab
    session.expire_all()
    g0 = session.exec(select(User).where(User.username == "g0")).one()
    awards.vote(session, actor_id=g0.id, application=session.get(AwardApplication, a.id), approve=False,
                comment="另一个窗口")
    session.commit()
    r = client.post(f"/group/applications/{a.id}/vote",
                    data={f"a{a.id}-approve": "1", f"a{a.id}-comment": "", f"a{a.id}-version": stale},
                    follow_redirects=True)
    assert "您的表决已有变化" in r.get_data(as_text=True)
    session.expire_all()
    vote = session.exec(select(AwardVote)).one()
    assert vote.approve is False and vote.comment == "另一个窗口"
    page = client.get(f"/group/cycles/{cycle.id}/awards").get_data(as_text=True)
    fresh = re.search(rf'name="a{a.id}-version" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post(f"/group/applications/{a.id}/vote",
                    data={f"a{a.id}-approve": "1", f"a{a.id}-comment": "", f"a{a.id}-version": fresh},
                    follow_redirects=True)
    assert "已记录您对" in r.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(AwardVote)).one().approve is True


# ----------------------------------------------------------------------------- rectification


def test_opening_rectification_tasks_from_a_page_opened_before_the_results_changed_is_refused(client, session,
                                                                                                case):
    from app.models.rectification import Rectification

    cid = case.cycle.id
    _as(client, "office1")
    client.get(f"/cycles/{cid}/results")
    client.post(f"/cycles/{cid}/results/fix")
    client.post(f"/cycles/{cid}/results/publish")
    page = client.get(f"/cycles/{cid}/rectification").get_data(as_text=True)
    seen = _rs(session, case).version
    assert re.search(rf'name="version" type="hidden" value="{seen}"', page)
    rs = _rs(session, case)
    row = session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)).first()
    results.apply_override(session, rs=rs, cycle=case.cycle, row=row, kind="grade",
                           value="合格" if row.grade == "优秀" else "优秀", reason="异议更正",
                           actor_id=case.office.id, source="deliberation")
    session.commit()
    r = client.post(f"/cycles/{cid}/rectification", data={"plan_due": "2030-01-01T10:00", "version": seen})
    assert "未下达整改任务" in r.get_data(as_text=True)
    assert session.exec(select(Rectification)).first() is None
    r = client.post(f"/cycles/{cid}/rectification", data={"plan_due": "2030-01-01T10:00",
                                                         "version": _rs(session, case).version}, follow_redirects=True)
    assert "已下达整改任务" in r.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(Rectification)).first() is not None


# ----------------------------------------------------------------------------- the cycle page's 重新开放 / 立即结束
# (overrides are rows added to a stage: the page posts stages.stage_stamp, the stage's version and last override)


def test_a_stage_override_from_a_page_opened_before_another_override_is_refused(client, session):
    from app.models import Stage, StageOverride
    from app.services import stages

    f.user(session, "boss", roles=["office"])
    cycle = f.cycle(session)
    session.commit()
    assert f.login(client, "boss").status_code == 302
    stage = session.exec(select(Stage).where(Stage.cycle_id == cycle.id, Stage.kind == "self_report")).one()
    page = client.get(f"/office/cycles/{cycle.id}").get_data(as_text=True)
    stale = re.search(rf'name="stamp_{stage.id}" value="([^"]+)"', page).group(1)
    stages.override_stage(session, actor_id=None, stage=stage, action="close", reason="另一位老师已结束")
    session.commit()
    r = client.post(f"/office/cycles/{cycle.id}/override", data={
        "stage_id": stage.id, "action": "close", "reason": "结束", f"stamp_{stage.id}": stale}, follow_redirects=True)
    assert "已被他人修改" in r.get_data(as_text=True)
    assert len(session.exec(select(StageOverride)).all()) == 1
    page = r.get_data(as_text=True)
    fresh = re.search(rf'name="stamp_{stage.id}" value="([^"]+)"', page).group(1)
    assert fresh != stale
    r = client.post(f"/office/cycles/{cycle.id}/override", data={
        "stage_id": stage.id, "action": "close", "reason": "结束", f"stamp_{stage.id}": fresh}, follow_redirects=True)
    assert "已结束" in r.get_data(as_text=True)
    session.commit()  # end the read transaction: a new one sees the request's commit
    assert len(session.exec(select(StageOverride)).all()) == 2


# ----------------------------------------------------------------------------- units and users admin
# (no version columns: the edit pages post org.unit_stamp / accounts.profile_stamp of what they showed)


def _stamp_of(page, prefix=""):
    return re.search(rf'name="{prefix}version" type="hidden" value="([0-9a-f]+)"', page).group(1)


def test_a_unit_edit_from_a_page_opened_before_someone_else_renamed_it_is_refused(client, session):
    from app.models import Unit
    from app.services import org

    f.user(session, "boss", roles=["office"])
    unit = f.unit(session, "机电工程学院")
    session.commit()
    assert f.login(client, "boss").status_code == 302
    stale = _stamp_of(client.get(f"/office/units/{unit.id}").get_data(as_text=True))
    org.update_unit(session, actor_id=None, unit=unit, name="机电学院", category="college", subtype="二级学院",
                    short_name="", position=0, active=True)
    session.commit()
    data = {"name": "机械工程学院", "category": "college", "subtype": "二级学院", "position": "0", "active": "y"}
    r = client.post(f"/office/units/{unit.id}", data={**data, "version": stale}, follow_redirects=True)
    assert "已被他人修改，未保存" in r.get_data(as_text=True)
    session.commit()
    session.expire_all()
    assert session.get(Unit, unit.id).name == "机电学院"
    fresh = _stamp_of(r.get_data(as_text=True))
    r = client.post(f"/office/units/{unit.id}", data={**data, "version": fresh}, follow_redirects=True)
    assert "已保存" in r.get_data(as_text=True)
    session.commit()
    session.expire_all()
    assert session.get(Unit, unit.id).name == "机械工程学院"


def test_a_profile_edit_from_a_page_opened_before_someone_else_changed_it_is_refused(client, session):
    from app.services import accounts

    f.user(session, "boss", roles=["office"])
    someone = f.user(session, "zhang", display_name="张三")
    session.commit()
    assert f.login(client, "boss").status_code == 302
    stale = _stamp_of(client.get(f"/office/users/{someone.id}").get_data(as_text=True))
    accounts.update_profile(session, actor_id=None, user_id=someone.id, display_name="张三丰", email=None,
                            employee_no="1001")
    session.commit()
    data = {"display_name": "张山", "email": "", "employee_no": ""}
    r = client.post(f"/office/users/{someone.id}/profile", data={**data, "version": stale}, follow_redirects=True)
    assert "已被他人修改，未保存" in r.get_data(as_text=True)
    session.commit()
    session.expire_all()
    assert session.get(User, someone.id).display_name == "张三丰"
    fresh = _stamp_of(r.get_data(as_text=True))
    r = client.post(f"/office/users/{someone.id}/profile", data={**data, "version": fresh}, follow_redirects=True)
    assert "已保存" in r.get_data(as_text=True)
    session.commit()
    session.expire_all()
    assert session.get(User, someone.id).display_name == "张山"


def test_a_deliberation_adjustment_from_a_page_opened_before_another_one_is_refused(client, session, case):
    from app.models.result import ResultOverride

    cid = case.cycle.id
    _as(client, "office1")
    client.get(f"/cycles/{cid}/results")
    _as(client, "group1")
    page = client.get(f"/cycles/{cid}/results").get_data(as_text=True)
    seen = _rs(session, case).version
    assert re.search(rf'name="version" type="hidden" value="{seen}"', page)
    _leader_changes(session, case)  # another member adjusts a unit
    rs = _rs(session, case)
    row = session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id).order_by(ResultRow.id.desc())).first()
    data = {"unit_id": row.unit_id, "kind": "grade", "value": "合格" if row.grade == "优秀" else "优秀",
            "reason": "审议"}
    r = client.post(f"/cycles/{cid}/results/override", data={**data, "version": seen}, follow_redirects=True)
    assert "未调整" in r.get_data(as_text=True)
    session.commit()
    assert len(session.exec(select(ResultOverride)).all()) == 1
    r = client.post(f"/cycles/{cid}/results/override", data={**data, "version": _rs(session, case).version},
                    follow_redirects=True)
    assert "调整已记录" in r.get_data(as_text=True)
    session.commit()
    assert len(session.exec(select(ResultOverride)).all()) == 2


def test_a_recomputation_that_moves_totals_moves_the_version(client, session, case):
    cid = case.cycle.id
    _as(client, "office1")
    client.get(f"/cycles/{cid}/results")
    seen = _rs(session, case).version
    case.inputs.facts[(case.units["丁学院"].id, "K1")] = {"points": 95}  # new scores arrive
    client.get(f"/cycles/{cid}/results")  # another officer's page recomputes
    assert _rs(session, case).version > seen
    r = client.post(f"/cycles/{cid}/results/fix", data={"version": seen}, follow_redirects=True)
    assert "未定稿" in r.get_data(as_text=True) and _rs(session, case).status == "proposed"
