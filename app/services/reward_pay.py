"""The reward-pay list (奖励性绩效工资名单): which units receive reward pay by their final grade,
with the coefficient the cycle's scheme sets per grade, for the personnel and finance offices.

Units graded 合格 or better receive it, 不合格 units none (实施办法). Only final results are listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from app.models import Cycle

from . import PermissionDenied, ServiceError
from .results import get_set, rows_of
from .schemes import cycle_scheme

STATUS_TEXT = {"proposed": "待定稿", "fixed": "已定稿", "published": "公示中"}


@dataclass(frozen=True)
class RewardRow:
    category: str
    unit: str
    subtype: str
    rank: int
    grade: str
    eligible: bool
    coefficient: Decimal


def reward_rows(db: Session, *, cycle: Cycle, actor_roles: set[str]) -> list[RewardRow]:
    """Every unit of the cycle's final results with its grade, whether it receives reward pay and
    its coefficient, in the results' order (category, rank). Refused before the results are final."""
    if "office" not in actor_roles:
        raise PermissionDenied("只有目标办可以下载奖励性绩效工资名单。")
    rs = get_set(db, cycle.id)
    if rs is None or rs.status != "final":
        now = "尚未计算" if rs is None else STATUS_TEXT.get(rs.status, rs.status)
        raise ServiceError(f"考核结果尚未最终确定（当前：{now}），奖励性绩效工资名单须在结果最终确定后下载。")
    grading = cycle_scheme(cycle).grading
    names = {c.key: c.name for c in cycle_scheme(cycle).categories}
    out = []
    for r in rows_of(db, rs, with_detail=False):  # not their explanations: 40 KB of JSON a row
        eligible = bool(r.grade) and r.grade != grading.failed
        out.append(RewardRow(category=names.get(r.category, r.category), unit=r.unit_name, subtype=r.subtype,
                             rank=r.rank, grade=r.grade or "未评定", eligible=eligible,
                             coefficient=grading.reward_coefficient(r.grade) if eligible else Decimal(0)))
    return out
