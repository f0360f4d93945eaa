"""Seal the ballot box of every cycle whose democratic rating has closed (see
``app.services.voting.seal_box``): idempotent, and whichever process claims the tick runs it."""

from datetime import datetime

from sqlmodel import Session, select

from app.models import Cycle
from app.models.voting import VotingState
from app.services import ServiceError
from app.services import voting as svc
from app.services.stages import state_of

from . import job


@job("voting_seal")
def seal_closed_boxes(db: Session, now: datetime) -> str:
    engine = db.get_bind()
    todo = []
    for cycle in db.exec(select(Cycle).where(Cycle.archived == False)):  # noqa: E712
        st = db.get(VotingState, cycle.id)
        if st is not None and st.sealed_at is not None:
            continue
        try:
            closed = state_of(db, cycle.id, svc.KIND, now).status == "closed"
        except ServiceError:
            continue
        if closed and svc.has_ballots(db, cycle.id):
            todo.append(cycle.id)
    db.rollback()  # sealing rewrites the tables: hold no transaction on them meanwhile
    for cycle_id in todo:
        svc.seal_box(engine, cycle_id)
    return f"封存票箱 {len(todo)} 个"
