"""Entered component values (weighted, bonus and deduction components of a scheme): one value
per (cycle, unit, component key), entered or uploaded by the component's owner.

A value is stored as integer ten-thousandths (``value_e4``): exact on SQLite and PostgreSQL
alike; ``value`` gives the Decimal. ``no_work``: the unit has no such work (the value is empty;
the component's missing-value rule decides). A deduction is stored negative. ``version`` guards
each value against stale forms.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import UTCDateTime, utcnow

SCALE = Decimal(10000)


class ComponentValue(SQLModel, table=True):
    __tablename__ = "component_value"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id", "component_key"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    component_key: str = Field(max_length=64)
    value_e4: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    no_work: bool = Field(default=False)
    note: str = Field(default="", max_length=500)
    entered_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def value(self) -> Decimal | None:
        return None if self.value_e4 is None else (Decimal(self.value_e4) / SCALE).normalize()
