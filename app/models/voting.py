"""Democratic rating (民主测评): rater groups, the voter roll, the ballot box and receipts.

The roll (who may vote and whether they have voted) and the box (what was voted) are separate
tables with nothing that links them: see :class:`Ballot` for what a ballot row carries, and
what is done so that neither its content nor its storage order reveals who cast it.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import UTCDateTime, utcnow


class RaterGroup(SQLModel, table=True):
    """A rater group of a cycle (校领导, 中层干部, 教职工代表 …) with its weight in the rating.
    ``weight`` None in every group of a cycle means: the mean over all ballots."""

    __tablename__ = "rater_group"
    __table_args__ = (UniqueConstraint("cycle_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    key: str = Field(max_length=32)
    name: str = Field(max_length=64)
    weight: Decimal | None = Field(default=None, sa_column=Column(Numeric(8, 4), nullable=True))
    position: int = Field(default=0)


class RollEntry(SQLModel, table=True):
    """One person or one printed code allowed to cast one ballot in a cycle.

    ``voted`` is flipped from false to true by a conditional UPDATE in the same transaction
    that inserts the ballot (rowcount 1 or nothing is recorded), so the database itself holds
    one ballot per entry however many submissions race. No time of voting is stored.
    ``unit_id`` is the voter's own unit, left out of their ballot (accounts: their
    ``User.unit_id`` when added; codes: the unit the office assigned to the batch)."""

    __tablename__ = "roll_entry"
    __table_args__ = (UniqueConstraint("cycle_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    group_id: int = Field(foreign_key="rater_group.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    code: str | None = Field(default=None, max_length=16, unique=True)
    batch: str = Field(default="", max_length=40)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    voted: bool = Field(default=False)
    void: bool = Field(default=False)
    replaces_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Ballot(SQLModel, table=True):
    """One cast ballot: the rater group and the choices, nothing else.

    What a row does **not** carry: no voter id, no code, no roll entry id, no time, no IP, no
    sequential id. ``id`` is 128 random bits (``secrets.token_hex``). ``choices`` is a compact
    payload ``"<unit id>:<level index>,…"`` (one row per ballot: one INSERT however many
    units, which is also what makes the write path fast).

    Storage order: on SQLite the table is ``WITHOUT ROWID``, so rows live in a B-tree ordered
    by the random key rather than in rowid (= insertion) order, and ``SELECT *`` returns them
    in random order. On PostgreSQL a heap keeps rows roughly in insertion order (``ctid``), and
    every row carries the id of the transaction that wrote it (``xmin``), the same as that of
    the roll entry's UPDATE and of the receipt. Sealing the box after the stage closes
    (:func:`app.services.voting.seal_box`, run by the ``voting_seal`` job and on publication)
    rewrites the roll entries, ballots and receipts of the cycle in one transaction (one
    ``xmin`` for all) and rewrites the tables in key order (``CLUSTER`` + ``VACUUM``; on SQLite
    ``VACUUM`` and a WAL checkpoint that empties the log), so afterwards neither order nor
    transaction ids link a ballot to a voter or to a receipt. During the vote
    the database administrator, who could watch the server anyway, is trusted with the WAL.

    ``group_key`` is kept because the rating weighs rater groups; a group's breakdown is never
    shown when it has fewer than 5 voters (see app.services.voting.MIN_GROUP)."""

    __tablename__ = "ballot"
    __table_args__ = {"sqlite_with_rowid": False}

    id: str = Field(primary_key=True, max_length=32)
    cycle_id: int = Field(foreign_key="cycle.id")
    group_key: str = Field(max_length=32)
    choices: str = Field(max_length=4000)


class Receipt(SQLModel, table=True):
    """A receipt code given to a voter; published as a list after the stage closes so each
    voter can see theirs counted. Stored apart from the ballots (no link, random key,
    ``WITHOUT ROWID`` like :class:`Ballot`); whole ballots are never published against receipts."""

    __tablename__ = "receipt"
    __table_args__ = {"sqlite_with_rowid": False}

    code: str = Field(primary_key=True, max_length=16)
    cycle_id: int = Field(foreign_key="cycle.id")


class VotingState(SQLModel, table=True):
    """Per cycle: when the box was sealed and when the counts and receipts were published."""

    __tablename__ = "voting_state"

    cycle_id: int = Field(primary_key=True, foreign_key="cycle.id")
    sealed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    published_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    # the office's setting for this cycle of the highest share of 优秀 per category (None: the
    # scheme's rule); recorded in the audit trail when changed
    max_excellent_share: Decimal | None = Field(default=None, sa_column=Column(Numeric(5, 4), nullable=True))
