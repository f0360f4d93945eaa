"""Leader evaluation (领导班子评价): school leaders rate every active unit 0–100.

Rules:

* A leader (role ``leader`` with a rank, principal 正职 or deputy 副职) has one sheet per cycle
  and one rating per unit; saving may leave units blank (partial), finishing needs every active
  unit rated. A finished sheet may still be corrected while the stage is open, never emptied.
* Scores are 0–100 with at most two decimals; a comment is optional.
* Every write needs the leader stage open and the sheet's current ``version`` (a stale page is
  refused). Every changed rating is in the audit trail with its values sealed; the values are
  kept in ``LeaderRatingChange`` and shown to the office only after the stage has closed.
* The office sees progress (rated n of N, finished) during the stage and the per-unit means per
  rank after it closes.

What the results take from here: :func:`leader_ratings` — ratings of *finished* sheets only.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, select

from app.models import LEADER_RANKS, Cycle, RoleMembership, User
from app.models.base import utcnow
from app.models.leader import LeaderRating, LeaderRatingChange, LeaderSheet

from . import PermissionDenied, ServiceError, StaleData
from .audit import record
from .org import active_units
from .schemes import cycle_scheme
from .stages import require_open, state_of

MAX_COMMENT = 1000
SEALED = "（密封，评价阶段结束后可见）"


class RatingErrors(ServiceError):
    """Invalid entries; ``errors`` maps unit id → message. Nothing was saved."""

    def __init__(self, errors: dict[int, str], message: str | None = None):
        super().__init__(message or f"有 {len(errors)} 个单位的评分不符合要求，未保存，请修改后重试。")
        self.errors = errors


@dataclass
class Entry:
    unit_id: int
    score: str
    comment: str = ""


def parse_score(text: str | None) -> Decimal | None:
    """'' → None; '85', '85.5', '85.25' → Decimal; anything else raises ServiceError (Chinese)."""
    s = (text or "").strip().replace("，", ".").replace(",", ".")
    if not s:
        return None
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise ServiceError(f"「{s}」不是数字。") from None
    if not value.is_finite():
        raise ServiceError(f"「{s}」不是数字。")
    if value < 0 or value > 100:
        raise ServiceError("评分须在 0～100 之间。")
    if value != value.quantize(Decimal("0.01")):
        raise ServiceError("评分最多保留两位小数。")
    return value.quantize(Decimal("0.01"))


def _cents(value: Decimal) -> int:
    return int(value * 100)


def sheet_of(db: Session, cycle_id: int, leader_id: int) -> LeaderSheet | None:
    return db.exec(select(LeaderSheet).where(LeaderSheet.cycle_id == cycle_id,
                                             LeaderSheet.leader_id == leader_id)).first()


def ratings_of(db: Session, sheet: LeaderSheet | None) -> dict[int, LeaderRating]:
    if sheet is None:
        return {}
    return {r.unit_id: r for r in db.exec(select(LeaderRating).where(LeaderRating.sheet_id == sheet.id))}


def save_ratings(db: Session, *, actor_id: int, rank: str | None, cycle: Cycle, entries: list[Entry],
                 expected_version: int, finish: bool = False) -> LeaderSheet:
    """Save a leader's page (all units at once). ``expected_version`` is the sheet version the
    page was rendered with (0 when there was no sheet yet). With ``finish`` every active unit
    must be rated and the sheet is marked finished."""
    if rank not in LEADER_RANKS:
        raise PermissionDenied("您的校领导职别（正职/副职）未设置，不能评分。请联系目标办。")
    require_open(db, cycle.id, "leader")
    sheet = sheet_of(db, cycle.id, actor_id)
    if (sheet.version if sheet else 0) != expected_version:
        raise StaleData("该评价表已在其他页面或设备上保存过，本页内容已过期。请刷新页面，核对后重新保存。")
    units = {u.id: u for u in active_units(db)}
    errors: dict[int, str] = {}
    parsed: dict[int, tuple[Decimal | None, str]] = {}
    for e in entries:
        if e.unit_id not in units:
            raise ServiceError("表单中有不在考核范围内的单位，请刷新页面后重试。")
        comment = (e.comment or "").strip()
        if len(comment) > MAX_COMMENT:
            errors[e.unit_id] = f"评语最多 {MAX_COMMENT} 字。"
            continue
        try:
            parsed[e.unit_id] = (parse_score(e.score), comment)
        except ServiceError as exc:
            errors[e.unit_id] = exc.message
    if errors:
        raise RatingErrors(errors)

    existing = ratings_of(db, sheet)
    final = {uid: (r.score, r.comment) for uid, r in existing.items()}
    for uid, (score, comment) in parsed.items():
        if score is None:
            final.pop(uid, None)
        else:
            final[uid] = (score, comment)
    missing = [units[uid].name for uid in units if uid not in final]
    if (finish or (sheet and sheet.finished)) and missing:
        head = "标记完成" if finish else "已标记完成的评价表"
        raise RatingErrors({uid: "请填写评分。" for uid in units if uid not in final},
                           f"{head}须对全部 {len(units)} 个单位评分，尚缺 {len(missing)} 个：{'、'.join(missing[:5])}"
                           f"{'等' if len(missing) > 5 else ''}。")

    now = utcnow()
    if sheet is None:
        sheet = LeaderSheet(cycle_id=cycle.id, leader_id=actor_id, rank=rank, version=0)
        db.add(sheet)
        db.flush()
    changed = 0
    for uid, (score, comment) in parsed.items():
        row = existing.get(uid)
        old = (row.score_cents, row.comment) if row else (None, None)
        new = (_cents(score), comment) if score is not None else (None, None)
        if row is not None and new[0] is not None and old == new:
            continue
        if row is None and new[0] is None:
            continue
        if row is None:
            row = LeaderRating(sheet_id=sheet.id, cycle_id=cycle.id, unit_id=uid, score_cents=new[0], comment=comment)
            db.add(row)
            action = "rate"
        elif new[0] is None:
            db.delete(row)
            action = "clear"
        else:
            row.score_cents, row.comment, row.updated_at = new[0], comment, now
            db.add(row)
            action = "change"
        db.flush()
        change = LeaderRatingChange(
            cycle_id=cycle.id,
            sheet_id=sheet.id,
            unit_id=uid,
            old_cents=old[0],
            new_cents=new[0],
            old_comment=old[1],
            new_comment=new[1] if new[0] is not None else None,
        )
        db.add(change)
        db.flush()
        record(db, actor_id=actor_id, action=action, entity="leader_rating", entity_id=f"{sheet.id}:{uid}",
               cycle_id=cycle.id, old=None if old[0] is None else {"unit": units[uid].name, "score": SEALED},
               new={"unit": units[uid].name, "score": SEALED if new[0] is not None else None, "change_id": change.id})
        changed += 1
    if finish and not sheet.finished:
        sheet.finished, sheet.finished_at = True, now
        record(db, actor_id=actor_id, action="finish", entity="leader_sheet", entity_id=sheet.id, cycle_id=cycle.id,
               old={"finished": False}, new={"finished": True, "rated": len(final), "rank": sheet.rank})
    if changed or finish or sheet.version == 0:
        sheet.version += 1
        sheet.updated_at = now
    db.add(sheet)
    db.flush()
    return sheet


# ------------------------------------------------------------------ office views
def leaders(db: Session) -> list[tuple[User, str | None]]:
    """Active school leaders with their rank, principal first."""
    rows = db.exec(select(User, RoleMembership.leader_rank).join(RoleMembership, RoleMembership.user_id == User.id)
                   .where(RoleMembership.role == "leader", User.active == True))  # noqa: E712
    seen, out = set(), []
    for user, rank in rows:
        if user.id not in seen:
            seen.add(user.id)
            out.append((user, rank))
    order = {"principal": 0, "deputy": 1}
    out.sort(key=lambda t: (order.get(t[1], 2), t[0].id))
    return out


def progress(db: Session, cycle: Cycle) -> list[dict]:
    """Per leader: rated n of N and finished or not. No values."""
    total = len(active_units(db))
    active_ids = {u.id for u in active_units(db)}
    out = []
    for user, rank in leaders(db):
        sheet = sheet_of(db, cycle.id, user.id)
        rated = len([u for u in ratings_of(db, sheet) if u in active_ids])
        out.append({"leader": user, "rank": sheet.rank if sheet else rank, "rated": rated, "total": total,
                    "finished": bool(sheet and sheet.finished), "finished_at": sheet.finished_at if sheet else None})
    return out


def stage_closed(db: Session, cycle: Cycle) -> bool:
    try:
        return state_of(db, cycle.id, "leader").status == "closed"
    except ServiceError:
        return False


def leader_ratings(db: Session, cycle: Cycle) -> dict[int, dict[str, list[Decimal]]]:
    """unit_id → {"principal": [...], "deputy": [...]}: the ratings of the leaders who marked
    their sheet finished (partial, unfinished sheets do not count), by the rank held when the
    sheet was started. Every active unit is present (with empty lists when nobody rated it)."""
    out: dict[int, dict[str, list[Decimal]]] = {u.id: {"principal": [], "deputy": []} for u in active_units(db)}
    rows = db.exec(select(LeaderRating, LeaderSheet.rank).join(LeaderSheet, LeaderSheet.id == LeaderRating.sheet_id)
                   .where(LeaderSheet.cycle_id == cycle.id, LeaderSheet.finished == True)  # noqa: E712
                   .order_by(LeaderRating.unit_id, LeaderSheet.id))
    for rating, rank in rows:
        out.setdefault(rating.unit_id, {"principal": [], "deputy": []}).setdefault(rank, []).append(rating.score)
    return out


def leader_parts(cycle: Cycle, category: str) -> tuple[dict[str, Decimal], Decimal] | None:
    """The leader component's parts (e.g. principal 20, deputy 10) and rating maximum for units
    of ``category`` in the cycle's scheme; None when that category has no leader component.
    Raises :class:`SchemeUnavailable` without a valid scheme."""
    scheme = cycle_scheme(cycle)
    cat = next((c for c in scheme.categories if c.key == category), None)
    comp = cat.component("leader") if cat is not None else None
    if comp is None or not comp.parts:
        return None
    return dict(comp.parts), comp.rating_max


def unit_means(db: Session, cycle: Cycle) -> list[dict]:
    """After the stage has closed: per unit, the count and mean of the ratings per rank and the
    leader points with their explanation (rubric ``leader_score``)."""
    if not stage_closed(db, cycle):
        raise PermissionDenied("领导班子评价阶段结束后才能查看评分结果。")
    from app.rubric.numbers import q2
    from app.rubric.rules import leader_score

    ratings = leader_ratings(db, cycle)
    out = []
    for unit in active_units(db):
        r = ratings.get(unit.id, {"principal": [], "deputy": []})
        row = {"unit": unit}
        for rank in ("principal", "deputy"):
            vals = r.get(rank, [])
            row[f"{rank}_n"] = len(vals)
            row[f"{rank}_mean"] = q2(sum(vals, Decimal(0)) / len(vals)) if vals else None
        found = leader_parts(cycle, unit.category)
        if found is None:
            row["points"], row["explanation"] = None, "考核方案中该类单位没有领导班子评价。"
        else:
            res = leader_score(r, *found)
            row["points"], row["explanation"] = (res.points if res.status == "ok" else None), res.explanation
        out.append(row)
    return out


def rating_history(db: Session, cycle: Cycle) -> list[tuple[LeaderRatingChange, LeaderSheet]]:
    """The unsealed change history, for the office after the stage has closed."""
    if not stage_closed(db, cycle):
        raise PermissionDenied("领导班子评价阶段结束后才能查看评分记录。")
    return list(
        db.exec(
            select(LeaderRatingChange, LeaderSheet)
            .join(LeaderSheet, LeaderSheet.id == LeaderRatingChange.sheet_id)
            .where(LeaderRatingChange.cycle_id == cycle.id)
            .order_by(LeaderRatingChange.at, LeaderRatingChange.id)
        )
    )


def pending_leaders(db: Session, cycle: Cycle) -> set[int]:
    """Reminder provider: active leaders whose sheet is not finished."""
    done = set(db.exec(select(LeaderSheet.leader_id).where(LeaderSheet.cycle_id == cycle.id,
                                                           LeaderSheet.finished == True)))  # noqa: E712
    return {u.id for u, _ in leaders(db)} - done
