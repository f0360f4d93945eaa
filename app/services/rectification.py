"""Rectification (整改) of units graded 不合格.

* :func:`open_tasks` — after publication, the office opens one task per 不合格 unit of the cycle
  with a deadline for the plan (idempotent: units that already have one are skipped).
* :func:`submit_plan` — the unit's reporters submit (or, after a return, resubmit) the plan:
  causes, measures, the person responsible and the date by which it is carried out.
* :func:`return_plan` / :func:`accept_plan` — the office returns it with comments or accepts it.
* :func:`previous_plan` — last cycle's plan of a unit, shown on this cycle's self-report.
* :func:`due_reminders` — notices to the reporters of units whose plan is due soon (the job).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from app.models import Cycle, RoleMembership, Unit
from app.models.base import utcnow
from app.models.rectification import Rectification

from . import PermissionDenied, ServiceError, StaleData
from .audit import record
from .inputs import clean_text
from .notices import notify
from .results import get_set, rows_of
from .schemes import cycle_scheme

# Reminders go out this many days before the plan is due (each once).
REMINDER_DAYS = (3, 1)


def _check_version(rect: Rectification, expected: int | None) -> None:
    if expected is not None and rect.version != int(expected):
        raise StaleData("该整改任务已被他人修改，本页内容已过期。请刷新页面，核对后重新操作。")


def _reporters(db: Session, unit_id: int) -> list[int]:
    return sorted(set(db.exec(select(RoleMembership.user_id).where(RoleMembership.role == "reporter",
                                                                    RoleMembership.unit_id == unit_id))))


def _notify_unit(db: Session, rect: Rectification, title: str, body: str, key: str) -> None:
    for user_id in _reporters(db, rect.unit_id):
        notify(db, user_id=user_id, title=title, body=body, link=f"/rectification/{rect.id}",
               dedupe_key=f"{key}:{user_id}")


def of_cycle(db: Session, cycle_id: int) -> list[tuple[Rectification, Unit]]:
    return list(db.exec(select(Rectification, Unit).join(Unit, Unit.id == Rectification.unit_id)
                        .where(Rectification.cycle_id == cycle_id).order_by(Unit.category, Unit.position)))


def of_unit(db: Session, unit_id: int) -> list[tuple[Rectification, Cycle]]:
    return list(db.exec(select(Rectification, Cycle).join(Cycle, Cycle.id == Rectification.cycle_id)
                        .where(Rectification.unit_id == unit_id).order_by(Cycle.period_start.desc())))


def open_tasks(
    db: Session, *, actor_id: int, actor_roles: set[str], cycle: Cycle, plan_due: datetime,
    expected_version: int | None = None,
) -> list[Rectification]:
    """One task per 不合格 unit of the cycle's published (or final) results; returns the new ones.
    ``expected_version``: the result set's version the office's page showed; results corrected since
    (an upheld objection may change who is 不合格) are refused."""
    if "office" not in actor_roles:
        raise PermissionDenied("只有目标办可以下达整改任务。")
    rs = get_set(db, cycle.id)
    if expected_version is not None and rs is not None and rs.version != expected_version:
        raise StaleData("打开本页后考核结果已有变化（如异议更正），未下达整改任务。请刷新页面核对后再下达。")
    if rs is None or rs.status not in ("published", "final"):
        raise ServiceError("考核结果公示后才能下达整改任务。")
    if plan_due is None or plan_due <= utcnow():
        raise ServiceError("整改方案的提交截止时间应晚于现在。", field="plan_due")
    failed = cycle_scheme(cycle).grading.failed
    have = {r.unit_id for r, _ in of_cycle(db, cycle.id)}
    new = []
    for row in rows_of(db, rs, with_detail=False):
        if row.grade != failed or row.unit_id in have:
            continue
        rect = Rectification(cycle_id=cycle.id, unit_id=row.unit_id, grade=row.grade, plan_due=plan_due)
        db.add(rect)
        db.flush()
        record(db, actor_id=actor_id, action="open", entity="rectification", entity_id=rect.id, cycle_id=cycle.id,
               new={"unit": row.unit_name, "grade": row.grade, "plan_due": plan_due.isoformat()})
        _notify_unit(
            db,
            rect,
            f"{cycle.name}整改任务",
            f"{row.unit_name}考核等次为{row.grade}，请分析原因、提出整改措施，在截止时间前提交整改方案。",
            f"rect-open:{rect.id}",
        )
        new.append(rect)
    if not new and not have:
        raise ServiceError("本周期没有考核等次为不合格的单位。")
    return new


def submit_plan(db: Session, *, actor_id: int, actor_units: set[int], rect: Rectification, causes: str,
                measures: str, owner: str, complete_by: date | None, expected_version: int | None = None
                ) -> Rectification:
    if rect.unit_id not in actor_units:
        raise PermissionDenied("只能提交本单位的整改方案。")
    _check_version(rect, expected_version)
    if rect.status not in ("open", "returned"):
        raise ServiceError(f"整改方案{rect.status_label}，不能再提交。")
    causes = clean_text(causes, "原因分析", "causes", 5000)
    measures = clean_text(measures, "整改措施", "measures", 10000)
    owner = clean_text(owner, "责任人", "owner", 100)
    if complete_by is None:
        raise ServiceError("请填写整改完成时限。", field="complete_by")
    old = {"status": rect.status, "causes": rect.causes, "measures": rect.measures, "owner": rect.owner,
           "complete_by": rect.complete_by.isoformat() if rect.complete_by else None}
    rect.causes, rect.measures, rect.owner, rect.complete_by = causes, measures, owner, complete_by
    rect.status, rect.submitted_at, rect.submitted_by_id = "submitted", utcnow(), actor_id
    rect.version += 1
    db.add(rect)
    db.flush()
    record(db, actor_id=actor_id, action="submit", entity="rectification", entity_id=rect.id, cycle_id=rect.cycle_id,
           old=old, new={"status": "submitted", "causes": causes, "measures": measures, "owner": owner,
                         "complete_by": complete_by.isoformat()})
    return rect


def _review(db: Session, *, actor_id: int, actor_roles: set[str], rect: Rectification, expected_version: int | None,
            status: str, comment: str | None) -> Rectification:
    if "office" not in actor_roles:
        raise PermissionDenied("只有目标办可以审核整改方案。")
    _check_version(rect, expected_version)
    if rect.status != "submitted":
        raise ServiceError(f"整改方案{rect.status_label}，不在待审核状态。")
    rect.status, rect.review_comment = status, comment
    rect.reviewed_at, rect.reviewed_by_id = utcnow(), actor_id
    rect.version += 1
    db.add(rect)
    db.flush()
    record(db, actor_id=actor_id, action="return" if status == "returned" else "accept", entity="rectification",
           entity_id=rect.id, cycle_id=rect.cycle_id, old={"status": "submitted"},
           new={"status": status, "comment": comment}, reason=comment)
    unit = db.get(Unit, rect.unit_id)
    title = "整改方案已被退回修改" if status == "returned" else "整改方案已通过"
    _notify_unit(
        db,
        rect,
        title,
        f"{unit.name}的整改方案{'已被退回，修改意见：' + comment if comment else '已通过审核。'}",
        f"rect-{status}:{rect.id}:{rect.version}",
    )
    return rect


def return_plan(db: Session, *, actor_id: int, actor_roles: set[str], rect: Rectification, comment: str,
                expected_version: int | None = None) -> Rectification:
    comment = clean_text(comment, "退回意见", "comment", 2000)
    return _review(db, actor_id=actor_id, actor_roles=actor_roles, rect=rect, expected_version=expected_version,
                   status="returned", comment=comment)


def accept_plan(db: Session, *, actor_id: int, actor_roles: set[str], rect: Rectification, comment: str = "",
                expected_version: int | None = None) -> Rectification:
    comment = clean_text(comment, "审核意见", "comment", 2000, required=False)
    return _review(db, actor_id=actor_id, actor_roles=actor_roles, rect=rect, expected_version=expected_version,
                   status="accepted", comment=comment or None)


def previous_plan(db: Session, cycle: Cycle, unit_id: int) -> tuple[Rectification, Cycle] | None:
    """The unit's plan from the latest earlier cycle, if that cycle gave it a rectification task."""
    q = (select(Rectification, Cycle).join(Cycle, Cycle.id == Rectification.cycle_id)
         .where(Rectification.unit_id == unit_id, Cycle.period_start < cycle.period_start)
         .order_by(Cycle.period_start.desc()))
    return db.exec(q).first()


def pending_for_units(db: Session, unit_ids: set[int]) -> list[tuple[Rectification, Unit]]:
    if not unit_ids:
        return []
    return list(db.exec(select(Rectification, Unit).join(Unit, Unit.id == Rectification.unit_id)
                        .where(Rectification.unit_id.in_(unit_ids),  # type: ignore[attr-defined]
                               Rectification.status.in_(("open", "returned")))  # type: ignore[attr-defined]
                        .order_by(Rectification.plan_due)))


def due_reminders(db: Session, now: datetime) -> int:
    """Notices to the reporters of every unit whose plan is still to be (re)submitted and due within
    one of :data:`REMINDER_DAYS`; each reminder is sent once."""
    from app.timefmt import fmt_dt

    sent = 0
    rects = db.exec(select(Rectification).where(Rectification.status.in_(("open", "returned"))))  # type: ignore
    for rect in rects:
        if rect.plan_due <= now:
            continue
        for days in REMINDER_DAYS:
            if now < rect.plan_due - timedelta(days=days):
                continue
            for user_id in _reporters(db, rect.unit_id):
                n = notify(db, user_id=user_id, title=f"提醒：整改方案将于 {fmt_dt(rect.plan_due)} 截止提交",
                           body="本单位的整改方案尚未提交（或退回后尚未重新提交），请及时处理。",
                           link=f"/rectification/{rect.id}", dedupe_key=f"rect-remind:{rect.id}:{days}:{user_id}")
                sent += n is not None
    return sent
