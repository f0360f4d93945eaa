"""Reminders before a stage closes, to everyone who has not finished.

Who has to act in a stage, and whether they are done, comes from the stage registry
(:func:`app.services.stage_kinds.pending_people`).
"""

from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.models import Cycle, Stage
from app.services.notices import notify
from app.services.stage_kinds import pending_people
from app.services.stages import overrides_for, stage_label, stage_state
from app.timefmt import fmt_dt

from . import job


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
            label = stage_label(stage.kind)
            for user_id in sorted(pending_people(db, cycle, stage.kind)):
                key = f"remind:{stage.id}:{state.until.isoformat()}:{hours}:{user_id}"
                notice = notify(
                    db,
                    user_id=user_id,
                    title=f"提醒：「{label}」将于 {fmt_dt(state.until)} 截止",
                    body=f"{cycle.name}「{label}」阶段将于 {fmt_dt(state.until)} 截止，"
                    "您尚有未完成的事项，请及时处理。",
                    link="/",
                    dedupe_key=key,
                )
                if notice is not None:
                    sent += 1
    return f"发送提醒 {sent} 条"
