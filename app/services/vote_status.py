"""What a voter may learn about their own ballot after the fact: that it was recorded and
counted, never what it said.

A roll entry's ``voted`` flag is set by the same statement that stores the ballot and the
receipt (``app.services.voting.cast_ballot``), so a spent code proves its ballot is in the box,
even when the server died before the receipt page reached the phone. The receipt itself cannot
be shown again: nothing links a receipt (or a ballot) to a code or a person, by design.

Kept apart from ``app.services.voting`` (the cast path and the tally): it only reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Cycle
from app.models.voting import VotingState
from app.services.voting import Voter

NO_RECEIPT = ("为保护匿名，系统不保存测评码与选票、回执码之间的任何关联，所以无法补发回执码，"
              "也不会显示选票内容。")


@dataclass(frozen=True)
class BallotStatus:
    """The state of a spent code's ballot, in words for the voter."""

    cycle_name: str
    sealed: bool
    published: bool

    @property
    def headline(self) -> str:
        return "您的选票已记录（投票成功）"

    @property
    def detail(self) -> str:
        if self.published:
            where = f"已计入「{self.cycle_name}」民主测评的计票结果（结果已公布）。"
        elif self.sealed:
            where = f"「{self.cycle_name}」民主测评已结束，票箱已封存，选票计入计票结果。"
        else:
            where = f"测评结束后计入「{self.cycle_name}」民主测评的计票结果。"
        return where + NO_RECEIPT


def ballot_status(engine: Engine, voter: Voter | None) -> BallotStatus | None:
    """The status of ``voter``'s ballot when their entry has voted; None otherwise."""
    if voter is None or not voter.voted:
        return None
    with Session(engine) as s:
        cycle = s.get(Cycle, voter.cycle_id)
        st = s.get(VotingState, voter.cycle_id)
    return BallotStatus(cycle_name=cycle.name if cycle else "", sealed=bool(st and st.sealed_at),
                        published=bool(st and st.published_at))
