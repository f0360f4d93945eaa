"""A small scheme and a cycle around it, for the self-report and scoring tests (services, web, sheets).

The scheme exercises the rule kinds the workflows must handle generically: judged points,
a deduction per occurrence, tiers on a ratio, and a cross-unit rule (relative to the average
with a rank bonus) that applies to one sub-type only; owners are departments and 目标办.
"""

from sqlmodel import Session

from tests.builders import factories as f


def small_scheme() -> dict:
    return {
        "format": "kpi-scheme/1",
        "key": "test-scheme",
        "version": 1,
        "name": "测试方案",
        "normalisation": "scale",
        "categories": [
            {
                "key": "college",
                "name": "院部",
                "subtypes": ["二级学院", "基础课教学部", "思想政治教学部", "继续教育学院"],
                "components": [
                    {"key": "democratic", "name": "民主测评", "kind": "democratic", "points": 20},
                    {
                        "key": "target",
                        "name": "目标考核",
                        "kind": "target",
                        "points": 7,
                        "indicators": [
                            {
                                "code": "A",
                                "name": "基础指标",
                                "points": 3,
                                "owner": "教务处",
                                "children": [
                                    {
                                        "code": "A1",
                                        "name": "教学运行",
                                        "points": 1,
                                        "rule": "judged",
                                        "params": {},
                                        "description": "积极完成各项教学任务，教学运行稳定。",
                                    },
                                    {
                                        "code": "A2",
                                        "name": "师德师风",
                                        "points": 1,
                                        "owner": "党委组织部",
                                        "rule": "deduction_per_occurrence",
                                        "params": {"per": 0.5, "what": "违反师德规范行为"},
                                    },
                                    {
                                        "code": "A3",
                                        "name": "意识形态",
                                        "points": 1,
                                        "owner": "目标办",
                                        "rule": "judged",
                                        "params": {},
                                    },
                                ],
                            },
                            {
                                "code": "B",
                                "name": "重点指标",
                                "points": 4,
                                "children": [
                                    {
                                        "code": "B1",
                                        "name": "社会培训",
                                        "points": 2,
                                        "owner": "教务处",
                                        "rule": "tiers",
                                        "params": {
                                            "measures": [
                                                {
                                                    "label": "社会培训人数占在校生比例",
                                                    "percent": True,
                                                    "value": {
                                                        "key": "trainees",
                                                        "label": "社会培训人数",
                                                        "kind": "int",
                                                        "unit": "人",
                                                    },
                                                    "per": {
                                                        "key": "students",
                                                        "label": "在校生数",
                                                        "kind": "int",
                                                        "unit": "人",
                                                    },
                                                    "tiers": [{"min": 70, "points": 1}, {"min": 100, "points": 2}],
                                                }
                                            ]
                                        },
                                    },
                                    {
                                        "code": "B2",
                                        "name": "科研经费",
                                        "points": 2,
                                        "owner": "科技与产业处",
                                        "applies_to": ["二级学院"],
                                        "rule": "relative_average",
                                        "params": {
                                            "measure": {
                                                "label": "科研经费",
                                                "value": {"key": "funds", "label": "到账经费", "unit": "万元"},
                                            },
                                            "tiers": [{"share": 0.7, "points": 1}, {"share": 1, "points": 1.5}],
                                            "top_bonus": {"rank": 3, "points": 2},
                                        },
                                    },
                                ],
                            },
                        ],
                    },
                    {
                        "key": "leader",
                        "name": "领导班子评价",
                        "kind": "leader",
                        "points": 30,
                        "parts": {"principal": 20, "deputy": 10},
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
                        "points": 10,
                        "indicators": [
                            {
                                "code": "C1",
                                "name": "工作作风",
                                "points": 10,
                                "owner": "目标办",
                                "rule": "judged",
                                "params": {},
                            },
                        ],
                    },
                    {
                        "key": "leader",
                        "name": "领导班子评价",
                        "kind": "leader",
                        "points": 30,
                        "parts": {"principal": 20, "deputy": 10},
                    },
                ],
            },
        ],
        "ballot": {
            "levels": [{"name": "优秀", "value": 90}, {"name": "合格", "value": 70}, {"name": "不合格", "value": 50}]
        },
        "grading": {"quotas": {"college": 2, "department": 3}},
    }


class World:
    """Units, people and an open cycle with the small scheme."""

    def __init__(self, s: Session, open_all: bool = True):
        from app.models import Scheme

        scheme = Scheme(code="test-scheme", version=1, name="测试方案", data=small_scheme())
        s.add(scheme)
        s.flush()
        self.c1 = f.unit(s, "机电工程学院")
        self.c2 = f.unit(s, "信息工程学院")
        self.c3 = f.unit(s, "继续教育学院", subtype="继续教育学院")
        self.jwc = f.unit(s, "教务处", category="department")
        self.zzb = f.unit(s, "党委组织部", category="department")
        self.kjc = f.unit(s, "科技与产业处", category="department")
        self.cycle = f.cycle(s, open_all=open_all, scheme=scheme)
        self.office = f.user(s, "office", roles=["office"])
        self.tb1 = f.user(s, "tb1", roles=[{"role": "reporter", "unit_id": self.c1.id}], unit_id=self.c1.id)
        self.tb2 = f.user(s, "tb2", roles=[{"role": "reporter", "unit_id": self.c2.id}], unit_id=self.c2.id)
        self.tb3 = f.user(s, "tb3", roles=[{"role": "reporter", "unit_id": self.c3.id}], unit_id=self.c3.id)
        self.tb_jwc = f.user(s, "tb_jwc", roles=[{"role": "reporter", "unit_id": self.jwc.id}], unit_id=self.jwc.id)
        self.pf_jwc = f.user(s, "pf_jwc", roles=[{"role": "scorer", "unit_id": self.jwc.id}], unit_id=self.jwc.id)
        self.pf_zzb = f.user(s, "pf_zzb", roles=[{"role": "scorer", "unit_id": self.zzb.id}], unit_id=self.zzb.id)
        self.pf_kjc = f.user(s, "pf_kjc", roles=[{"role": "scorer", "unit_id": self.kjc.id}], unit_id=self.kjc.id)
        s.commit()
