"""The stage registry: what happens in each kind of stage of a cycle.

One entry per key of :data:`app.services.stages.STAGE_LABELS` (which holds the kinds' order and
Chinese names, because the stage gating that every workflow imports needs them): the roles that
act in the stage, who of them has not finished (a service function ``fn(db, cycle) -> set of
user ids``; ``None`` when everyone holding one of the roles is asked to act), the office's page
for following the stage, the home-page tasks of the acting roles and the stage's progress rows
(:mod:`app.services.progress_rows`, read by :mod:`app.services.progress` for the 催办 pages). The reminders job and the
home page look a stage up here. Endpoints are strings (web endpoints taking ``cycle_id``),
resolved by the web layer.

A new kind of stage: its key and name in ``STAGE_LABELS``, its entry in :data:`KINDS`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, select

from app.models import Cycle, RoleMembership, User

from . import awards, leader_eval, progress_rows, reports, scoring, voting
from .stages import STAGE_LABELS


@dataclass(frozen=True)
class Page:
    """A link on the home page: a web endpoint taking ``cycle_id`` and the task's title."""

    endpoint: str
    title: str


@dataclass(frozen=True)
class StageKind:
    key: str
    roles: tuple[str, ...]  # the roles that act in the stage (reminded while pending)
    pending: Callable[[Session, Cycle], set[int]] | None  # who has not finished; None: all of ``roles``
    office_page: Page  # where the office follows the stage: its home-page task while the stage is open
    tasks: Mapping[str, Page] = field(default_factory=dict)  # role -> the home-page task of an acting role
    # one row per unit or person the office follows, with whom a 催办 reaches (None: no progress page)
    progress: Callable[[Session, Cycle], list[progress_rows.Row]] | None = None

    @property
    def label(self) -> str:
        return STAGE_LABELS[self.key]

    def task_for(self, role: str) -> Page | None:
        """The generic home-page task of ``role`` while the stage is open (None: none; a
        workflow may still list its own tasks through ``tasks.task_provider``)."""
        if role in self.tasks:
            return self.tasks[role]
        return self.office_page if role == "office" else None


KINDS: dict[str, StageKind] = {k.key: k for k in (
    StageKind("self_report", roles=("reporter",), pending=reports.pending_reporters,
              office_page=Page("report.office_list", "跟进各单位自查报告的提交与公示"),
              progress=progress_rows.self_reports),
    StageKind("democratic", roles=("voter",), pending=voting.pending_account_voters,
              office_page=Page("office.cycle_detail", "跟进「民主测评」阶段"),
              tasks={"voter": Page("vote.account_ballot", "参加民主测评（投票）")},
              progress=progress_rows.account_voters),
    StageKind("scoring", roles=("scorer",), pending=scoring.pending_scorers,
              office_page=Page("scoring.cycle", "跟进目标考核评分进度，为目标办负责的指标评分"),
              progress=progress_rows.scoring_owners),
    StageKind("leader", roles=("leader",), pending=leader_eval.pending_leaders,
              office_page=Page("leader.office_progress", "查看领导班子评价进度"), progress=progress_rows.leaders),
    StageKind("award", roles=("group",), pending=awards.pending_members,
              office_page=Page("award.office_list", "突出贡献奖申报初审"), progress=progress_rows.award_members),
    StageKind("deliberation", roles=("group",), pending=None,
              office_page=Page("results.sheet", "计算、审议并定稿考核结果"),
              tasks={"group": Page("results.sheet", "审议考核结果")}),
    StageKind("publication", roles=("office",), pending=None,
              office_page=Page("results.objections_page", "公示考核结果并答复异议")),
)}


def acting_people(db: Session, kind: str) -> set[int]:
    """Active users holding one of the roles that act in the stage."""
    entry = KINDS.get(kind)
    if entry is None:
        return set()
    rows = db.exec(
        select(RoleMembership.user_id).join(User, User.id == RoleMembership.user_id)
        .where(RoleMembership.role.in_(entry.roles), User.active == True)  # noqa: E712
    )
    return set(rows)


def pending_people(db: Session, cycle: Cycle, kind: str) -> set[int]:
    """User ids that still have something to do in the cycle's stage of this kind."""
    entry = KINDS.get(kind)
    if entry is not None and entry.pending is not None:
        return entry.pending(db, cycle)
    return acting_people(db, kind)
