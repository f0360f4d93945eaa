"""Who stands where in a stage, one row per unit or person the office follows: the ``progress``
of each entry of the stage registry (:mod:`app.services.stage_kinds`). Each row names the people
a 催办 reaches (``recipients``); the rows not done are exactly the stage's pending people
(tests/services/test_progress.py checks it against each workflow's ``pending`` function)."""

from dataclasses import dataclass

from sqlmodel import Session, select

from app.models import LEADER_RANKS, Cycle, RoleMembership, User
from app.models.voting import RollEntry

from . import awards, leader_eval, reports, scoring
from .org import active_units

STATUS_LABELS = {"not_submitted": "未提交", "returned": "已退回", "in_progress": "进行中", "done": "已完成"}


@dataclass(frozen=True)
class Row:
    key: str  # stable within the stage: "unit:5", "user:7", "owner:12"
    name: str  # the unit or person
    group: str  # what the office reads next to the name (unit type, rank, rater group)
    status: str  # a key of STATUS_LABELS
    done: int  # items completed of ``total`` (a binary task: 0 or 1 of 1)
    total: int
    recipients: tuple[int, ...]  # the people a 催办 of this row notifies
    detail: str = ""
    version: int | None = None  # of the row's record, for batch actions (self-reports)
    published: bool = False  # a self-report on the public page
    label: str = ""  # the stage's own word for the status (已提交, 已投票 …); default STATUS_LABELS

    @property
    def status_label(self) -> str:
        return self.label or STATUS_LABELS[self.status]

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def finished(self) -> bool:
        return self.status == "done"


def _by_role(db: Session, role: str) -> dict[int | None, list[int]]:
    """Active holders of ``role`` by the unit the role is bound to."""
    rows = db.exec(select(RoleMembership.unit_id, RoleMembership.user_id).join(User, User.id == RoleMembership.user_id)
                   .where(RoleMembership.role == role, User.active == True))  # noqa: E712
    out: dict[int | None, list[int]] = {}
    for unit_id, user_id in rows:
        out.setdefault(unit_id, []).append(user_id)
    return {k: sorted(set(v)) for k, v in out.items()}


def _entered(entry) -> bool:
    """Whether a reporter has typed anything for the indicator."""
    return bool((entry.narrative or "").strip() or any(v not in (None, "") for v in (entry.facts or {}).values()))


def self_reports(db: Session, cycle: Cycle) -> list[Row]:
    reporters = _by_role(db, "reporter")
    rs = reports.reports_of_cycle(db, cycle.id)
    rows = []
    for unit in active_units(db):
        report = rs.get(unit.id)
        codes = [leaf.code for leaf in reports.leaves_for_unit(cycle, unit)]
        entries = reports.entries_of(db, report)
        total = len(codes)
        filled = sum(1 for c in codes if c in entries and _entered(entries[c]))
        if report is None:
            status, detail = "not_submitted", "尚未开始填写"
        elif report.status == "submitted":
            status, detail = "done", ""
        elif report.status == "returned":
            status, detail = "returned", f"退回意见：{report.return_comment or ''}"
        else:
            status, detail = "not_submitted", "草稿"
        if status != "done":
            detail = "；".join(d for d in (detail, f"已填 {filled} / {total} 项指标") if d)
        rows.append(Row(f"unit:{unit.id}", unit.name, unit.subtype, status, total if status == "done" else filled,
                        total or 1, tuple(reporters.get(unit.id, ())), detail,
                        version=report.version if report else None,
                        published=bool(report and report.published_at), label="已提交" if status == "done" else ""))
    return rows


def scoring_owners(db: Session, cycle: Cycle) -> list[Row]:
    by_owner, _ = scoring.progress(db, cycle)
    scorers, office = _by_role(db, "scorer"), sorted({u for us in _by_role(db, "office").values() for u in us})
    rows = []
    for key, owner in scoring.owners(db, cycle).items():
        p = by_owner.get(key, scoring.Progress())
        if not p.total:
            continue
        status = "done" if p.finished else ("in_progress" if p.done else "not_submitted")
        people = office if key == scoring.OFFICE_KEY else scorers.get(owner.unit_id, [])
        rows.append(Row(f"owner:{key}", owner.name, f"{len(owner.leaves)} 项指标", status, p.done, p.total,
                        tuple(people), f"已评 {p.done} / {p.total} 格"))
    return rows


def leaders(db: Session, cycle: Cycle) -> list[Row]:
    rows = []
    for p in leader_eval.progress(db, cycle):
        user = p["leader"]
        status = "done" if p["finished"] else ("in_progress" if p["rated"] else "not_submitted")
        rows.append(Row(f"user:{user.id}", user.display_name, LEADER_RANKS.get(p["rank"], "校领导"), status,
                        p["total"] if p["finished"] else p["rated"], p["total"] or 1, (user.id,),
                        f"已评 {p['rated']} / {p['total']} 个单位"))
    return rows


def account_voters(db: Session, cycle: Cycle) -> list[Row]:
    """Voters on the roll with an account (a printed code cannot be reminded)."""
    from .voting import account_entries

    rows = []
    for entry, user, group in account_entries(db, cycle.id):
        if entry.void:
            continue
        rows.append(Row(f"user:{user.id}", user.display_name, group.name, "done" if entry.voted else "not_submitted",
                        int(entry.voted), 1, (user.id,), label="已投票" if entry.voted else "未投票"))
    return rows


def award_members(db: Session, cycle: Cycle) -> list[Row]:
    apps = [a for a, _ in awards.applications(db, cycle, statuses=("accepted",))]
    votes = awards.votes_of(db, [a.id for a in apps]) if apps else {}
    rows = []
    for m in awards.group_members(db):
        done = sum(1 for a in apps if m.id in votes.get(a.id, {}))
        status = "done" if done >= len(apps) else ("in_progress" if done else "not_submitted")
        rows.append(Row(f"user:{m.id}", m.display_name, "领导小组成员", status, done, len(apps) or 1, (m.id,),
                        f"已表决 {done} / {len(apps)} 项申报"))
    return rows


def code_turnout_note(db: Session, cycle: Cycle) -> str:
    """How many printed codes there are beside the accounts (they are not listed: anonymous)."""
    from sqlalchemy import func

    n = db.exec(select(func.count()).select_from(RollEntry).where(
        RollEntry.cycle_id == cycle.id, RollEntry.code.is_not(None), RollEntry.void == False)).one()  # noqa: E712
    return f"另有测评码 {n} 个（匿名，不能逐人催办，投票率见民主测评页面）。" if n else ""

