"""Self-report service: drafts, versions, submit, return, publish, stage lock, audit."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import AuditEntry, Notice, Stage
from app.models.base import utcnow
from app.rubric.scheme import load_scheme
from app.services import PermissionDenied, ServiceError, StageClosed, StaleData, reports
from tests.builders.report_world import World, small_scheme


@pytest.fixture
def w(session):
    return World(session)


def test_small_scheme_is_valid():
    scheme = load_scheme(small_scheme())
    assert [c.key for c in scheme.categories] == ["college", "department"]
    assert scheme.indicator("B2").applies_to == ("二级学院",)


def test_leaves_follow_subtype_and_inherit_owner(session, w):
    codes = [leaf.code for leaf in reports.leaves_for_unit(w.cycle, w.c1)]
    assert codes == ["A1", "A2", "A3", "B1", "B2"]
    # 继续教育学院 does not take part in B2; a department has its own indicators
    assert "B2" not in [leaf.code for leaf in reports.leaves_for_unit(w.cycle, w.c3)]
    assert [leaf.code for leaf in reports.leaves_for_unit(w.cycle, w.jwc)] == ["C1"]
    a1 = reports.leaf_by_code(w.cycle, "A1")
    assert a1.owner == "教务处"  # inherited from the group
    assert reports.leaf_by_code(w.cycle, "A2").owner == "党委组织部"
    # judged points are the scorer's; the unit reports no fact for them
    assert a1.fact_fields == [] and [f.name for f in a1.judgment_fields] == ["points", "reason"]
    assert [f.name for f in reports.leaf_by_code(w.cycle, "B1").fact_fields] == ["trainees", "students"]
    assert "扣" in reports.leaf_by_code(w.cycle, "A2").rule_text


def test_save_draft_parses_facts_and_audits(session, w):
    v = reports.save_draft(session, actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1,
                           texts={"summary": "全年完成教学任务。"}, report_version=0,
                           entries={"B1": {"facts": {"trainees": " 1,200 ", "students": "1000"},
                                           "narrative": "培训了很多人", "version": 0}})
    session.commit()
    report = reports.find_report(session, w.cycle.id, w.c1.id)
    entry = reports.entries_of(session, report)["B1"]
    assert entry.facts == {"trainees": "1200", "students": "1000"}
    assert v["B1"] == 1 and v["report"] == report.version
    audits = session.exec(select(AuditEntry).where(AuditEntry.entity == "report_entry")).all()
    assert audits[-1].old_value == {"facts": {}, "narrative": ""}
    assert audits[-1].new_value["facts"]["trainees"] == "1200"


def test_bad_fact_is_refused_with_field_name(session, w):
    with pytest.raises(ServiceError) as e:
        reports.save_draft(session, actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1,
                           entries={"B1": {"facts": {"trainees": "很多"}, "version": 0}})
    assert "社会培训人数" in e.value.message


def test_other_unit_refused(session, w):
    with pytest.raises(PermissionDenied):
        reports.save_draft(session, actor_id=w.tb2.id, allowed_units={w.c2.id}, cycle=w.cycle, unit=w.c1,
                           texts={"summary": "x"})


def test_stale_entry_is_refused(session, w):
    kw = dict(actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1)
    reports.save_draft(session, **kw, entries={"A2": {"facts": {"count": "1"}, "version": 0}})
    session.commit()
    # a second tab still holding version 0
    with pytest.raises(StaleData) as e:
        reports.save_draft(session, **kw, entries={"A2": {"facts": {"count": "2"}, "version": 0}})
    assert "已被他人修改" in e.value.message
    session.rollback()
    entry = reports.entries_of(session, reports.find_report(session, w.cycle.id, w.c1.id))["A2"]
    assert entry.facts == {"count": "1"}


def test_stale_texts_are_refused(session, w):
    kw = dict(actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1)
    v = reports.save_draft(session, **kw, texts={"summary": "一"}, report_version=0)
    reports.save_draft(session, **kw, texts={"summary": "二"}, report_version=v["report"])
    with pytest.raises(StaleData):
        reports.save_draft(session, **kw, texts={"summary": "三"}, report_version=v["report"])


def test_submit_return_resubmit_publish(session, w):
    kw = dict(actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1)
    with pytest.raises(ServiceError):  # the summary is required
        reports.submit(session, **kw, expected_version=0)
    v = reports.save_draft(session, **kw, texts={"summary": "总结"}, report_version=0,
                           entries={"A2": {"facts": {"count": "0"}, "version": 0}})
    report = reports.submit(session, **kw, expected_version=v["report"])
    assert report.status == "submitted" and report.submitted_texts == {"summary": "总结"}
    assert reports.submitted_facts(session, w.cycle.id) == {(w.c1.id, "A2"): {"count": "0"}}
    with pytest.raises(ServiceError):  # locked once submitted
        reports.save_draft(session, **kw, texts={"summary": "改"})
    with pytest.raises(ServiceError):
        reports.return_report(session, actor_id=w.office.id, report=report, comment=" ",
                              expected_version=report.version)
    reports.return_report(session, actor_id=w.office.id, report=report, comment="请补充佐证",
                          expected_version=report.version)
    assert report.status == "returned"
    notices = session.exec(select(Notice).where(Notice.user_id == w.tb1.id)).all()
    assert len(notices) == 1 and "请补充佐证" in notices[0].body and "退回" in notices[0].title
    v = reports.save_draft(session, **kw, texts={"summary": "修改后的总结"}, report_version=report.version,
                           entries={"A2": {"facts": {"count": "1"}, "version": 1}})
    # the draft is private: what others see is still the first submission
    assert reports.submitted_facts(session, w.cycle.id)[(w.c1.id, "A2")] == {"count": "0"}
    reports.submit(session, **kw, expected_version=v["report"])
    assert reports.submitted_facts(session, w.cycle.id)[(w.c1.id, "A2")] == {"count": "1"}
    assert reports.publish(session, actor_id=w.office.id, report=report) is True
    assert reports.publish(session, actor_id=w.office.id, report=report) is False
    actions = [a.action for a in session.exec(select(AuditEntry).where(AuditEntry.entity == "self_report"))]
    assert actions.count("submit") == 2 and "return" in actions and "publish" in actions


def test_closed_stage_locks_everything(session, w):
    kw = dict(actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1)
    v = reports.save_draft(session, **kw, texts={"summary": "总结"}, report_version=0)
    stage = session.exec(select(Stage).where(Stage.cycle_id == w.cycle.id, Stage.kind == "self_report")).one()
    stage.closes_at = utcnow() - timedelta(minutes=1)
    session.add(stage)
    session.flush()
    with pytest.raises(StageClosed):
        reports.save_draft(session, **kw, texts={"summary": "迟到的修改"}, report_version=v["report"])
    with pytest.raises(StageClosed):
        reports.submit(session, **kw, expected_version=v["report"])


def test_pending_reporters(session, w):
    assert {w.tb1.id, w.tb2.id, w.tb3.id, w.tb_jwc.id} <= reports.pending_reporters(session, w.cycle)
    kw = dict(actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1)
    v = reports.save_draft(session, **kw, texts={"summary": "总结"}, report_version=0)
    reports.submit(session, **kw, expected_version=v["report"])
    pending = reports.pending_reporters(session, w.cycle)
    assert w.tb1.id not in pending and w.tb2.id in pending


def test_completeness_of_units_counts_as_completeness_does(session, w):
    reports.save_draft(session, actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1,
                       texts={"summary": "全年完成教学任务。"}, report_version=0,
                       entries={"B1": {"facts": {"trainees": "1200", "students": "1000"}, "version": 0},
                                "A1": {"narrative": "已完成", "version": 0}})
    reports.save_draft(session, actor_id=w.tb2.id, allowed_units={w.c2.id}, cycle=w.cycle, unit=w.c2,
                       texts={"summary": "概述"}, report_version=0,
                       entries={"B1": {"facts": {"trainees": "5"}, "version": 0}})
    session.commit()
    units = [w.c1, w.c2, w.c3, w.jwc]
    rs = reports.reports_of_cycle(session, w.cycle.id)
    batch = reports.completeness_of_units(session, w.cycle, units, rs)
    assert batch == {u.id: reports.completeness(session, w.cycle, u, rs.get(u.id)) for u in units}
    assert batch[w.c1.id][0] == 2 and batch[w.c2.id][0] < batch[w.c1.id][0] and batch[w.c3.id][0] == 0
