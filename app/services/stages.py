"""Cycles and their stages.

Whether a stage is open is *derived* from its planned times and the office's recorded
overrides (:func:`stage_state`), never from a job having fired: the latest override wins
(``reopen`` until a time, or ``close`` from its moment on); without one the stage is open
from ``opens_at`` (inclusive) to ``closes_at`` (exclusive).
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import defer
from sqlmodel import Session, select

from app.models import Cycle, Scheme, Stage, StageOverride
from app.models.base import utcnow

from . import ServiceError, StageClosed, StaleData
from .audit import changes, record
from .readmemo import memo

# The stages of a cycle in their order, with their Chinese names. What happens in each (the roles
# that act, who is still pending, the office's page, the home-page tasks) is declared in
# app.services.stage_kinds, one entry per key here.
STAGE_LABELS = {
    "self_report": "自查自评",
    "democratic": "民主测评",
    "scoring": "目标考核评分",
    "leader": "领导班子评价",
    "award": "突出贡献奖评审",
    "deliberation": "审议确定结果",
    "publication": "公示及异议",
}


def stage_label(kind: str) -> str:
    """The Chinese name of a stage kind (the key itself for a kind that is not declared)."""
    return STAGE_LABELS.get(kind, kind)


@dataclass(frozen=True)
class StageState:
    is_open: bool
    status: str  # planned | open | closed | unscheduled
    label: str  # 未开始 / 进行中 / 已结束 / 未设置
    until: datetime | None  # when an open stage closes
    override: StageOverride | None


STATUS_LABELS = {"planned": "未开始", "open": "进行中", "closed": "已结束", "unscheduled": "未设置时间"}


def stage_state(stage: Stage, overrides: list[StageOverride], now: datetime | None = None) -> StageState:
    now = now or utcnow()
    latest = max(overrides, key=lambda o: (o.created_at, o.id or 0), default=None)
    if latest is not None:
        if latest.action == "close":
            return StageState(False, "closed", STATUS_LABELS["closed"], None, latest)
        if latest.action == "reopen" and latest.until and now < latest.until:
            return StageState(True, "open", "已重新开放", latest.until, latest)
        if latest.action == "reopen" and latest.until and now >= latest.until:
            return StageState(False, "closed", STATUS_LABELS["closed"], None, latest)
    if stage.opens_at is None or stage.closes_at is None:
        return StageState(False, "unscheduled", STATUS_LABELS["unscheduled"], None, None)
    if now < stage.opens_at:
        return StageState(False, "planned", STATUS_LABELS["planned"], None, None)
    if now < stage.closes_at:
        return StageState(True, "open", STATUS_LABELS["open"], stage.closes_at, None)
    return StageState(False, "closed", STATUS_LABELS["closed"], None, None)


def overrides_for(db: Session, stage_id: int) -> list[StageOverride]:
    return list(db.exec(select(StageOverride).where(StageOverride.stage_id == stage_id)))


def get_stage(db: Session, cycle_id: int, kind: str) -> Stage:
    stage = db.exec(select(Stage).where(Stage.cycle_id == cycle_id, Stage.kind == kind)).first()
    if stage is None:
        raise ServiceError(f"本周期没有「{stage_label(kind)}」阶段。")
    return stage


def _cycle_stages(db: Session, cycle_id: int) -> list[tuple[Stage, list[StageOverride]]]:
    """The cycle's stages with their overrides, two queries kept for the session (readmemo)."""
    def load():
        stages = list(db.exec(select(Stage).where(Stage.cycle_id == cycle_id)))
        by_stage: dict[int, list[StageOverride]] = {s.id: [] for s in stages}
        if stages:
            for o in db.exec(select(StageOverride).where(StageOverride.stage_id.in_(list(by_stage)))):
                by_stage[o.stage_id].append(o)
        return [(s, by_stage[s.id]) for s in stages]

    return memo(db, ("stages", cycle_id), load)


def state_of(db: Session, cycle_id: int, kind: str, now: datetime | None = None) -> StageState:
    for stage, overrides in _cycle_stages(db, cycle_id):
        if stage.kind == kind:
            return stage_state(stage, overrides, now)
    raise ServiceError(f"本周期没有「{stage_label(kind)}」阶段。")


def require_open(db: Session, cycle_id: int, kind: str) -> Stage:
    """Raise StageClosed unless the stage is open now. Every write of a stage's entries calls this."""
    stage = get_stage(db, cycle_id, kind)
    state = stage_state(stage, overrides_for(db, stage.id))
    if not state.is_open:
        label = stage_label(kind)
        if state.status == "planned":
            raise StageClosed(f"「{label}」阶段尚未开始，暂不能提交。")
        raise StageClosed(f"「{label}」阶段已结束，内容已锁定。如需修改请联系目标办重新开放。")
    return stage


def cycle_timeline(db: Session, cycle: Cycle, now: datetime | None = None) -> list[tuple[Stage, StageState]]:
    stages = list(db.exec(select(Stage).where(Stage.cycle_id == cycle.id)))
    order = list(STAGE_LABELS)
    stages.sort(key=lambda s: order.index(s.kind) if s.kind in order else 99)
    by_stage: dict[int, list[StageOverride]] = {}
    if stages:  # one query for the overrides of all stages
        for o in db.exec(select(StageOverride).where(StageOverride.stage_id.in_([s.id for s in stages]))):
            by_stage.setdefault(o.stage_id, []).append(o)
    return [(s, stage_state(s, by_stage.get(s.id, []), now)) for s in stages]


def current_cycle(db: Session, *, with_scheme: bool = True) -> Cycle | None:
    """The newest cycle that is not archived. ``with_scheme=False``: its scheme snapshot (a large
    JSON document) is left unread until something uses it."""
    q = select(Cycle).where(Cycle.archived == False).order_by(Cycle.period_start.desc()).limit(1)  # noqa: E712
    if not with_scheme:
        q = q.options(defer(Cycle.scheme_data))
    return db.exec(q).first()


def create_cycle(db: Session, *, actor_id: int | None, name: str, period_start: date, period_end: date,
                 scheme: Scheme | None) -> Cycle:
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写周期名称。", field="name")
    if period_end <= period_start:
        raise ServiceError("考核期间的结束日期须晚于开始日期。", field="period_end")
    if db.exec(select(Cycle).where(Cycle.name == name)).first():
        raise ServiceError(f"周期「{name}」已存在。", field="name")
    cycle = Cycle(
        name=name,
        period_start=period_start,
        period_end=period_end,
        scheme_id=scheme.id if scheme else None,
        scheme_data=dict(scheme.data) if scheme else {},
    )
    db.add(cycle)
    db.flush()
    for kind in STAGE_LABELS:
        db.add(Stage(cycle_id=cycle.id, kind=kind, reminder_hours=[72, 24]))
    db.flush()
    record(db, actor_id=actor_id, action="create", entity="cycle", entity_id=cycle.id, cycle_id=cycle.id,
           new={"name": name, "period_start": period_start, "period_end": period_end,
                "scheme": f"{scheme.code} v{scheme.version}" if scheme else None})
    return cycle


def set_stage_times(db: Session, *, actor_id: int, stage: Stage, opens_at: datetime | None,
                    closes_at: datetime | None, reminder_hours: list[int], expected_version: int) -> None:
    if stage.version != expected_version:
        raise StaleData()
    if opens_at and closes_at and closes_at <= opens_at:
        raise ServiceError(f"「{stage_label(stage.kind)}」的结束时间须晚于开始时间。", field="closes_at")
    if any(h <= 0 for h in reminder_hours):
        raise ServiceError("提醒时间须为截止前的正小时数。", field="reminder_hours")
    old, new = changes(stage, {"opens_at": opens_at, "closes_at": closes_at,
                               "reminder_hours": sorted(set(reminder_hours), reverse=True)})
    if new:
        stage.version += 1
        db.add(stage)
        record(db, actor_id=actor_id, action="set_times", entity="stage", entity_id=stage.id,
               cycle_id=stage.cycle_id, old=old, new=new)
    db.flush()


def stage_stamp(db: Session, stage: Stage) -> str:
    """The version of a stage as the cycle page shows it: its times' version and the office's
    last override (overrides are rows added, not a version of the stage)."""
    last = max((o.id for o in overrides_for(db, stage.id)), default=0)
    return f"{stage.version}.{last}"


def override_stage(db: Session, *, actor_id: int, stage: Stage, action: str, reason: str,
                   until: datetime | None = None, expected_stamp: str | None = None) -> StageOverride:
    """重新开放 / 立即结束. ``expected_stamp``: the :func:`stage_stamp` the page showed; refused when
    the stage was changed since (times saved, reopened or closed by someone else)."""
    if expected_stamp and expected_stamp != stage_stamp(db, stage):
        raise StaleData(f"打开本页后「{stage_label(stage.kind)}」阶段已被他人修改（时间或开放状态），未执行。"
                        "请查看刷新后的状态再操作。")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("重新开放或提前结束阶段须填写原因。", field="reason")
    if action not in ("reopen", "close"):
        raise ServiceError("未知操作。")
    if action == "reopen" and (until is None or until <= utcnow()):
        raise ServiceError("请填写重新开放的截止时间（须晚于当前时间）。", field="until")
    before = stage_state(stage, overrides_for(db, stage.id))
    override = StageOverride(stage_id=stage.id, action=action, until=until if action == "reopen" else None,
                             reason=reason, user_id=actor_id)
    db.add(override)
    db.flush()
    record(db, actor_id=actor_id, action=action, entity="stage", entity_id=stage.id, cycle_id=stage.cycle_id,
           old={"status": before.status}, new={"action": action, "until": until}, reason=reason)
    return override


def set_archived(db: Session, *, actor_id: int, cycle: Cycle, archived: bool, reason: str) -> None:
    """Archive a cycle (it stays readable in history but is no longer the current one), or bring
    it back. The current cycle shown on home pages is the newest one not archived."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写原因。", field="reason")
    if cycle.archived == archived:
        return
    cycle.archived = archived
    db.add(cycle)
    record(db, actor_id=actor_id, action="archive" if archived else "unarchive", entity="cycle",
           entity_id=cycle.id, cycle_id=cycle.id, old={"archived": not archived}, new={"archived": archived},
           reason=reason)
    db.flush()
