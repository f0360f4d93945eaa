"""The office's overview of a cycle: every stage on one page (counts, who is behind, deadlines).

:func:`cycle_overview` reads each workflow's figures with a fixed number of queries (grouped counts,
one query per table, no query per unit or per person), so the page stays cheap however many units,
leaders and voters a college has. The same figures feed the office's home page.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from app.models import Cycle, RoleMembership, Unit, User
from app.models.award import AwardApplication, AwardVote
from app.models.base import utcnow
from app.models.leader import LeaderRating, LeaderSheet
from app.models.report import SelfReport

from . import scoring, voting
from .org import active_units
from .schemes import has_scheme
from .stages import cycle_timeline, stage_label

__all__ = ["Figure", "Overview", "cycle_overview"]


@dataclass
class Figure:
    """A count out of a total, e.g. 12 of 25 reports submitted."""

    done: int
    total: int

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0


@dataclass
class StageRow:
    kind: str
    label: str
    status: str
    status_label: str
    opens_at: datetime | None
    closes_at: datetime | None  # the effective end: an override's time when reopened
    days_left: int | None  # whole days until an open stage closes


@dataclass
class Overview:
    cycle: Cycle
    stages: list[StageRow]
    units: int
    reports: dict[str, int]  # not_started / draft / returned / submitted / published
    reports_behind: list[str]  # units whose report is not submitted
    scoring: list[tuple[str, Figure]] = field(default_factory=list)  # owner name → cells done
    scoring_total: Figure = field(default_factory=lambda: Figure(0, 0))
    leaders: list[tuple[str, int, int, bool]] = field(default_factory=list)  # name, rated, of, finished
    leaders_behind: list[str] = field(default_factory=list)
    turnout: list[tuple[str, Figure]] = field(default_factory=list)  # rater group → voted / roll
    turnout_total: Figure = field(default_factory=lambda: Figure(0, 0))
    awards: dict[str, int] = field(default_factory=dict)  # submitted / accepted / returned
    award_votes: Figure = field(default_factory=lambda: Figure(0, 0))  # votes cast / members x applications
    group_behind: list[str] = field(default_factory=list)

    @property
    def stage(self) -> dict[str, StageRow]:
        return {s.kind: s for s in self.stages}

    @property
    def behind(self) -> list[tuple[str, list[str]]]:
        """Who is behind in the stages that are open or over: (what, names)."""
        st = self.stage
        out = []

        def begun(kind):
            return kind in st and st[kind].status in ("open", "closed")

        if begun("self_report") and self.reports_behind:
            out.append(("自查报告未提交", self.reports_behind))
        late = [name for name, fig in self.scoring if fig.done < fig.total]
        if begun("scoring") and late:
            out.append(("评分未完成", late))
        if begun("leader") and self.leaders_behind:
            out.append(("领导班子评价未完成", self.leaders_behind))
        if begun("award") and self.group_behind:
            out.append(("突出贡献奖未表态", self.group_behind))
        return out


def _stages(db: Session, cycle: Cycle, now: datetime) -> list[StageRow]:
    rows = []
    for stage, state in cycle_timeline(db, cycle, now):
        until = state.until or stage.closes_at
        days = int((until - now).total_seconds() // 86400) if state.is_open and until else None
        rows.append(StageRow(stage.kind, stage_label(stage.kind), state.status,
                             state.label, stage.opens_at, until, days))
    return rows


def _reports(db: Session, cycle: Cycle, units: list[Unit]) -> tuple[dict[str, int], list[str]]:
    ids = {u.id for u in units}
    rows = db.exec(select(SelfReport.unit_id, SelfReport.status, SelfReport.published_at)
                   .where(SelfReport.cycle_id == cycle.id)).all()
    by_unit = {uid: (status, published) for uid, status, published in rows if uid in ids}
    counts = Counter(status for status, _ in by_unit.values())
    out = {"not_started": len(ids) - len(by_unit), "draft": counts["draft"], "returned": counts["returned"],
           "submitted": counts["submitted"], "published": sum(1 for _, p in by_unit.values() if p)}
    behind = [u.name for u in units if by_unit.get(u.id, ("",))[0] != "submitted"]
    return out, behind


def _leaders(db: Session, cycle: Cycle, n_units: int, unit_ids: set[int]):
    people = db.exec(select(User.id, User.display_name, RoleMembership.leader_rank)
                     .join(RoleMembership, RoleMembership.user_id == User.id)
                     .where(RoleMembership.role == "leader", User.active == True)).all()  # noqa: E712
    sheets = {lid: (sid, finished) for sid, lid, finished in db.exec(
        select(LeaderSheet.id, LeaderSheet.leader_id, LeaderSheet.finished).where(LeaderSheet.cycle_id == cycle.id))}
    rated = Counter()
    for sid, uid in db.exec(select(LeaderRating.sheet_id, LeaderRating.unit_id)
                            .where(LeaderRating.cycle_id == cycle.id)):
        if uid in unit_ids:
            rated[sid] += 1
    order = {"principal": 0, "deputy": 1}
    seen, out = set(), []
    for uid, name, _rank in sorted(people, key=lambda p: (order.get(p[2], 2), p[0])):
        if uid in seen:
            continue
        seen.add(uid)
        sid, finished = sheets.get(uid, (None, False))
        out.append((name, rated[sid] if sid else 0, n_units, bool(finished)))
    return out, [name for name, _, _, finished in out if not finished]


def _awards(db: Session, cycle: Cycle):
    apps = db.exec(select(AwardApplication.id, AwardApplication.status)
                   .where(AwardApplication.cycle_id == cycle.id)).all()
    counts = Counter(status for _, status in apps)
    under_review = {aid for aid, status in apps if status == "accepted"}
    members = {uid: name for uid, name in db.exec(
        select(User.id, User.display_name).join(RoleMembership, RoleMembership.user_id == User.id)
        .where(RoleMembership.role == "group", User.active == True))}  # noqa: E712
    voted: dict[int, set[int]] = {}
    if under_review:
        for aid, mid in db.exec(select(AwardVote.application_id, AwardVote.member_id)
                                .where(AwardVote.application_id.in_(under_review))):
            if mid in members:
                voted.setdefault(mid, set()).add(aid)
    cast = sum(len(v) for v in voted.values())
    behind = [name for mid, name in sorted(members.items()) if under_review and voted.get(mid, set()) != under_review]
    return ({k: counts[k] for k in ("submitted", "accepted", "returned")},
            Figure(cast, len(members) * len(under_review)), behind)


def cycle_overview(db: Session, cycle: Cycle, now: datetime | None = None) -> Overview:
    now = now or utcnow()
    units = active_units(db)
    unit_ids = {u.id for u in units}
    report_counts, reports_behind = _reports(db, cycle, units)
    ov = Overview(cycle=cycle, stages=_stages(db, cycle, now), units=len(units), reports=report_counts,
                  reports_behind=reports_behind)
    if has_scheme(cycle):
        by_owner, _ = scoring.progress(db, cycle)
        names = {k: o.name for k, o in scoring.owners(db, cycle).items()}
        ov.scoring = [(names.get(k, k), Figure(p.done, p.total)) for k, p in by_owner.items() if p.total]
        ov.scoring_total = Figure(sum(f.done for _, f in ov.scoring), sum(f.total for _, f in ov.scoring))
    ov.leaders, ov.leaders_behind = _leaders(db, cycle, len(units), unit_ids)
    groups = voting.turnout(db, cycle)
    ov.turnout = [(g.name, Figure(g.voted, g.roll)) for g in groups]
    ov.turnout_total = Figure(sum(g.voted for g in groups), sum(g.roll for g in groups))
    ov.awards, ov.award_votes, ov.group_behind = _awards(db, cycle)
    return ov
