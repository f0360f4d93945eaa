"""The demo organisation: 连云港职业技术学院 as its 2018-2019 综合目标考核实施办法 describes it.

The document names the fourteen functional departments (附件2) and the sub-types of the
院部 (二级学院, 基础课教学部, 思想政治教学部, 继续教育学院) but not the names of its 二级学院;
the eight used here are the college's well-known schools and are marked as demo names.
Loading is idempotent: what exists is kept, what is missing is added.
"""

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from app.models import Cycle, RoleMembership, Scheme, Stage, Unit, User
from app.models.base import utcnow
from app.services import accounts, org, stages

DEMO_PASSWORD = "demo1234"
SEEDS_DIR = Path(__file__).resolve().parent
SCHEME_FILE = SEEDS_DIR / "scheme_lianyungang_2018.json"

# (code, name, category, subtype)
UNITS = [
    ("jd", "机电工程学院", "college", "二级学院"),
    ("xx", "信息工程学院", "college", "二级学院"),
    ("sx", "商学院", "college", "二级学院"),
    ("jz", "建筑工程学院", "college", "二级学院"),
    ("yx", "医学院", "college", "二级学院"),
    ("hc", "化学与材料工程学院", "college", "二级学院"),
    ("ys", "艺术学院", "college", "二级学院"),
    ("wl", "文化旅游学院", "college", "二级学院"),
    ("jcb", "基础课教学部", "college", "基础课教学部"),
    ("szb", "思想政治教学部", "college", "思想政治教学部"),
    ("jjy", "继续教育学院", "college", "继续教育学院"),
    ("dwb", "党委办公室", "department", "职能部门"),
    ("jcs", "监察室", "department", "职能部门"),
    ("zzb", "党委组织部", "department", "职能部门"),
    ("xcb", "党委宣传部", "department", "职能部门"),
    ("gh", "工会委员会", "department", "职能部门"),
    ("jwc", "教务处", "department", "职能部门"),
    ("hq", "后勤管理处", "department", "职能部门"),
    ("xgb", "党委学生工作部", "department", "职能部门"),
    ("bwc", "保卫处", "department", "职能部门"),
    ("cwc", "财务处", "department", "职能部门"),
    ("kjc", "科技与产业处", "department", "职能部门"),
    ("zjc", "质量监督处", "department", "职能部门"),
    ("tsg", "图书馆", "department", "职能部门"),
    ("ldfw", "劳动服务公司", "department", "职能部门"),
]
FULL_NAMES = {
    "党委办公室": "党委办公室（挂校长办公室、外事办公室牌子）",
    "监察室": "监察室（与审计处合署，挂纪委办公室牌子）",
    "党委组织部": "党委组织部（与统战部、人事处、机关党总支合署，挂教师工作部、教师发展中心牌子）",
    "党委宣传部": "党委宣传部（挂网络信息中心牌子）",
    "工会委员会": "工会委员会（挂妇联、离退休管理处牌子）",
    "教务处": "教务处（挂继续教育管理处、校企合作中心牌子）",
    "后勤管理处": "后勤管理处（挂资产管理处牌子）",
    "党委学生工作部": "党委学生工作部（与校团委、招生就业办合署，挂学生工作处、学生公寓管理中心牌子）",
    "保卫处": "保卫处（与武装部合署，挂军事理论教研室、信访办牌子）",
    "科技与产业处": "科技与产业处（与高教研究室合署，挂发展规划处、学报编辑部牌子）",
    "质量监督处": "质量监督处（挂督导室牌子）",
}

# (username, display name, unit code or None, [(role, bound unit code or None, leader rank)])
PEOPLE = [
    ("office", "目标办 王主任", "zzb", [("office", None, None)]),
    ("sj", "党委书记 李书记", None, [("leader", None, "principal"), ("group", None, None)]),
    ("xz", "校长 陈校长", None, [("leader", None, "principal"), ("group", None, None)]),
    ("fxz1", "副校长 赵副校长", None, [("leader", None, "deputy"), ("group", None, None)]),
    ("fxz2", "副校长 孙副校长", None, [("leader", None, "deputy"), ("group", None, None)]),
    ("fsj", "党委副书记 周副书记", None, [("leader", None, "deputy"), ("group", None, None)]),
    ("jwsj", "纪委书记 吴书记", None, [("leader", None, "deputy"), ("group", None, None)]),
]
SCORER_UNITS = ["jwc", "xgb", "zzb", "kjc", "bwc", "dwb", "xcb", "cwc", "zjc", "hq", "jcs", "gh", "tsg", "ldfw"]
VOTERS_PER_UNIT = 2

DEMO_LOGINS = [
    ("office", "目标办（运行考核周期）"),
    ("tb_jd", "单位填报员 · 机电工程学院（tb_<单位代码>，每个单位一个）"),
    ("tb_jwc", "单位填报员 · 教务处"),
    ("tb_dwb", "单位填报员 · 党委办公室（演示绩效目标表 2026）"),
    ("pf_jwc", "考核评分员 · 教务处（pf_<部门代码>）"),
    ("xz", "校领导（正职）· 领导小组成员"),
    ("fxz1", "校领导（副职）· 领导小组成员"),
    ("tp_jd_1", "测评投票人 · 机电工程学院（tp_<单位代码>_1/2）"),
]


def _unit_by_code(session: Session) -> dict[str, Unit]:
    by_name = {u.name: u for u in session.exec(select(Unit))}
    return {code: by_name[name] for code, name, _c, _s in UNITS if name in by_name}


def _ensure_user(session: Session, username: str, display_name: str, unit: Unit | None, roles) -> int:
    user = session.exec(select(User).where(User.username == username)).first()
    created = 0
    if user is None:
        user = accounts.create_user(session, actor_id=None, username=username, display_name=display_name,
                                    password=DEMO_PASSWORD, unit_id=unit.id if unit else None,
                                    must_change_password=False)
        created = 1
    have = {(m.role, m.unit_id) for m in session.exec(select(RoleMembership).where(RoleMembership.user_id == user.id))}
    for role, bound, rank in roles:
        if (role, bound.id if bound else None) not in have:
            accounts.add_role(session, actor_id=None, user=user, role=role, unit_id=bound.id if bound else None,
                              leader_rank=rank)
    return created


def load_scheme(session: Session) -> Scheme | None:
    if not SCHEME_FILE.exists():
        return None
    data = json.loads(SCHEME_FILE.read_text(encoding="utf-8"))
    code = data.get("code", "lianyungang-2018")
    version = int(data.get("version", 1))
    scheme = session.exec(select(Scheme).where(Scheme.code == code, Scheme.version == version)).first()
    if scheme is None:
        scheme = Scheme(code=code, version=version, name=data.get("name", "综合目标考核方案"), data=data)
        session.add(scheme)
        session.flush()
    return scheme


def demo_stage_times(now=None):
    """Stage times relative to the moment of loading, so the demo cycle is live: the work of
    stages 1–5 is open (2–5 side by side, as the rules allow), deliberation and publication follow."""
    now = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    d = timedelta(days=1)
    return {
        "self_report": (now - 7 * d, now + 7 * d),
        "democratic": (now - 1 * d, now + 10 * d),
        "scoring": (now - 3 * d, now + 14 * d),
        "leader": (now - 1 * d, now + 14 * d),
        "award": (now - 3 * d, now + 14 * d),
        "deliberation": (now + 15 * d, now + 20 * d),
        "publication": (now + 21 * d, now + 28 * d),
    }


def load_demo(session: Session) -> str:
    added_units = 0
    existing = {u.name for u in session.exec(select(Unit))}
    for position, (_code, name, category, subtype) in enumerate(UNITS, start=1):
        if name not in existing:
            org.create_unit(session, actor_id=None, name=name, category=category, subtype=subtype,
                            short_name=name, position=position)
            added_units += 1
    units = _unit_by_code(session)

    added_users = 0
    for username, display_name, unit_code, roles in PEOPLE:
        resolved = [(r, units.get(b) if b else None, rank) for r, b, rank in roles]
        added_users += _ensure_user(session, username, display_name, units.get(unit_code) if unit_code else None,
                                    resolved)
    for code, name, _cat, _sub in UNITS:
        unit = units[code]
        added_users += _ensure_user(session, f"tb_{code}", f"{name}填报员", unit, [("reporter", unit, None)])
        for i in range(1, VOTERS_PER_UNIT + 1):
            added_users += _ensure_user(
                session, f"tp_{code}_{i}", f"{name}教职工代表{i}", unit, [("voter", None, None)]
            )
    for code in SCORER_UNITS:
        unit = units[code]
        added_users += _ensure_user(session, f"pf_{code}", f"{unit.name}评分员", unit, [("scorer", unit, None)])

    scheme = load_scheme(session)
    cycle = session.exec(select(Cycle).where(Cycle.name == "2018-2019学年")).first()
    if cycle is None:
        cycle = stages.create_cycle(session, actor_id=None, name="2018-2019学年", period_start=date(2018, 9, 1),
                                    period_end=date(2019, 8, 31), scheme=scheme)
        times = demo_stage_times()
        for stage in session.exec(select(Stage).where(Stage.cycle_id == cycle.id)):
            stage.opens_at, stage.closes_at = times[stage.kind]
            session.add(stage)
        session.flush()
        prepare_vote(session, cycle)
    tables = load_target_tables(session, units)
    return f"新增单位 {added_units} 个、账号 {added_users} 个；周期「{cycle.name}」；绩效目标表 {tables} 张。"


DEMO_CODES = 40
DEMO_EXCELLENT_SHARE = Decimal("0.3")


def prepare_vote(session: Session, cycle: Cycle) -> None:
    """The democratic rating ready to try: the rater groups, the voter accounts on the roll as
    教职工代表, a batch of one-time codes for 中层干部 (print them from 民主测评 → 打印测评票), and
    the issue's example rule of at most 30 % 优秀 per category (the source document sets none)."""
    from app.services import voting

    groups = {g.key: g for g in voting.create_default_groups(session, actor_id=None, cycle=cycle)}
    staff = groups.get("staff") or list(groups.values())[-1]
    cadre = groups.get("cadre") or list(groups.values())[0]
    voting.add_accounts(session, actor_id=None, cycle=cycle, group_id=staff.id)
    voting.issue_codes(session, actor_id=None, cycle=cycle, group_id=cadre.id, count=DEMO_CODES, batch="演示批次")
    voting.set_excellent_share(session, actor_id=None, cycle=cycle, share=DEMO_EXCELLENT_SHARE)


# (file in seeds/targets/, unit code, year): a real provincial-format table, so the target-table
# pages have something to show; its half-year checkpoint is open for two weeks.
TARGET_TABLES = [("changzhou_2026_targets.xlsx", "dwb", 2026)]


def load_target_tables(session: Session, units: dict[str, Unit]) -> int:
    from app.services import targets

    added = 0
    for filename, code, year in TARGET_TABLES:
        unit = units[code]
        if targets.find_table(session, unit.id, year) is not None:
            continue
        data = (SEEDS_DIR / "targets" / filename).read_bytes()
        targets.import_table(session, actor_id=None, unit=unit, year=year, data=data, filename=filename)
        if targets.checkpoint(session, year, "half_year") is None:
            targets.set_checkpoint(session, actor_id=None, year=year, kind="half_year", status="open",
                                   due_at=utcnow() + timedelta(days=14))
        added += 1
    return added
