"""The generic home-page task of each stage: with every stage open, which task (title, page)
each role gets for which stage. A person with several roles gets one task per stage, from the
first of their roles (in name order) that has one."""

from types import SimpleNamespace

import pytest

from app.services import stages, tasks
from tests.builders import factories as f

OFFICE = [
    ("跟进各单位自查报告的提交与公示", "/report/office/cycles/{c}", "自查自评"),
    ("跟进「民主测评」阶段", "/office/cycles/{c}", "民主测评"),
    ("跟进目标考核评分进度，为目标办负责的指标评分", "/scoring/cycles/{c}", "目标考核评分"),
    ("查看领导班子评价进度", "/leader/office/cycles/{c}", "领导班子评价"),
    ("突出贡献奖申报初审", "/award/office/cycles/{c}", "突出贡献奖评审"),
    ("计算、审议并定稿考核结果", "/cycles/{c}/results", "审议确定结果"),
    ("公示考核结果并答复异议", "/cycles/{c}/objections", "公示及异议"),
]
GROUP_DELIBERATION = ("审议考核结果", "/cycles/{c}/results", "审议确定结果")


@pytest.mark.parametrize("roles,expected", [
    (["office"], OFFICE),
    (["voter"], [("参加民主测评（投票）", "/v/cycles/{c}", "民主测评")]),
    (["group"], [GROUP_DELIBERATION]),
    (["reporter"], []),
    (["scorer"], []),
    (["leader"], []),
    (["group", "office"], OFFICE[:5] + [GROUP_DELIBERATION] + OFFICE[6:]),
    (["voter", "office"], OFFICE),
])
def test_open_stage_tasks_per_role(app, session, roles, expected):
    cycle = f.cycle(session)
    session.commit()
    timeline = stages.cycle_timeline(session, cycle)
    with app.test_request_context():
        got = tasks.open_stages(session, SimpleNamespace(roles=set(roles)), cycle, timeline)
    assert [(t.title, t.link, t.detail) for t in got] == [
        (title, link.format(c=cycle.id), f"{cycle.name} · {label}（进行中）") for title, link, label in expected]
    assert all(t.due is not None for t in got)


def test_closed_stages_give_no_task(app, session):
    cycle = f.cycle(session, open_all=False)
    session.commit()
    with app.test_request_context():
        got = tasks.open_stages(session, SimpleNamespace(roles={"office", "voter", "group"}), cycle,
                                stages.cycle_timeline(session, cycle))
    assert got == []


def test_every_page_of_the_stage_registry_is_a_page_of_a_cycle(app):
    from flask import url_for

    from app.services.stage_kinds import KINDS

    with app.test_request_context():
        for kind in KINDS.values():
            for page in (kind.office_page, *kind.tasks.values()):
                link = url_for(page.endpoint, cycle_id=7)
                assert "/7" in link and "?" not in link, (kind.key, page.endpoint, link)  # cycle_id is in the path
