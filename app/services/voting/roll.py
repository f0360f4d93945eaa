"""The roll of a cycle's democratic rating: rater groups, voter accounts, one-time codes in
batches, voiding and replacing a code, and who has not voted yet (for reminders)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer, func, insert, select, update
from sqlmodel import Session

from app.models import Cycle, RoleMembership, Unit, User
from app.models.base import utcnow
from app.models.voting import RaterGroup, RollEntry

from .. import ServiceError, StaleData
from ..audit import record
from .codes import CODE_LEN, new_code
from .context import check_setup_stamp, groups_of, scheme_policy

MAX_CODES_PER_BATCH = 5000
DEFAULT_GROUPS = (("cadre", "中层干部", None), ("staff", "教职工代表", None))  # a scheme that names none


def create_default_groups(db: Session, *, actor_id: int | None, cycle: Cycle) -> list[RaterGroup]:
    """The scheme's rater groups, or 中层干部 / 教职工代表 without weights."""
    if groups_of(db, cycle.id):
        raise ServiceError("本周期已设置测评人员类别。")
    groups = scheme_policy(cycle).rater_groups or DEFAULT_GROUPS
    made = []
    for pos, (key, name, weight) in enumerate(groups, start=1):
        made.append(save_group(db, actor_id=actor_id, cycle=cycle, key=key, name=name, weight=weight, position=pos))
    return made


def save_group(db: Session, *, actor_id: int | None, cycle: Cycle, key: str, name: str,
               weight: Decimal | None, position: int = 0, group_id: int | None = None,
               expected_stamp: str | None = None) -> RaterGroup:
    key = (key or "").strip().lower()
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写类别名称。", field="name")
    if weight is not None and (weight < 0 or weight > 100):
        raise ServiceError("权重应在 0 到 100 之间。", field="weight")
    if group_id:
        group = db.get(RaterGroup, group_id)
        if group is None or group.cycle_id != cycle.id:
            raise ServiceError("测评人员类别不存在。")
        check_setup_stamp(db, cycle.id, expected_stamp,
                          "打开本页后测评人员类别已被修改，未保存。请刷新页面查看后重新填写。")
        # the office may correct a weight after ballots were cast: it is recorded with old and new value
        old = {"name": group.name, "weight": group.weight}
        group.name, group.weight = name, weight
        db.add(group)
        db.flush()
        record(db, actor_id=actor_id, action="update", entity="rater_group", entity_id=group.id, cycle_id=cycle.id,
               old=old, new={"name": name, "weight": weight})
        return group
    if not key or not key.replace("_", "").isalnum() or len(key) > 32:
        raise ServiceError("类别代码只能用字母、数字和下划线（不超过 32 个字符）。", field="key")
    if db.execute(select(RaterGroup.id).where(RaterGroup.cycle_id == cycle.id, RaterGroup.key == key)).first():
        raise ServiceError(f"类别代码「{key}」已存在。", field="key")
    group = RaterGroup(cycle_id=cycle.id, key=key, name=name, weight=weight, position=position)
    db.add(group)
    db.flush()
    record(db, actor_id=actor_id, action="create", entity="rater_group", entity_id=group.id, cycle_id=cycle.id,
           new={"key": key, "name": name, "weight": weight})
    return group


def _group(db: Session, cycle: Cycle, group_id: int) -> RaterGroup:
    group = db.get(RaterGroup, group_id)
    if group is None or group.cycle_id != cycle.id:
        raise ServiceError("请选择测评人员类别。", field="group_id")
    return group


def add_accounts(db: Session, *, actor_id: int | None, cycle: Cycle, group_id: int,
                 user_ids: list[int] | None = None) -> int:
    """Put accounts on the roll (default: every active account with the voter role not yet on
    it). Their own unit (``User.unit_id``) is left out of their ballot."""
    group = _group(db, cycle, group_id)
    if user_ids is None:
        user_ids = list(db.execute(select(RoleMembership.user_id).join(User, User.id == RoleMembership.user_id)
                                   .where(RoleMembership.role == "voter", User.active == True)).scalars())  # noqa: E712
    have = set(db.execute(select(RollEntry.user_id).where(RollEntry.cycle_id == cycle.id,
                                                          RollEntry.user_id.is_not(None))).scalars())
    users = {u.id: u for u in db.execute(select(User).where(User.id.in_(set(user_ids) - have))).scalars()}
    for uid in sorted(users):
        db.add(RollEntry(cycle_id=cycle.id, group_id=group.id, user_id=uid, unit_id=users[uid].unit_id))
    db.flush()
    if users:
        record(db, actor_id=actor_id, action="add_accounts", entity="roll", cycle_id=cycle.id,
               new={"group": group.key, "users": sorted(users)})
    return len(users)


def remove_entry(db: Session, *, actor_id: int | None, cycle: Cycle, entry_id: int) -> None:
    entry = db.get(RollEntry, entry_id)
    if entry is None or entry.cycle_id != cycle.id:
        raise ServiceError("名册中没有该条目。")
    if entry.voted:
        raise ServiceError("已投票的条目不能移除（选票已计入，且无法与投票人对应）。")
    db.delete(entry)
    db.flush()
    record(db, actor_id=actor_id, action="remove", entity="roll_entry", entity_id=entry_id, cycle_id=cycle.id,
           old={"user_id": entry.user_id, "code": bool(entry.code)})


def issue_codes(db: Session, *, actor_id: int | None, cycle: Cycle, group_id: int, count: int,
                unit_id: int | None = None, batch: str = "") -> tuple[str, int]:
    """Generate ``count`` one-time codes for a group (and, optionally, the unit of the people who
    will get them: that unit is left out of their ballots). Returns (batch label, count)."""
    group = _group(db, cycle, group_id)
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ServiceError(f"每批可生成 1 至 {MAX_CODES_PER_BATCH} 个测评码。", field="count")
    if unit_id is not None and db.get(Unit, unit_id) is None:
        raise ServiceError("所选单位不存在。", field="unit_id")
    batch = (batch or "").strip()[:40] or utcnow().strftime("批次%Y%m%d%H%M%S")
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(new_code(CODE_LEN))
    clash = set(db.execute(select(RollEntry.code).where(RollEntry.code.in_(codes))).scalars())
    codes -= clash
    while len(codes) < count:
        c = new_code(CODE_LEN)
        if not db.execute(select(RollEntry.id).where(RollEntry.code == c)).first():
            codes.add(c)
    now = utcnow()
    db.execute(insert(RollEntry), [
        {"cycle_id": cycle.id, "group_id": group.id, "code": c, "batch": batch, "unit_id": unit_id,
         "voted": False, "void": False, "created_at": now} for c in sorted(codes)])
    db.flush()
    record(db, actor_id=actor_id, action="issue_codes", entity="roll", cycle_id=cycle.id,
           new={"group": group.key, "count": count, "unit_id": unit_id, "batch": batch})
    return batch, count


def batch_label(batch: str, group: RaterGroup) -> str:
    """The label of one group's batch when several groups get codes at once."""
    return f"{(batch or '').strip()[:40 - len(group.name) - 1]}·{group.name}"[:40]


def issue_codes_for_groups(db: Session, *, actor_id: int | None, cycle: Cycle, counts: dict[int, int],
                           names: dict[int, str], unit_id: int | None = None, batch: str = "") -> list[tuple[str, int]]:
    """Codes for several rater groups at once, one batch per group labelled ``batch·group name``:
    all or none. ``names``: group id → the name the confirmation page showed (a group renamed or
    removed since refuses the whole batch); a label already in use refuses it too (the same
    confirmation submitted twice). Returns [(batch label, count)]."""
    counts = {gid: n for gid, n in counts.items() if n}
    if not counts:
        raise ServiceError("请至少为一个测评人员类别填写生成数量。", field="count")
    batch = (batch or "").strip() or utcnow().strftime("批次%Y%m%d%H%M%S")
    groups = []
    for gid, n in counts.items():
        group = db.get(RaterGroup, gid)
        if group is None or group.cycle_id != cycle.id or group.name != names.get(gid):
            raise StaleData("测评人员类别已被修改，请返回刷新后重新填写（本批未生成任何测评码）。")
        groups.append((group, n))
    labels = [batch_label(batch, g) for g, _ in groups]
    used = set(db.execute(select(RollEntry.batch).where(RollEntry.cycle_id == cycle.id,
                                                        RollEntry.batch.in_(labels))).scalars())
    if used:
        raise StaleData(f"批次「{'、'.join(sorted(used))}」已存在（可能已生成过），本批未生成任何测评码。")
    out = []
    for (group, n), label in zip(groups, labels, strict=True):
        out.append(issue_codes(db, actor_id=actor_id, cycle=cycle, group_id=group.id, count=n, unit_id=unit_id,
                               batch=label))
    record(db, actor_id=actor_id, action="issue_codes_batch", entity="roll", cycle_id=cycle.id,
           new={"batches": [{"batch": b, "count": c} for b, c in out], "unit_id": unit_id})
    return out


def void_and_replace(db: Session, *, actor_id: int | None, cycle: Cycle, entry_id: int, reason: str) -> RollEntry:
    """Void a code (lost slip, wrong hands) and issue a replacement with the same group and unit."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("作废测评码须填写原因。", field="reason")
    entry = db.get(RollEntry, entry_id)
    if entry is None or entry.cycle_id != cycle.id or entry.code is None:
        raise ServiceError("没有该测评码。")
    if entry.void:
        raise ServiceError("该测评码已作废。")
    # the conditional UPDATE makes a race with a voter safe: either the vote or the voiding wins
    voided = db.execute(update(RollEntry).where(RollEntry.id == entry.id, RollEntry.voted == False)  # noqa: E712
                        .values(void=True)).rowcount
    if voided != 1:
        raise ServiceError("该测评码已投票，选票已计入，不能作废。")
    db.expire(entry)
    code = new_code(CODE_LEN)
    while db.execute(select(RollEntry.id).where(RollEntry.code == code)).first():
        code = new_code(CODE_LEN)
    new = RollEntry(cycle_id=cycle.id, group_id=entry.group_id, code=code, batch=entry.batch,
                    unit_id=entry.unit_id, replaces_id=entry.id)
    db.add(new)
    db.flush()
    record(db, actor_id=actor_id, action="void_code", entity="roll_entry", entity_id=entry.id, cycle_id=cycle.id,
           new={"replacement": new.id}, reason=reason)
    return new


def batches(db: Session, cycle_id: int) -> list[dict]:
    rows = db.execute(
        select(
            RollEntry.batch,
            RaterGroup.name,
            RollEntry.unit_id,
            func.count(),
            func.sum(func.cast(RollEntry.voted, Integer())),
            func.sum(func.cast(RollEntry.void, Integer())),
        )
        .join(RaterGroup, RaterGroup.id == RollEntry.group_id)
        .where(RollEntry.cycle_id == cycle_id, RollEntry.code.is_not(None))
        .group_by(RollEntry.batch, RaterGroup.name, RollEntry.unit_id)
        .order_by(RollEntry.batch)
    ).all()
    return [{"batch": b, "group": g, "unit_id": u, "count": n, "voted": int(v or 0), "void": int(x or 0)}
            for b, g, u, n, v, x in rows]


def codes_of_batch(db: Session, cycle_id: int, batch: str, *, include_void: bool = False) -> list[RollEntry]:
    q = select(RollEntry).where(RollEntry.cycle_id == cycle_id, RollEntry.batch == batch,
                                RollEntry.code.is_not(None)).order_by(RollEntry.id)
    if not include_void:
        q = q.where(RollEntry.void == False)  # noqa: E712
    return list(db.execute(q).scalars())


def account_entries(db: Session, cycle_id: int) -> list[tuple[RollEntry, User, RaterGroup]]:
    return list(db.execute(select(RollEntry, User, RaterGroup).join(User, User.id == RollEntry.user_id)
                           .join(RaterGroup, RaterGroup.id == RollEntry.group_id)
                           .where(RollEntry.cycle_id == cycle_id).order_by(RaterGroup.position, User.username)).all())


def pending_account_voters(db: Session, cycle: Cycle) -> set[int]:
    """Reminder provider: account voters on the roll who have not voted."""
    return set(db.execute(select(RollEntry.user_id).where(
        RollEntry.cycle_id == cycle.id, RollEntry.user_id.is_not(None), RollEntry.voted == False,  # noqa: E712
        RollEntry.void == False)).scalars())  # noqa: E712
