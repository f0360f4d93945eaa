"""Objections (异议) to published results: lodged by anyone signed in during the notice period,
answered by the office (upheld with a correction, recorded as an override with the answer as
its reason, or rejected with a reason). Once the results are final nothing changes; an objection
still open at that moment can only be answered as 不予采纳 (for the record)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.models import Cycle, User
from app.models.base import utcnow
from app.models.result import Objection, ResultRow, ResultSet
from app.services.notices import notify

from . import ServiceError, StaleData
from .accounts import require_role
from .audit import record
from .results import apply_override, get_set
from .stages import require_open

MAX_TEXT = 4000


def lodge(db: Session, *, user_id: int, cycle: Cycle, unit_id: int, text: str) -> Objection:
    text = (text or "").strip()
    if not text:
        raise ServiceError("请写明异议内容和理由。", field="text")
    if len(text) > MAX_TEXT:
        raise ServiceError(f"异议内容不超过 {MAX_TEXT} 字。", field="text")
    rs = get_set(db, cycle.id)
    if rs is None or rs.status != "published":
        raise ServiceError("结果不在公示期内，不能提出异议。")
    require_open(db, cycle.id, "publication")
    row = db.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id, ResultRow.unit_id == unit_id)).first()
    if row is None:
        raise ServiceError("该单位不在本次考核结果中。")
    obj = Objection(result_set_id=rs.id, unit_id=unit_id, user_id=user_id, text=text)
    db.add(obj)
    db.flush()
    record(db, actor_id=user_id, action="lodge", entity="objection", entity_id=obj.id, cycle_id=cycle.id,
           new={"unit": row.unit_name, "text": text})
    from app.models import RoleMembership

    office = db.exec(select(RoleMembership.user_id).where(RoleMembership.role == "office")).all()
    for uid in sorted(set(office)):
        notify(db, user_id=uid, title=f"收到对「{row.unit_name}」考核结果的异议",
               body=text[:500], link=f"/cycles/{cycle.id}/objections", dedupe_key=f"objection:{obj.id}:{uid}")
    return obj


def answer(db: Session, *, actor_id: int, objection: Objection, decision: str, answer_text: str,
           new_total: str | None = None, new_grade: str | None = None,
           expected_version: int | None = None) -> Objection:
    """Answer an objection. ``decision`` is ``upheld`` (needs a new total and/or grade) or
    ``rejected``."""
    require_role(db, actor_id, "office")
    if expected_version is not None and objection.version != expected_version:
        raise StaleData()
    if objection.status != "open":
        raise ServiceError("该异议已答复。")
    answer_text = (answer_text or "").strip()
    if not answer_text:
        raise ServiceError("请填写答复意见（理由）。", field="answer")
    if decision not in ("upheld", "rejected"):
        raise ServiceError("请选择「异议成立并更正」或「不予采纳」。", field="decision")
    rs = db.get(ResultSet, objection.result_set_id)
    cycle = db.get(Cycle, rs.cycle_id)
    if rs.status == "final" and decision == "upheld":
        raise ServiceError("结果已最终确定，不能再更正；只能记录不予采纳的答复。")
    if rs.status not in ("published", "final"):
        raise ServiceError("结果不在公示期内。")
    row = db.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id,
                                          ResultRow.unit_id == objection.unit_id)).first()
    if decision == "upheld":
        new_total = (new_total or "").strip() or None
        new_grade = (new_grade or "").strip() or None
        if not new_total and not new_grade:
            raise ServiceError("异议成立须给出更正：新的总分或等次。", field="new_total")
        reason = f"异议#{objection.id}成立：{answer_text}"
        if new_total:
            apply_override(db, rs=rs, cycle=cycle, row=row, kind="total", value=new_total, reason=reason,
                           actor_id=actor_id, source="objection", objection_id=objection.id)
        if new_grade and new_grade != row.grade:
            apply_override(db, rs=rs, cycle=cycle, row=row, kind="grade", value=new_grade, reason=reason,
                           actor_id=actor_id, source="objection", objection_id=objection.id)
    objection.status = decision
    objection.answer = answer_text
    objection.answered_by_id = actor_id
    objection.answered_at = utcnow()
    objection.version += 1
    db.add(objection)
    record(db, actor_id=actor_id, action=f"answer_{decision}", entity="objection", entity_id=objection.id,
           cycle_id=cycle.id, old={"status": "open"},
           new={"status": decision, "unit": row.unit_name if row else None, "new_total": new_total,
                "new_grade": new_grade}, reason=answer_text)
    user = db.get(User, objection.user_id)
    if user is not None:
        notify(db, user_id=user.id, title=f"您对「{row.unit_name if row else ''}」考核结果的异议已答复",
               body=answer_text[:500], link=f"/cycles/{cycle.id}/results/public",
               dedupe_key=f"objection-answer:{objection.id}")
    db.flush()
    return objection

