"""Small builders for test data, going through the same services the product uses."""

import copy
import itertools
from datetime import date, timedelta

from sqlmodel import Session, select

from app.models import Scheme, Stage, Unit, User
from app.models.base import utcnow
from app.services import accounts, org, stages

PASSWORD = "secret123"
_seq = itertools.count(1)


def unit(s: Session, name: str | None = None, category: str = "college", subtype: str | None = None) -> Unit:
    subtype = subtype or ("二级学院" if category == "college" else "职能部门")
    return org.create_unit(s, actor_id=None, name=name or f"单位{next(_seq)}", category=category, subtype=subtype)


def user(s: Session, username: str | None = None, roles=(), unit_id: int | None = None, **kw) -> User:
    username = username or f"user{next(_seq)}"
    role_dicts = []
    for r in roles:
        if isinstance(r, str):
            role_dicts.append({"role": r})
        else:
            role_dicts.append(r)
    return accounts.create_user(s, actor_id=None, username=username, display_name=username, password=PASSWORD,
                                unit_id=unit_id, roles=role_dicts, must_change_password=kw.get("must_change", False))


def scheme(s: Session, data: dict) -> Scheme:
    """A scheme version in the database holding ``data`` (a valid scheme dict), for ``cycle(scheme=...)``."""
    row = Scheme(code=data["key"], version=data["version"], name=data["name"], data=copy.deepcopy(data))
    s.add(row)
    s.flush()
    return row


def cycle(s: Session, name: str = "2018-2019学年", open_all: bool = True, scheme=None):
    c = stages.create_cycle(s, actor_id=None, name=name, period_start=date(2018, 9, 1), period_end=date(2019, 8, 31),
                            scheme=scheme)
    if open_all:
        now = utcnow()
        for st in s.exec(select(Stage).where(Stage.cycle_id == c.id)):
            st.opens_at, st.closes_at = now - timedelta(days=1), now + timedelta(days=5)
            s.add(st)
        s.flush()
    return c


def login(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=False)


def voting_scheme_data(*, max_excellent_share=0.3, rater_groups=None) -> dict:
    """A small valid scheme for voting tests: 院部 (democratic 20) and 部门 (democratic 70), one
    judged indicator each, 优秀/合格/不合格 = 90/70/50, at most 30 % 优秀 per category, rater
    groups 中层干部 and 教职工代表 without weights."""
    def category(key, name, subtypes, democratic, target):
        return {"key": key, "name": name, "subtypes": subtypes, "components": [
            {"key": "democratic", "name": "民主测评", "kind": "democratic", "points": democratic},
            {"key": "target", "name": "目标考核", "kind": "target", "points": target, "indicators": [
                {"code": f"{key[0].upper()}1", "name": "工作目标", "points": target, "rule": "judged",
                 "params": {}}]},
            {"key": "leader", "name": "领导班子评价", "kind": "leader", "points": 30,
             "parts": {"principal": 20, "deputy": 10}, "rating_max": 100}]}

    groups = rater_groups if rater_groups is not None else [{"key": "cadre", "name": "中层干部", "weight": None},
                                                            {"key": "staff", "name": "教职工代表", "weight": None}]
    return {
        "format": "kpi-scheme/1", "key": "test-voting", "version": 1, "name": "测评测试方案", "total_points": 200,
        "categories": [
            category("college", "院部", ["二级学院", "基础课教学部", "思想政治教学部", "继续教育学院"], 20, 150),
            category("department", "部门", ["职能部门"], 70, 100)],
        "ballot": {"levels": [{"name": "优秀", "value": 90}, {"name": "合格", "value": 70},
                              {"name": "不合格", "value": 50}],
                   "excellent_level": "优秀", "max_excellent_share": max_excellent_share,
                   "all_units_required": True, "exclude_own_unit": True, "rater_groups": groups},
        "grading": {"quotas": {"college": 2, "department": 3}},
    }


def voting_scheme(s: Session, **kw) -> Scheme:
    """:func:`voting_scheme_data` stored as a scheme version, for ``cycle(s, scheme=...)``."""
    data = voting_scheme_data(**kw)
    scheme = Scheme(code=data["key"], version=data["version"], name=data["name"], data=data)
    s.add(scheme)
    s.flush()
    return scheme
