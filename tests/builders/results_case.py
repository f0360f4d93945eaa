"""A complete cycle with known inputs (``build_case``): eleven units in two categories, their
scores, ballots and leader ratings, eligibility, a veto, the previous cycle's last-ranked unit.
The ``case`` fixture serves these inputs to ``results.gather_inputs``.

Used by the results tests of the services, the web pages and the workbook."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from app.models import Cycle
from app.models.result import ResultRow, ResultSet
from app.services import results
from tests.builders import factories as f


def judged(code, name, pts, **kw):
    return {"code": code, "name": name, "points": pts, "rule": "judged", "params": {}, **kw}


def scheme_dict(fail_rule=None):
    return {
        "format": "kpi-scheme/1",
        "key": "test-results",
        "version": 1,
        "name": "测试方案",
        "total_points": 200,
        "normalisation": "scale",
        "categories": [
            {
                "key": "college",
                "name": "院部",
                "subtypes": ["二级学院", "基础课教学部"],
                "components": [
                    {"key": "democratic", "name": "民主测评", "kind": "democratic", "points": 20},
                    {
                        "key": "target",
                        "name": "目标考核",
                        "kind": "target",
                        "points": 150,
                        "indicators": [
                            {
                                "code": "B",
                                "name": "基础指标",
                                "points": 55,
                                "max_by_subtype": {"基础课教学部": 45},
                                "children": [
                                    judged("B1", "党建与管理", 45),
                                    judged("B2", "招生工作", 10, applies_to=["二级学院"]),
                                ],
                            },
                            {
                                "code": "K",
                                "name": "重点指标",
                                "points": 95,
                                "children": [judged("K1", "教学与科研", 95)],
                            },
                        ],
                    },
                    {
                        "key": "leader",
                        "name": "领导班子评价",
                        "kind": "leader",
                        "points": 30,
                        "parts": {"principal": 20, "deputy": 10},
                        "rating_max": 100,
                    },
                ],
            },
            {
                "key": "department",
                "name": "部门",
                "subtypes": ["职能部门"],
                "components": [
                    {"key": "democratic", "name": "民主测评", "kind": "democratic", "points": 70},
                    {
                        "key": "target",
                        "name": "目标考核",
                        "kind": "target",
                        "points": 100,
                        "indicators": [
                            {
                                "code": "W",
                                "name": "工作目标",
                                "points": 100,
                                "children": [judged("W1", "工作作风", 40), judged("W2", "年度主要工作", 60)],
                            }
                        ],
                    },
                    {
                        "key": "leader",
                        "name": "领导班子评价",
                        "kind": "leader",
                        "points": 30,
                        "parts": {"principal": 20, "deputy": 10},
                        "rating_max": 100,
                    },
                ],
            },
        ],
        "ballot": {
            "levels": [{"name": "优秀", "value": 90}, {"name": "合格", "value": 70}, {"name": "不合格", "value": 50}]
        },
        "grading": {
            "quotas": {"college": 2, "department": 3},
            "vetoes": [{"key": "safety", "text": "发生重大安全责任事故"}],
            "fail_rule": fail_rule or {"type": "below_score", "threshold": 150},
            "last_place": {"years": 2, "text": "予以通报"},
            "tie_break": ["target", "leader", "democratic"],
        },
    }


# name, category, subtype, facts {code: points}, ballots (优秀, 合格, 不合格), principal ratings, deputy ratings
UNITS = [
    ("甲学院", "college", "二级学院", {"B1": 45, "B2": 10, "K1": 92}, (8, 2, 0), [95, 93], [90, 88, 91]),
    ("乙学院", "college", "二级学院", {"B1": 44, "B2": 9, "K1": 90}, (7, 3, 0), [92, 90], [90, 86, 85]),
    ("丙学院", "college", "二级学院", {"B1": 40, "B2": 8, "K1": 85}, (5, 5, 0), [88, 86], [85, 84, 83]),
    ("基础课教学部", "college", "基础课教学部", {"B1": 42, "K1": 88}, (6, 4, 0), [90, 88], [87, 86, 86]),
    ("丁学院", "college", "二级学院", {"B1": 38, "K1": 80, "B2": 6}, (2, 6, 2), [80, 78], [80, 79, 78]),
    ("党委办公室", "department", "职能部门", {"W1": 39, "W2": 58}, (9, 1, 0), [95, 94], [92, 91, 90]),
    ("教务处", "department", "职能部门", {"W1": 38, "W2": 57}, (8, 2, 0), [93, 92], [90, 90, 89]),
    ("财务处", "department", "职能部门", {"W1": 36, "W2": 55}, (8, 2, 0), [93, 92], [90, 90, 89]),
    ("图书馆", "department", "职能部门", {"W1": 37, "W2": 54}, (8, 2, 0), [93, 92], [90, 90, 89]),
    ("保卫处", "department", "职能部门", {"W1": 35, "W2": 50}, (6, 4, 0), [88, 86], [85, 85, 84]),
    ("后勤管理处", "department", "职能部门", {"W1": 20, "W2": 30}, (1, 5, 4), [70, 72], [70, 71, 69]),
]
MAX = {"B1": 45, "B2": 10, "K1": 95, "W1": 40, "W2": 60}
# Not eligible: 甲学院 (no accepted application); veto: 乙学院. Eligible: everyone else.
NOT_ELIGIBLE = {"甲学院"}
VETOED = {"乙学院": ["safety"]}
PREVIOUS_LAST = {"后勤管理处"}


@dataclass
class Case:
    cycle: Cycle
    units: dict  # name -> Unit
    inputs: results.Inputs
    office: object
    group: object
    reporter: object


def make_inputs(units: dict) -> results.Inputs:
    facts, ballots, ratings = {}, {}, {}
    for name, _cat, _sub, fx, (a, b, c), pr, dp in UNITS:
        uid = units[name].id
        for code, pts in fx.items():
            facts[(uid, code)] = {"points": pts, **({} if pts == MAX[code] else {"reason": "未达满分"})}
        ballots[uid] = {"cadre": {"优秀": a, "合格": b, "不合格": c}}
        ratings[uid] = {"principal": [Decimal(x) for x in pr], "deputy": [Decimal(x) for x in dp]}
    eligible = {u.id for n, u in units.items() if n not in NOT_ELIGIBLE}
    vetoes = {units[n].id: v for n, v in VETOED.items()}
    awards = [{"unit_id": units["教务处"].id, "title": "省级教学成果奖一等奖", "level": "省级", "decided": "awarded",
               "explanation": "领导小组7人，赞成6人，授予突出贡献奖。"}]
    return results.Inputs(facts=facts, ballots=ballots, leader_ratings=ratings, eligible=eligible, vetoes=vetoes,
                          awards=awards,
                          turnout=[{"key": "cadre", "name": "中层干部", "weight": None, "roll": 12, "voted": 10}])


def build_case(session, *, fail_rule=None, previous=True) -> Case:
    from app.models import Scheme

    scheme = Scheme(code="test-results", version=1, name="测试方案", data=scheme_dict(fail_rule))
    session.add(scheme)
    session.flush()
    units = {}
    for pos, (name, cat, sub, *_rest) in enumerate(UNITS, start=1):
        u = f.unit(session, name, cat, sub)
        u.position = pos
        session.add(u)
        units[name] = u
    office = f.user(session, "office1", roles=["office"])
    group = f.user(session, "group1", roles=["group"])
    reporter = f.user(session, "tb1", roles=[{"role": "reporter", "unit_id": units["丙学院"].id}])
    if previous:
        prev = f.cycle(session, name="2017-2018学年", open_all=False, scheme=scheme)
        prev.period_start = prev.period_start.replace(year=2017)
        prev.period_end = prev.period_end.replace(year=2018)
        session.add(prev)
        rs = ResultSet(cycle_id=prev.id, status="final", data={"categories": []})
        session.add(rs)
        session.flush()
        for name, u in units.items():
            last = name in PREVIOUS_LAST
            session.add(ResultRow(result_set_id=rs.id, unit_id=u.id, unit_name=name, category=u.category,
                                  subtype=u.subtype, flags=["last_place"] if last else [], total=Decimal(150),
                                  computed_total=Decimal(150), rank=1, grade="合格"))
    cycle = f.cycle(session, scheme=scheme)
    session.flush()
    return Case(cycle=cycle, units=units, inputs=make_inputs(units), office=office, group=group, reporter=reporter)


@pytest.fixture
def case(session, monkeypatch):
    c = build_case(session)
    session.commit()
    monkeypatch.setattr(results, "gather_inputs", lambda db, cycle: c.inputs)
    return c
