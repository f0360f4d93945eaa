"""Contribution award (突出贡献奖, 实施办法 二 (二), 五 5).

Flow: a unit's reporter applies (achievement, level, date, issuing body, description, links and
files) → the office pre-checks: accepts it for review, or returns it with a reason (the unit may
revise and submit again) → every leadership-group member votes approve or reject once (a vote can
be changed until the award stage closes) → the scheme's decision rule decides.

Decision rule (``AwardRule`` of the cycle's scheme, e.g. majority, share 0.5): an
application is awarded when the approvals are *more than* ``share`` × the number of current
active group members (members who have not voted count against). Until the award stage has
closed every decision is ``pending`` (votes may still change); afterwards ``awarded`` or
``not_awarded``. Applications that never passed the pre-check are ``not_awarded`` once the stage
has closed.

What the results take from here: :func:`award_decisions`.
"""

import hashlib
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from app.models import Cycle, RoleMembership, Unit, User
from app.models.award import AWARD_LEVELS, AwardApplication, AwardVote
from app.models.base import utcnow

from . import PermissionDenied, ServiceError, StaleData
from .audit import record
from .inputs import clean_links, clean_text
from .schemes import cycle_scheme
from .stages import require_open, state_of

MAJORITY_SHARE = Decimal("0.5")


def award_rule(cycle: Cycle) -> tuple[Decimal, str]:
    """(share, Chinese wording) of the cycle's decision rule; the wording is made from the share
    when the scheme gives none. Raises :class:`SchemeUnavailable` without a valid scheme."""
    rule = cycle_scheme(cycle).award
    share, text = rule.share, rule.text
    if not text:
        text = (
            "领导小组成员过半数同意" if share == MAJORITY_SHARE else f"同意票超过领导小组成员总数的 {share * 100:.0f}%"
        )
    return share, text.rstrip("。")  # the pages end the sentence themselves


def group_members(db: Session) -> list[User]:
    rows = db.exec(select(User).join(RoleMembership, RoleMembership.user_id == User.id)
                   .where(RoleMembership.role == "group", User.active == True).order_by(User.id))  # noqa: E712
    seen, out = set(), []
    for u in rows:
        if u.id not in seen:
            seen.add(u.id)
            out.append(u)
    return out


def group_member_ids(db: Session) -> set[int]:
    """The ids of :func:`group_members` (without loading the accounts)."""
    return set(db.exec(select(User.id).join(RoleMembership, RoleMembership.user_id == User.id)
                       .where(RoleMembership.role == "group", User.active == True)))  # noqa: E712


def stage_closed(db: Session, cycle_id: int) -> bool:
    try:
        return state_of(db, cycle_id, "award").status == "closed"
    except ServiceError:
        return False


def _values(title, level, achieved_on, issuer, description, links, cycle: Cycle) -> dict:
    if level not in AWARD_LEVELS:
        raise ServiceError("请选择成果级别。", field="level")
    if not isinstance(achieved_on, date):
        raise ServiceError("请填写取得日期。", field="achieved_on")
    if not (cycle.period_start <= achieved_on <= cycle.period_end):
        raise ServiceError(
            f"取得日期须在考核期间内（{cycle.period_start} 至 {cycle.period_end}）。", field="achieved_on"
        )
    return {"title": clean_text(title, "成果名称", "title", 200), "level": level, "achieved_on": achieved_on,
            "issuer": clean_text(issuer, "颁发（认定）单位", "issuer", 200),
            "description": clean_text(description, "成果简介", "description", 4000, required=False),
            "links": clean_links(links)}


def apply(db: Session, *, actor_id: int, actor_units: set[int], cycle: Cycle, unit_id: int, title: str, level: str,
          achieved_on: date, issuer: str, description: str = "", links: list[str] = ()) -> AwardApplication:
    if unit_id not in actor_units:
        raise PermissionDenied("只能为本单位申报。")
    require_open(db, cycle.id, "award")
    values = _values(title, level, achieved_on, issuer, description, links, cycle)
    app_ = AwardApplication(cycle_id=cycle.id, unit_id=unit_id, submitted_by_id=actor_id, status="submitted", **values)
    db.add(app_)
    db.flush()
    record(db, actor_id=actor_id, action="apply", entity="award_application", entity_id=app_.id, cycle_id=cycle.id,
           new={"unit_id": unit_id, **values})
    return app_


def revise(db: Session, *, actor_id: int, actor_units: set[int], application: AwardApplication, expected_version: int,
           title: str, level: str, achieved_on: date, issuer: str, description: str = "",
           links: list[str] = ()) -> AwardApplication:
    """Revise a submitted or returned application; it goes (back) to the office's pre-check."""
    if application.unit_id not in actor_units:
        raise PermissionDenied("只能修改本单位的申报。")
    require_open(db, application.cycle_id, "award")
    if application.version != expected_version:
        raise StaleData("该申报已被修改（或已被目标办处理），本页内容已过期。请刷新页面，核对后重新保存。")
    if application.status == "accepted":
        raise ServiceError("申报已通过初审进入评审，不能再修改。")
    cycle = db.get(Cycle, application.cycle_id)
    values = _values(title, level, achieved_on, issuer, description, links, cycle)
    old = {k: getattr(application, k) for k in values}
    old.update(status=application.status, return_reason=application.return_reason)
    for k, v in values.items():
        setattr(application, k, v)
    application.status, application.submitted_by_id, application.updated_at = "submitted", actor_id, utcnow()
    application.version += 1
    db.add(application)
    db.flush()
    record(db, actor_id=actor_id, action="revise", entity="award_application", entity_id=application.id,
           cycle_id=application.cycle_id, old=old, new={**values, "status": "submitted"})
    return application


def precheck(db: Session, *, actor_id: int, application: AwardApplication, accept: bool, reason: str,
             expected_version: int) -> AwardApplication:
    """The office accepts an application for review, or returns it with a reason."""
    require_open(db, application.cycle_id, "award")
    if application.version != expected_version:
        raise StaleData("该申报已被单位修改或已被处理，本页内容已过期。请刷新页面后重新操作。")
    if application.status != "submitted":
        raise ServiceError("只有待初审的申报可以受理或退回。")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ServiceError("退回申报须填写原因。", field="reason")
    if len(reason) > 2000:
        raise ServiceError("原因最多 2000 字。", field="reason")
    old = {"status": application.status}
    application.status = "accepted" if accept else "returned"
    application.return_reason = None if accept else reason
    application.reviewed_by_id, application.updated_at = actor_id, utcnow()
    application.version += 1
    db.add(application)
    db.flush()
    record(db, actor_id=actor_id, action="accept" if accept else "return", entity="award_application",
           entity_id=application.id, cycle_id=application.cycle_id, old=old, new={"status": application.status},
           reason=reason or None)
    return application


def vote_stamp(application: AwardApplication, row: AwardVote | None) -> str:
    """The version a member's vote form was rendered from: the application's version and the
    member's own vote as it stood (the vote table has no version column)."""
    mine = "" if row is None else f"{row.approve}|{row.comment}|{row.updated_at.isoformat()}"
    return f"{application.version}.{hashlib.sha256(mine.encode()).hexdigest()[:12]}"


def my_vote(db: Session, application: AwardApplication, member_id: int) -> AwardVote | None:
    return db.exec(select(AwardVote).where(AwardVote.application_id == application.id,
                                           AwardVote.member_id == member_id)).first()


def vote(db: Session, *, actor_id: int, application: AwardApplication, approve: bool, comment: str = "",
         expected_stamp: str | None = None) -> AwardVote:
    """A group member's vote; voting again changes it (until the award stage closes).
    ``expected_stamp``: the :func:`vote_stamp` the page showed; refused when the application or the
    member's vote (from another tab) changed since."""
    if actor_id not in {m.id for m in group_members(db)}:
        raise PermissionDenied("只有领导小组成员可以投票。")
    require_open(db, application.cycle_id, "award")
    if application.status != "accepted":
        raise ServiceError("该申报尚未通过目标办初审，不能投票。")
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ServiceError("意见最多 1000 字。", field="comment")
    row = my_vote(db, application, actor_id)
    if expected_stamp and expected_stamp != vote_stamp(application, row):
        raise StaleData("打开本页后该申报或您的表决已有变化（可能在另一个窗口中已表决），未记录。"
                        "请刷新页面查看后再表决。")
    if row is None:
        row = AwardVote(application_id=application.id, member_id=actor_id, approve=approve, comment=comment)
        old = None
    else:
        if row.approve == approve and row.comment == comment:
            return row
        old = {"approve": row.approve, "comment": row.comment}
        row.approve, row.comment, row.updated_at = approve, comment, utcnow()
    db.add(row)
    db.flush()
    record(db, actor_id=actor_id, action="vote" if old is None else "change_vote", entity="award_vote",
           entity_id=row.id, cycle_id=application.cycle_id, old=old,
           new={"application_id": application.id, "approve": approve, "comment": comment})
    return row


def applications(db: Session, cycle: Cycle, *, unit_ids: set[int] | None = None,
                 statuses: tuple[str, ...] | None = None) -> list[tuple[AwardApplication, Unit]]:
    q = (select(AwardApplication, Unit).join(Unit, Unit.id == AwardApplication.unit_id)
         .where(AwardApplication.cycle_id == cycle.id).order_by(Unit.category, Unit.position, AwardApplication.id))
    if unit_ids is not None:
        q = q.where(AwardApplication.unit_id.in_(unit_ids or {-1}))
    if statuses:
        q = q.where(AwardApplication.status.in_(statuses))
    return list(db.exec(q))


def votes_of(db: Session, application_ids: list[int]) -> dict[int, dict[int, AwardVote]]:
    """application id → member id → vote."""
    out: dict[int, dict[int, AwardVote]] = {}
    if not application_ids:
        return out
    for v in db.exec(select(AwardVote).where(AwardVote.application_id.in_(application_ids))):
        out.setdefault(v.application_id, {})[v.member_id] = v
    return out


def award_decisions(db: Session, cycle: Cycle) -> list[dict]:
    """Every application of the cycle with its tally and decision:
    ``{"application_id", "unit_id", "unit_name", "title", "level", "approvals", "rejections",
    "members", "decided": "awarded" | "not_awarded" | "pending", "explanation"}``."""
    share, rule_text = award_rule(cycle)
    members = group_member_ids(db)
    n = len(members)
    need = share * n
    closed = stage_closed(db, cycle.id)
    apps = applications(db, cycle)
    votes = votes_of(db, [a.id for a, _ in apps])
    out = []
    for app_, unit in apps:
        vs = [v for mid, v in votes.get(app_.id, {}).items() if mid in members]
        yes = sum(1 for v in vs if v.approve)
        no = len(vs) - yes
        abstain = n - len(vs)
        tally = f"领导小组成员 {n} 人，同意 {yes} 票、不同意 {no} 票、未表态 {abstain} 人"
        rule = f"决定规则：{rule_text}（同意票须多于 {need.normalize():f} 票）"
        if app_.status != "accepted":
            if closed:
                decided = "not_awarded"
                why = f"（退回原因：{app_.return_reason}）" if app_.return_reason else ""
                explanation = "未通过目标办初审" + why + "，不予评审。"
            else:
                decided, explanation = "pending", "待目标办初审。" if app_.status == "submitted" else "已退回单位修改。"
        elif n == 0:
            decided = "not_awarded" if closed else "pending"
            explanation = "尚未设置领导小组成员，无法评审。"
        else:
            passes = Decimal(yes) > need
            if not closed:
                decided = "pending"
                explanation = (f"评审进行中：{tally}；目前{'已' if passes else '未'}达到通过条件，"
                               f"投票在评审阶段结束前可更改。{rule}。")
            elif passes:
                decided, explanation = "awarded", f"{tally}；同意票超过规定比例，授予突出贡献奖。{rule}。"
            else:
                decided, explanation = "not_awarded", f"{tally}；同意票未超过规定比例，不授予。{rule}。"
        out.append({"application_id": app_.id, "unit_id": unit.id, "unit_name": unit.name, "title": app_.title,
                    "level": app_.level, "approvals": yes, "rejections": no, "members": n, "decided": decided,
                    "explanation": explanation})
    return out


def awarded(db: Session, cycle: Cycle) -> list[dict]:
    """The awarded applications (for the public list), only once the award stage has closed."""
    return [d for d in award_decisions(db, cycle) if d["decided"] == "awarded"]


def pending_members(db: Session, cycle: Cycle) -> set[int]:
    """Reminder provider: group members who have not voted on every application under review."""
    apps = [a for a, _ in applications(db, cycle, statuses=("accepted",))]
    if not apps:
        return set()
    votes = votes_of(db, [a.id for a in apps])
    return {m.id for m in group_members(db) if any(m.id not in votes.get(a.id, {}) for a in apps)}
