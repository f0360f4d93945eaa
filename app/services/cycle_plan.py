"""A cycle's stage plan as a whole: start a cycle from an earlier one, and set every stage's
times with one save.

Starting from an earlier cycle copies, in one transaction, its stage plan shifted by a year, its
rater groups (key, name, weight, order; not the roll), its ballot rule (the office's 优秀 share)
and its scheme version (or another the office picks). The shift is either the same date a year
later (29 February becomes 28 February) or the same weekday nearest to that date, so a stage that
opened on a Monday opens on a Monday again; the times are shifted in Beijing time.

The order a plan must keep (:func:`check_plan`): every stage ends after it starts; the work
stages (民主测评 … 突出贡献奖评审) open no earlier than 自查自评; 审议确定结果 opens no earlier than
every work stage has ended; 公示及异议 opens no earlier than 审议确定结果 ends.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from app.models import Cycle, Scheme, Stage
from app.models.voting import VotingState
from app.timefmt import from_local, to_local

from . import ServiceError, StaleData
from .audit import record
from .stages import STAGE_LABELS, create_cycle, set_stage_times, stage_label

SHIFT_MODES = {
    "weekday": "保持星期几不变（取一年后最接近的同一星期几）",
    "exact": "日期精确加一年（2月29日改为2月28日）",
}
WORK_STAGES = ("democratic", "scoring", "leader", "award")


@dataclass(frozen=True)
class StagePlan:
    """The planned times of one stage (aware UTC, or None when not set) and its reminders."""

    opens_at: datetime | None
    closes_at: datetime | None
    reminder_hours: tuple[int, ...] = (72, 24)


def plus_one_year(d: date) -> date:
    """The same date a year later; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year + 1)
    except ValueError:
        return d.replace(year=d.year + 1, day=28)


def shift_date(d: date, mode: str) -> date:
    """``d`` a year later: ``exact`` (see :func:`plus_one_year`) or ``weekday``: the day with
    ``d``'s weekday nearest to that date (at most three days before or after it)."""
    target = plus_one_year(d)
    if mode == "exact":
        return target
    if mode != "weekday":
        raise ServiceError("请选择时间的顺延方式。", field="shift")
    delta = (d.weekday() - target.weekday()) % 7  # 0..6 days forward to the same weekday
    return target + timedelta(days=delta if delta <= 3 else delta - 7)


def shift_time(value: datetime | None, mode: str) -> datetime | None:
    """A stored (UTC) time a year later, shifted by its date in Beijing time, the clock time kept."""
    if value is None:
        return None
    local = to_local(value)
    day = shift_date(local.date(), mode)
    return from_local(datetime.combine(day, local.time().replace(tzinfo=None)))


def next_name(name: str) -> str:
    """A name for the cycle after ``name``: every year in it one higher (2018-2019学年 → 2019-2020学年)."""
    return re.sub(r"(?<!\d)(19|20)(\d\d)(?!\d)", lambda m: str(int(m.group(0)) + 1), name)


def check_plan(plan: dict[str, StagePlan]) -> None:
    """Refuse a plan (stage kind → times) that is out of order; see the module docstring."""
    for kind in STAGE_LABELS:
        p = plan.get(kind)
        if p is None:
            continue
        if (p.opens_at is None) != (p.closes_at is None):
            raise ServiceError(f"「{stage_label(kind)}」须同时填写开始时间和结束时间（或都不填）。", field=kind)
        if p.opens_at and p.closes_at <= p.opens_at:
            raise ServiceError(f"「{stage_label(kind)}」的结束时间须晚于开始时间。", field=kind)

    def opens(kind):
        return plan[kind].opens_at if kind in plan else None

    def closes(kind):
        return plan[kind].closes_at if kind in plan else None

    first = opens("self_report")
    for kind in WORK_STAGES:
        if first and opens(kind) and opens(kind) < first:
            raise ServiceError(f"「{stage_label(kind)}」不能早于「{stage_label('self_report')}」开始。", field=kind)
    start = opens("deliberation")
    for kind in ("self_report", *WORK_STAGES):
        if start and closes(kind) and start < closes(kind):
            raise ServiceError(f"「{stage_label('deliberation')}」须在「{stage_label(kind)}」结束后才能开始。",
                               field="deliberation")
    if opens("publication") and closes("deliberation") and opens("publication") < closes("deliberation"):
        raise ServiceError(f"「{stage_label('publication')}」须在「{stage_label('deliberation')}」结束后才能开始。",
                           field="publication")


def stages_of(db: Session, cycle: Cycle) -> dict[str, Stage]:
    return {s.kind: s for s in db.exec(select(Stage).where(Stage.cycle_id == cycle.id))}


def current_plan(db: Session, cycle: Cycle) -> dict[str, StagePlan]:
    return {k: StagePlan(s.opens_at, s.closes_at, tuple(s.reminder_hours or ()))
            for k, s in stages_of(db, cycle).items()}


def set_plan(db: Session, *, actor_id: int, cycle: Cycle, plan: dict[str, StagePlan],
             versions: dict[str, int]) -> int:
    """Set the times of all the cycle's stages at once: all or nothing. ``versions``: stage kind →
    the stage's version the form was rendered from (a stale one refuses the whole save). Each
    changed stage gets its audit entry. Returns how many stages changed."""
    have = stages_of(db, cycle)
    for kind, stage in have.items():
        if kind in plan and versions.get(kind) != stage.version:
            raise StaleData(f"「{stage_label(kind)}」的时间已被他人修改，请刷新页面核对后再保存（您的修改尚未保存）。")
    check_plan({**current_plan(db, cycle), **plan})
    changed = 0
    for kind, p in plan.items():
        stage = have.get(kind)
        if stage is None:
            raise ServiceError(f"本周期没有「{stage_label(kind)}」阶段。")
        before = stage.version
        set_stage_times(db, actor_id=actor_id, stage=stage, opens_at=p.opens_at, closes_at=p.closes_at,
                        reminder_hours=list(p.reminder_hours), expected_version=stage.version)
        changed += int(stage.version != before)
    return changed


def copy_cycle(db: Session, *, actor_id: int, source: Cycle, name: str, period_start: date, period_end: date,
               scheme: Scheme | None, shift: str) -> Cycle:
    """A new cycle from ``source``: its stage plan shifted by a year (``shift``: ``weekday`` or
    ``exact``), its rater groups, its ballot rule and ``scheme`` (None: the source's own scheme
    snapshot). One audit entry names the source; the parts write their own."""
    from .voting import roll, set_excellent_share
    from .voting.context import groups_of

    if shift not in SHIFT_MODES:
        raise ServiceError("请选择时间的顺延方式。", field="shift")
    cycle = create_cycle(db, actor_id=actor_id, name=name, period_start=period_start, period_end=period_end,
                         scheme=scheme)
    if scheme is None and source.scheme_data:
        cycle.scheme_id, cycle.scheme_data = source.scheme_id, dict(source.scheme_data)
        db.add(cycle)
    plan = {k: StagePlan(shift_time(p.opens_at, shift), shift_time(p.closes_at, shift), p.reminder_hours)
            for k, p in current_plan(db, source).items()}
    new_stages = stages_of(db, cycle)
    set_plan(db, actor_id=actor_id, cycle=cycle, plan=plan, versions={k: s.version for k, s in new_stages.items()})
    groups = groups_of(db, source.id)
    for g in groups:
        roll.save_group(db, actor_id=actor_id, cycle=cycle, key=g.key, name=g.name, weight=g.weight,
                        position=g.position)
    old_state = db.get(VotingState, source.id)
    share = old_state.max_excellent_share if old_state else None
    if share is not None:
        set_excellent_share(db, actor_id=actor_id, cycle=cycle, share=share)
    db.flush()
    record(db, actor_id=actor_id, action="copy_from", entity="cycle", entity_id=cycle.id, cycle_id=cycle.id,
           new={"source": source.name, "shift": SHIFT_MODES[shift], "groups": [g.name for g in groups],
                "max_excellent_share": share, "scheme": cycle.scheme_data.get("name")})
    return cycle
