"""The organisation from a workbook: what an import would change (the preview), and the import.

The workbook is the whole organisation: units and people in it are created or brought up to
date; units and people missing from it are deactivated, never deleted (history keeps its
people). Accounts holding the 目标办 role are left alone when the workbook does not list them,
so an import can never lock the office out. People are matched by 工号 (``User.employee_no``),
else, for an account that has no 工号 yet, by user name = 工号; a new account's user name is its
工号 and it gets a random initial password (:func:`app.services.accounts.initial_passwords`),
shown once on the slips and to be changed at the first sign-in.

:func:`plan_import` compares a read workbook with the database and lists every change; its
``fingerprint`` is a digest of the organisation as it was compared, so a confirmation made
after the organisation has changed is refused (:class:`StaleData`). :func:`apply_import` plans
again and carries the plan out through the ordinary services (each change audited), plus one
summary entry; it flushes and never commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from sqlmodel import Session, select

from app.models import LEADER_RANKS, ROLE_LABELS, RoleMembership, Unit, User
from app.sheets.org import OrgWorkbook, PersonRow, RoleSpec, UnitRow, read_org_workbook
from app.sheets.scheme import ImportProblem

from . import ServiceError, StaleData, accounts, org
from .audit import changes, record

UNIT_GONE = "组织机构导入：工作簿中没有该单位"
PERSON_GONE = "组织机构导入：工作簿中没有此人"
BACK = "组织机构导入：工作簿中重新列出"


@dataclass
class Change:
    """One line of the preview. ``action``: create | update | reactivate | deactivate."""

    action: str
    label: str
    details: list[str] = field(default_factory=list)
    row: int | None = None


ACTION_LABELS = {"create": "新建", "update": "修改", "reactivate": "重新启用", "deactivate": "停用"}


@dataclass
class OrgPlan:
    problems: list[ImportProblem] = field(default_factory=list)
    units: list[Change] = field(default_factory=list)
    people: list[Change] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # office accounts not in the workbook, left alone
    unchanged_units: int = 0
    unchanged_people: int = 0
    fingerprint: str = ""
    # what apply_import needs, per row
    _unit_ops: list[tuple[str, Unit | None, UnitRow | None]] = field(default_factory=list, repr=False)
    _person_ops: list[tuple[str, User | None, PersonRow | None]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, which: str, action: str) -> int:
        return sum(1 for c in getattr(self, which) if c.action == action)

    @property
    def new_accounts(self) -> int:
        return self.count("people", "create")

    @property
    def has_changes(self) -> bool:
        return bool(self.units or self.people)


def fingerprint(db: Session) -> str:
    """A digest of the organisation (units, accounts, roles) as an import compares it."""
    h = hashlib.sha256()
    for u in db.exec(select(Unit).order_by(Unit.id)):
        h.update(repr((u.id, u.name, u.short_name, u.category, u.subtype, u.position, u.active)).encode())
    for u in db.exec(select(User).order_by(User.id)):
        h.update(repr((u.id, u.username, u.employee_no, u.display_name, u.unit_id, u.email, u.phone,
                       u.active)).encode())
    for m in db.exec(select(RoleMembership).order_by(RoleMembership.id)):
        h.update(repr((m.id, m.user_id, m.role, m.unit_id, m.leader_rank)).encode())
    return h.hexdigest()[:32]


def _role_set(specs, person: PersonRow, unit_ids: dict[str, int | None]) -> set[tuple]:
    out = set()
    for s in specs:
        unit_id = unit_ids.get(s.unit_name or person.unit_name or "") if s.role in ("reporter", "scorer") else None
        out.add((s.role, unit_id, person.leader_rank if s.role == "leader" else None))
    return out


def _role_text(roles: set[tuple], unit_names: dict[int, str]) -> str:
    parts = []
    for role, unit_id, rank in sorted(roles, key=lambda r: (list(ROLE_LABELS).index(r[0]), r[1] or 0)):
        label = ROLE_LABELS[role]
        if unit_id:
            label += f"（{unit_names.get(unit_id, unit_id)}）"
        if rank:
            label += f"（{LEADER_RANKS[rank]}）"
        parts.append(label)
    return "、".join(parts) or "无"


def _want_text(p: PersonRow, want: set[tuple], unit_names: dict[int, str]) -> str:
    """The roles a person will have; as the workbook names them while a bound unit is still to be created."""
    if all(unit_id or role not in ("reporter", "scorer") for role, unit_id, _rank in want):
        return _role_text(want, unit_names)
    return "、".join(s.label + (f"（{LEADER_RANKS[p.leader_rank]}）" if s.role == "leader" else "")
                    for s in p.roles) or "无"


def _keep_unit(row: UnitRow, unit: Unit | None, columns: set[str]) -> UnitRow:
    """An existing unit keeps what an optional column left out of the sheet would have set."""
    if unit is None:
        return row
    return replace(row, short_name=row.short_name if "简称" in columns else unit.short_name,
                   position=row.position if "排序" in columns else unit.position)


def _keep_person(
    p: PersonRow, user: User, columns: set[str], unit_names: dict[int, str], have: set[tuple]
) -> PersonRow:
    """An existing account keeps what an optional column left out of the sheet would have set."""
    keep = {}
    if "所在单位" not in columns:
        keep["unit_name"] = unit_names.get(user.unit_id) if user.unit_id else None
    if "角色" not in columns:
        keep["roles"] = tuple(RoleSpec(role, unit_names.get(unit_id) if unit_id else None)
                              for role, unit_id, _rank in sorted(have, key=repr))
    if "校领导职别" not in columns or "角色" not in columns:
        keep["leader_rank"] = next((rank for role, _u, rank in have if role == "leader"), None)
    if "电子邮箱" not in columns:
        keep["email"] = user.email
    if "电话" not in columns:
        keep["phone"] = user.phone
    return replace(p, **keep) if keep else p


def plan_import(db: Session, *, workbook: OrgWorkbook, actor_id: int | None) -> OrgPlan:
    plan = OrgPlan(problems=list(workbook.problems), fingerprint=fingerprint(db))
    if workbook.problems:
        return plan
    units = {u.name: u for u in db.exec(select(Unit))}
    unit_names = {u.id: u.name for u in units.values()}
    # units
    listed = set()
    for row in workbook.units:
        listed.add(row.name)
        u = units.get(row.name)
        row = _keep_unit(row, u, workbook.unit_columns)
        if u is None:
            plan.units.append(Change("create", row.name, [f"{row.subtype}，排序 {row.position}"], row.row))
            plan._unit_ops.append(("create", None, row))
            continue
        details = []
        for label, old, new in (
            ("简称", u.short_name or "", row.short_name),
            ("类别", u.category_label, "院部" if row.category == "college" else "部门"),
            ("单位类型", u.subtype, row.subtype),
            ("排序", u.position, row.position),
        ):
            if old != new:
                details.append(f"{label}：{old or '—'} → {new or '—'}")
        action = "reactivate" if not u.active else ("update" if details else None)
        if action:
            plan.units.append(Change(action, row.name, details, row.row))
            plan._unit_ops.append((action, u, row))
        else:
            plan.unchanged_units += 1
    for u in sorted(units.values(), key=lambda x: (x.category, x.position, x.id)):
        if u.name not in listed and u.active:
            plan.units.append(Change("deactivate", u.name))
            plan._unit_ops.append(("deactivate", u, None))
    # the unit ids people will be bound to (None for units still to be created: resolved on apply)
    unit_ids = {name: u.id for name, u in units.items()}

    users = list(db.exec(select(User).order_by(User.id)))
    by_no = {u.employee_no: u for u in users if u.employee_no}
    by_name = {u.username: u for u in users}
    memberships: dict[int, set[tuple]] = {}
    for m in db.exec(select(RoleMembership)):
        memberships.setdefault(m.user_id, set()).add((m.role, m.unit_id, m.leader_rank))
    seen: set[int] = set()
    for p in workbook.people:
        user = by_no.get(p.employee_no)
        if user is None:
            other = by_name.get(p.employee_no)
            if other is not None and other.employee_no is None:
                user = other
            elif other is not None:
                plan.problems.append(ImportProblem(
                    f"工号「{p.employee_no}」与已有账号「{other.username}」（工号 {other.employee_no}）的用户名相同，"
                    "无法为其新建账号", sheet="人员", row=p.row, column="A"))
                continue
        if user is not None and user.id in seen:
            plan.problems.append(ImportProblem(f"工号「{p.employee_no}」对应的账号在上面已出现", sheet="人员",
                                               row=p.row, column="A"))
            continue
        if user is not None:
            p = _keep_person(p, user, workbook.people_columns, unit_names, memberships.get(user.id, set()))
        want_roles = _role_set(p.roles, p, unit_ids)
        label = f"{p.employee_no} {p.name}"
        if user is None:
            details = [f"单位：{p.unit_name or '—'}", f"角色：{_want_text(p, want_roles, unit_names)}"]
            details += [f"{lab}：{v}" for lab, v in (("电子邮箱", p.email), ("电话", p.phone)) if v]
            plan.people.append(Change("create", label, details, p.row))
            plan._person_ops.append(("create", None, p))
            continue
        seen.add(user.id)
        have_roles = memberships.get(user.id, set())
        if actor_id is not None and user.id == actor_id and ("office", None, None) in have_roles and not any(
                s.role == "office" for s in p.roles):
            plan.problems.append(ImportProblem("不能通过导入移除自己的目标办角色", sheet="人员", row=p.row, column="D"))
            continue
        details = []
        if user.employee_no != p.employee_no:
            details.append(f"工号：{user.employee_no or '—'} → {p.employee_no}")
        for lab, old, new in (("姓名", user.display_name, p.name),
                              ("单位", unit_names.get(user.unit_id) if user.unit_id else None, p.unit_name),
                              ("电子邮箱", user.email, p.email), ("电话", user.phone, p.phone)):
            if (old or None) != (new or None):
                details.append(f"{lab}：{old or '—'} → {new or '—'}")
        if have_roles != want_roles:
            details.append(f"角色：{_role_text(have_roles, unit_names)} → {_want_text(p, want_roles, unit_names)}")
        action = "reactivate" if not user.active else ("update" if details else None)
        if action:
            plan.people.append(Change(action, label, details, p.row))
            plan._person_ops.append((action, user, p))
        else:
            plan.unchanged_people += 1
    for user in users:
        if user.id in seen or not user.active:
            continue
        if ("office", None, None) in memberships.get(user.id, set()):
            plan.kept.append(f"{user.username} {user.display_name}")
            continue
        if actor_id is not None and user.id == actor_id:
            plan.problems.append(ImportProblem("工作簿中没有您自己的账号，导入会停用它；请把自己列入「人员」表"))
            continue
        plan.people.append(Change("deactivate", f"{user.employee_no or user.username} {user.display_name}"))
        plan._person_ops.append(("deactivate", user, None))
    plan.problems.sort(key=lambda p: (p.sheet or "", p.row or 0))
    return plan


def preview(db: Session, *, data: bytes, actor_id: int | None) -> OrgPlan:
    return plan_import(db, workbook=read_org_workbook(data), actor_id=actor_id)


@dataclass
class NewAccount:
    user: User
    password: str
    unit_name: str | None


@dataclass
class ImportOutcome:
    plan: OrgPlan
    accounts: list[NewAccount]


def _sync_roles(db: Session, *, actor_id: int | None, user: User, want: set[tuple]) -> None:
    have = {(m.role, m.unit_id, m.leader_rank): m for m in accounts.roles_of(db, user.id)}
    for key, m in have.items():
        if key not in want:
            db.delete(m)
            record(db, actor_id=actor_id, action="remove_role", entity="user", entity_id=user.id,
                   old={"role": m.role, "unit_id": m.unit_id, "leader_rank": m.leader_rank}, reason="组织机构导入")
    db.flush()
    for role, unit_id, rank in sorted(want - set(have), key=lambda r: (r[0], r[1] or 0)):
        accounts.add_role(db, actor_id=actor_id, user=user, role=role, unit_id=unit_id, leader_rank=rank)


def apply_import(db: Session, *, actor_id: int | None, data: bytes, expected_fingerprint: str | None = None,
                 filename: str = "") -> ImportOutcome:
    """Carry out the import of ``data``. With ``expected_fingerprint`` (the preview's), refuse when
    the organisation has changed since the preview. Raises ServiceError listing the problems."""
    plan = preview(db, data=data, actor_id=actor_id)
    if expected_fingerprint is not None and plan.fingerprint != expected_fingerprint:
        raise StaleData(
            "预览之后组织机构已有变动（可能有人修改了单位、用户或角色），本次确认未保存；"
            "请重新上传工作簿并核对预览。"
        )
    if not plan.ok:
        raise ServiceError("工作簿有错误，未保存：" + "；".join(str(p) for p in plan.problems[:20]))
    units: dict[str, Unit] = {u.name: u for u in db.exec(select(Unit))}
    for action, unit, row in plan._unit_ops:
        if action == "create":
            units[row.name] = org.create_unit(db, actor_id=actor_id, name=row.name, category=row.category,
                                              subtype=row.subtype, short_name=row.short_name, position=row.position)
        elif action == "deactivate":
            org.update_unit(db, actor_id=actor_id, unit=unit, name=unit.name, category=unit.category,
                            subtype=unit.subtype, short_name=unit.short_name, position=unit.position, active=False,
                            reason=UNIT_GONE)
        else:
            org.update_unit(db, actor_id=actor_id, unit=unit, name=row.name, category=row.category, subtype=row.subtype,
                            short_name=row.short_name, position=row.position, active=True,
                            reason=BACK if action == "reactivate" else None)
    unit_ids = {name: u.id for name, u in units.items()}
    creates = [p for action, _u, p in plan._person_ops if action == "create"]
    fresh = accounts.initial_passwords(len(creates))
    new_users = accounts.create_users(db, actor_id=actor_id, people=[
        {"username": p.employee_no, "display_name": p.name, "password_hash": hashed,
         "unit_id": unit_ids[p.unit_name] if p.unit_name else None, "email": p.email, "employee_no": p.employee_no,
         "phone": p.phone, "roles": sorted(_role_set(p.roles, p, unit_ids), key=repr)}
        for p, (_pw, hashed) in zip(creates, fresh, strict=True)])
    made = [NewAccount(user=u, password=pw, unit_name=p.unit_name)
            for u, p, (pw, _h) in zip(new_users, creates, fresh, strict=True)]
    for action, user, p in plan._person_ops:
        if action == "create":
            continue
        if action == "deactivate":
            accounts.set_active(db, actor_id=actor_id, user_id=user.id, active=False, reason=PERSON_GONE)
            continue
        want = _role_set(p.roles, p, unit_ids)
        unit_id = unit_ids[p.unit_name] if p.unit_name else None
        if action == "reactivate":
            accounts.set_active(db, actor_id=actor_id, user_id=user.id, active=True, reason=BACK)
        old, new = changes(user, {"employee_no": p.employee_no, "display_name": p.name, "unit_id": unit_id,
                                  "email": p.email, "phone": p.phone})
        if new:
            db.add(user)
            record(db, actor_id=actor_id, action="update", entity="user", entity_id=user.id, old=old, new=new,
                   reason="组织机构导入")
        _sync_roles(db, actor_id=actor_id, user=user, want=want)
    record(db, actor_id=actor_id, action="import", entity="org", new={
        "file": filename[:255],
        **{f"units_{a}": plan.count("units", a) for a in ACTION_LABELS},
        **{f"people_{a}": plan.count("people", a) for a in ACTION_LABELS},
    })
    db.flush()
    return ImportOutcome(plan=plan, accounts=made)


def export_rows(db: Session) -> tuple[list[dict], list[dict]]:
    """The active organisation as rows of the workbook (app.sheets.org.org_workbook). An account
    without a 工号 is written with its user name as 工号 (an import then records it as its 工号);
    otherwise importing the export changes nothing."""
    units = org.active_units(db)
    names = dict(db.exec(select(Unit.id, Unit.name)).all())
    unit_rows = [{"name": u.name, "short_name": u.short_name, "category": u.category, "subtype": u.subtype,
                  "position": u.position} for u in units]
    # the columns only, not 3,000 accounts and their roles as ORM objects
    members: dict[int, list[tuple]] = {}
    for user_id, role, unit_id, leader_rank in db.exec(
            select(RoleMembership.user_id, RoleMembership.role, RoleMembership.unit_id, RoleMembership.leader_rank)
            .order_by(RoleMembership.id)):
        members.setdefault(user_id, []).append((role, unit_id, leader_rank))
    people = []
    accounts = db.exec(select(User.id, User.employee_no, User.username, User.display_name, User.unit_id,
                              User.email, User.phone).where(User.active == True).order_by(User.id))  # noqa: E712
    for uid, employee_no, username, display_name, user_unit, email, phone in accounts:
        roles, rank = [], None
        for role, unit_id, leader_rank in members.get(uid, []):
            bound = names.get(unit_id) if unit_id else None
            roles.append(RoleSpec(role, bound if bound and bound != names.get(user_unit) else None))
            rank = rank or leader_rank
        people.append({"employee_no": employee_no or username, "name": display_name,
                       "unit_name": names.get(user_unit) if user_unit else None, "roles": roles,
                       "leader_rank": rank, "email": email, "phone": phone})
    return unit_rows, people


def unit_names(db: Session) -> dict[int, str]:
    return {u.id: u.name for u in db.exec(select(Unit))}


def organisation_empty(db: Session) -> bool:
    """No active unit yet: the office's first-run page leads the way."""
    return db.exec(select(Unit.id).where(org.unit_is_active()).limit(1)).first() is None
