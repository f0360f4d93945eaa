"""Progress rows of every stage, filters, 催办 (notices, e-mail copy, audit, stale and double
submissions refused) and the batch actions on self-reports (all or nothing)."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.models import AuditEntry, Notice, Stage
from app.models.award import AwardApplication
from app.models.base import utcnow
from app.models.leader import LeaderSheet
from app.models.report import SelfReport
from app.models.voting import RaterGroup, RollEntry
from app.services import ServiceError, StaleData, awards, progress
from app.services.progress_rows import Row
from app.services.stage_kinds import KINDS, pending_people
from tests.builders import factories as f
from tests.builders.report_world import World


@pytest.fixture
def world(session):
    s = session
    w = World(s)
    w.v1, w.v2 = f.user(s, "v1", roles=["voter"]), f.user(s, "v2", roles=["voter"])
    w.l1 = f.user(s, "l1", roles=[{"role": "leader", "leader_rank": "principal"}])
    w.l2 = f.user(s, "l2", roles=[{"role": "leader", "leader_rank": "deputy"}])
    w.g1, w.g2 = f.user(s, "g1", roles=["group"]), f.user(s, "g2", roles=["group"])
    cid = w.cycle.id
    w.r1 = SelfReport(cycle_id=cid, unit_id=w.c1.id, status="submitted", submitted_at=utcnow(), texts={"summary": "x"})
    w.r2 = SelfReport(cycle_id=cid, unit_id=w.c2.id, status="submitted", submitted_at=utcnow(), texts={"summary": "y"})
    w.r3 = SelfReport(cycle_id=cid, unit_id=w.c3.id, status="returned", submitted_at=utcnow(), return_comment="补材料")
    s.add_all([w.r1, w.r2, w.r3])
    group = RaterGroup(cycle_id=cid, key="cadre", name="中层干部")
    s.add(group)
    s.flush()
    s.add(RollEntry(cycle_id=cid, group_id=group.id, user_id=w.v1.id, voted=True))
    s.add(RollEntry(cycle_id=cid, group_id=group.id, user_id=w.v2.id))
    s.add(LeaderSheet(cycle_id=cid, leader_id=w.l1.id, rank="principal", finished=True, finished_at=utcnow()))
    app_ = AwardApplication(cycle_id=cid, unit_id=w.c2.id, title="教学成果奖", level="省级",
                            achieved_on=date(2019, 5, 1), issuer="省教育厅", status="accepted")
    s.add(app_)
    s.flush()
    awards.vote(s, actor_id=w.g1.id, application=app_, approve=True)
    s.commit()
    return w


def _sel(rows, *keys):
    by = {r.key: r for r in rows}
    return {k: progress.fingerprint(by[k]) for k in keys}


@pytest.mark.parametrize("kind", [k for k in KINDS if KINDS[k].progress])
def test_rows_not_done_are_exactly_the_pending_people_of_the_stage(world, session, kind):
    rows = progress.rows_of(session, world.cycle, kind)
    assert rows and all(isinstance(r, Row) for r in rows)
    assert {u for r in rows if not r.finished for u in r.recipients} == pending_people(session, world.cycle, kind)
    assert any(r.finished for r in rows) or kind == "scoring"


def test_rows_of_the_self_reports_with_their_states(world, session):
    rows = {r.name: r for r in progress.rows_of(session, world.cycle, "self_report")}
    assert rows["机电工程学院"].status == "done" and rows["机电工程学院"].recipients == (world.tb1.id,)
    assert rows["继续教育学院"].status == "returned" and "补材料" in rows["继续教育学院"].detail
    assert rows["教务处"].status == "not_submitted" and rows["教务处"].version is None
    returned = progress.select_rows(list(rows.values()), status="returned")
    assert [r.name for r in returned] == ["继续教育学院"]
    assert [r.name for r in progress.select_rows(list(rows.values()), q="信息")] == ["信息工程学院"]
    pending = {r.name for r in progress.select_rows(list(rows.values()), status="pending")}
    assert pending == {"继续教育学院", "教务处", "党委组织部", "科技与产业处"}
    assert rows["教务处"].share == 0 and "已填 0 / 1 项指标" in rows["教务处"].detail
    elapsed = progress.elapsed_share(session, world.cycle, "self_report")  # opened a day ago, five to go
    assert 0.15 < elapsed < 0.18
    behind = {r.name for r in progress.select_rows(list(rows.values()), status="behind", elapsed=elapsed)}
    assert behind == pending
    with pytest.raises(ServiceError):
        progress.select_rows([], status="nonsense")


def test_behind_compares_the_share_done_with_the_stage_time_gone(world, session):
    now = utcnow()
    stage = session.exec(select(Stage).where(Stage.cycle_id == world.cycle.id, Stage.kind == "leader")).one()
    stage.opens_at, stage.closes_at = now - timedelta(days=3), now + timedelta(days=1)  # 75 % gone
    session.add(stage)
    session.commit()
    elapsed = progress.elapsed_share(session, world.cycle, "leader")
    assert 0.74 < elapsed < 0.76
    half = Row("user:1", "甲", "", "in_progress", 8, 10, (1,))
    little = Row("user:2", "乙", "", "in_progress", 5, 10, (2,))
    done = Row("user:3", "丙", "", "done", 10, 10, (3,))
    assert [r.name for r in progress.select_rows([half, little, done], status="behind", elapsed=elapsed)] == ["乙"]
    assert progress.select_rows([little], status="behind", elapsed=0.0) == []  # not yet open: nobody behind


def test_remind_notifies_the_selected_people_now_with_an_email_copy_and_audit(world, session, app):
    app.config["SMTP_HOST"] = "mail.example.edu.cn"
    world.tb2.email = "tb2@example.edu.cn"
    session.add(world.tb2)
    session.commit()
    rows = progress.rows_of(session, world.cycle, "self_report")
    c3 = next(r.key for r in rows if r.name == "继续教育学院")
    jwc = next(r.key for r in rows if r.name == "教务处")
    token = progress.new_token()
    assert progress.remind(session, actor_id=world.office.id, cycle=world.cycle, kind="self_report",
                           selected=_sel(rows, c3, jwc), token=token, message="周五前完成") == (2, 2)
    notices = session.exec(select(Notice).order_by(Notice.user_id)).all()
    assert {n.user_id for n in notices} == {world.tb3.id, world.tb_jwc.id}
    assert all("催办" in n.title and "周五前完成" in n.body for n in notices)
    assert {n.user_id: n.email_status for n in notices} == {world.tb3.id: None, world.tb_jwc.id: None}
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "urge")).one()
    assert entry.new_value["rows"] == ["继续教育学院", "教务处"] and entry.user_id == world.office.id
    # the same confirmation submitted twice sends nothing more
    with pytest.raises(StaleData, match="已经发送过"):
        progress.remind(session, actor_id=world.office.id, cycle=world.cycle, kind="self_report",
                        selected=_sel(rows, c3, jwc), token=token)
    assert len(session.exec(select(Notice)).all()) == 2
    # e-mail copy when configured and the person has an address
    c2 = next(r for r in rows if r.name == "信息工程学院")
    world.r2.status = "draft"
    session.add(world.r2)
    session.commit()
    rows = progress.rows_of(session, world.cycle, "self_report")
    progress.remind(session, actor_id=world.office.id, cycle=world.cycle, kind="self_report",
                    selected=_sel(rows, c2.key), token=progress.new_token())
    assert session.exec(select(Notice).where(Notice.user_id == world.tb2.id)).one().email_status == "pending"


def test_remind_is_all_or_nothing(world, session):
    rows = progress.rows_of(session, world.cycle, "self_report")
    done = next(r.key for r in rows if r.name == "机电工程学院")
    open_ = next(r.key for r in rows if r.name == "教务处")
    other = next(r.key for r in rows if r.name == "党委组织部")
    with pytest.raises(ServiceError, match="机电工程学院」已完成"):
        progress.remind(session, actor_id=world.office.id, cycle=world.cycle, kind="self_report",
                        selected=_sel(rows, open_, done), token=progress.new_token())
    # a row whose state changed since the confirmation page was shown: stale
    stale = _sel(rows, open_)
    session.add(SelfReport(cycle_id=world.cycle.id, unit_id=world.jwc.id, status="submitted", submitted_at=utcnow()))
    session.commit()
    with pytest.raises(StaleData, match="教务处」的状态已变化"):
        progress.remind(session, actor_id=world.office.id, cycle=world.cycle, kind="self_report",
                        selected=stale, token=progress.new_token())
    with pytest.raises(ServiceError, match="请先勾选"):
        progress.remind(session, actor_id=world.office.id, cycle=world.cycle, kind="self_report", selected={},
                        token=progress.new_token())
    stage = session.exec(select(Stage).where(Stage.cycle_id == world.cycle.id, Stage.kind == "self_report")).one()
    stage.closes_at = utcnow() - timedelta(minutes=1)
    session.add(stage)
    session.commit()
    with pytest.raises(ServiceError, match="「自查自评」阶段已结束，不能催办"):
        progress.remind(session, actor_id=world.office.id, cycle=world.cycle, kind="self_report",
                        selected=_sel(progress.rows_of(session, world.cycle, "self_report"), other),
                        token=progress.new_token())
    assert session.exec(select(Notice)).all() == []


def test_publish_and_return_selected_reports_all_or_nothing(world, session):
    rows = progress.rows_of(session, world.cycle, "self_report")
    k1, k2, k3 = (next(r.key for r in rows if r.name == n) for n in ("机电工程学院", "信息工程学院", "继续教育学院"))
    with pytest.raises(ServiceError, match="继续教育学院」不是待公示"):
        progress.publish_reports(session, actor_id=world.office.id, cycle=world.cycle, selected=_sel(rows, k1, k3))
    session.rollback()
    assert session.get(SelfReport, world.r1.id).published_at is None
    assert progress.publish_reports(session, actor_id=world.office.id, cycle=world.cycle,
                                    selected=_sel(rows, k1, k2)) == 2
    session.commit()
    assert session.get(SelfReport, world.r1.id).published_at and session.get(SelfReport, world.r2.id).published_at
    # the old confirmation (versions before publishing) is stale now
    with pytest.raises(StaleData):
        progress.return_reports(session, actor_id=world.office.id, cycle=world.cycle, selected=_sel(rows, k1, k2),
                                comment="请补充")
    rows = progress.rows_of(session, world.cycle, "self_report")
    with pytest.raises(ServiceError, match="修改意见"):
        progress.return_reports(session, actor_id=world.office.id, cycle=world.cycle, selected=_sel(rows, k1),
                                comment=" ")
    assert progress.return_reports(session, actor_id=world.office.id, cycle=world.cycle,
                                   selected=_sel(rows, k1, k2), comment="请补充佐证材料") == 2
    session.commit()
    assert {session.get(SelfReport, r.id).status for r in (world.r1, world.r2)} == {"returned"}
    assert {n.user_id for n in session.exec(select(Notice))} == {world.tb1.id, world.tb2.id}
    actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.entity == "self_report"))]
    assert actions.count("publish_batch") == 1 and actions.count("return_batch") == 1 and actions.count("return") == 2
