"""Reminders before a stage closes, to everyone who has not finished.

Who has to act in a stage, and whether they are done, comes from providers registered by the
workflows (``PENDING[kind]``); without a provider the stage's whole audience is reminded.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.models import STAGE_KINDS, Cycle, RoleMembership, Stage, User
from app.services.notices import notify
from app.services.stages import overrides_for, stage_state
from app.timefmt import fmt_dt

from . import job

# The roles that act in each stage.
STAGE_AUDIENCE = {
    "self_report": ("reporter",),
    "democratic": ("voter",),
    "scoring": ("scorer",),
    "leader": ("leader",),
    "award": ("group",),
    "deliberation": ("group",),
    "publication": ("office",),
}

# kind -> fn(db, cycle) -> set of user ids who still have something to do in that stage
PENDING: dict[str, Callable[[Session, Cycle], set[int]]] = {}


def audience(db: Session, kind: str) -> set[int]:
    roles = STAGE_AUDIENCE.get(kind, ())
    rows = db.exec(
        select(RoleMembership.user_id).join(User, User.id == RoleMembership.user_id)
        .where(RoleMembership.role.in_(roles), User.active == True)  # noqa: E712
    )
    return set(rows)


def pending_people(db: Session, cycle: Cycle, kind: str) -> set[int]:
    provider = PENDING.get(kind)
    return provider(db, cycle) if provider else audience(db, kind)


@job("reminders")
def send_reminders(db: Session, now: datetime) -> str:
    sent = 0
    stages = db.exec(select(Stage, Cycle).join(Cycle, Cycle.id == Stage.cycle_id).where(Cycle.archived == False))  # noqa: E712
    for stage, cycle in stages:
        state = stage_state(stage, overrides_for(db, stage.id), now)
        if not state.is_open or state.until is None:
            continue
        for hours in stage.reminder_hours or []:
            due = state.until - timedelta(hours=int(hours))
            if now < due:
                continue
            label = STAGE_KINDS.get(stage.kind, stage.kind)
            for user_id in sorted(pending_people(db, cycle, stage.kind)):
                key = f"remind:{stage.id}:{state.until.isoformat()}:{hours}:{user_id}"
                notice = notify(
                    db,
                    user_id=user_id,
                    title=f"提醒：「{label}」将于 {fmt_dt(state.until)} 截止",
                    body=f"{cycle.name}「{label}」阶段将于 {fmt_dt(state.until)} 截止，您尚有未完成的事项，请及时处理。",
                    link="/",
                    dedupe_key=key,
                )
                if notice is not None:
                    sent += 1
    return f"发送提醒 {sent} 条"
