"""Reminders before a target-table checkpoint is due, to the reporters of units whose tables
still miss actual values at that checkpoint (3 days and 1 day before ``due_at``)."""

from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.models import RoleMembership, Unit, User
from app.services import targets as svc
from app.services.notices import notify
from app.timefmt import fmt_dt

from . import job

REMIND_HOURS = (72, 24)
CHECKPOINT_NAMES = {"half_year": "半年", "full_year": "全年"}


def _reporters(db: Session, unit_id: int) -> list[int]:
    rows = db.exec(select(RoleMembership.user_id).join(User, User.id == RoleMembership.user_id)
                   .where(RoleMembership.role == "reporter", RoleMembership.unit_id == unit_id,
                          User.active == True))  # noqa: E712
    return sorted(set(rows))


@job("target_reminders")
def remind_target_checkpoints(db: Session, now: datetime) -> str:
    sent = []
    for cp in svc.open_checkpoints(db):
        if cp.due_at is None or now >= cp.due_at:
            continue
        due_hours = [h for h in REMIND_HOURS if now >= cp.due_at - timedelta(hours=h)]
        if not due_hours:
            continue
        hours = min(due_hours)  # the latest reminder that is due; earlier ones were sent before
        name = CHECKPOINT_NAMES.get(cp.checkpoint, cp.checkpoint)
        for rec in svc.tables_of(db, year=cp.year):
            missing = svc.missing_count(db, rec, cp.checkpoint)
            if not missing:
                continue
            unit = db.get(Unit, rec.unit_id)
            label = svc.label_of(rec, unit)
            for user_id in _reporters(db, rec.unit_id):
                notice = notify(
                    db,
                    user_id=user_id,
                    title=f"提醒：{label}绩效目标{name}实际值将于 {fmt_dt(cp.due_at)} 截止",
                    body=f"{label}的{cp.year}年绩效目标表还有 {missing} 项{name}实际值未填报，"
                    f"请在 {fmt_dt(cp.due_at)} 前完成。",
                    link=f"/targets/tables/{rec.id}/fill/{cp.checkpoint}",
                    dedupe_key=f"target-remind:{cp.id}:{cp.due_at.isoformat()}:{hours}:{rec.id}:{user_id}",
                )
                if notice is not None:
                    sent.append(notice)
    return f"发送绩效目标填报提醒 {len(sent)} 条"
