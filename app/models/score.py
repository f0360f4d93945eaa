"""Target scoring: what the owner of an indicator records for one unit.

``corrections`` holds the facts the scorer set (a value differing from the unit's reported one
needs a reason in ``correction_reasons``, shown to the unit); ``judgment`` holds the values
only a scorer gives (judged points, deductions and their reasons). ``confirmed`` means the
scorer has looked at the cell and stands by the facts as they now are.
"""

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import JSONType, UTCDateTime, utcnow


class ScoreEntry(SQLModel, table=True):
    __tablename__ = "score_entry"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id", "indicator_code"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    indicator_code: str = Field(max_length=40)
    corrections: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    correction_reasons: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    judgment: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    confirmed: bool = Field(default=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)
