"""Self-reports (自查自评): the unit's facts, narratives and overall text; submit, return, publish.

Also the cycle's indicators for the workflows (``cycle_leaves``, ``leaf_by_code``,
``leaves_for_unit``): the leaves of the cycle's scheme (:mod:`app.rubric.leaves`, loaded with
:func:`app.services.schemes.cycle_scheme`), filtered for a unit.

Who sees what: a unit's *draft* is seen by its own reporters only; the *submitted* snapshot by
the office, scorers and leaders; a *published* report by anyone on the intranet.
"""

from dataclasses import dataclass

from sqlalchemy.orm import defer
from sqlmodel import Session, select

from app.models import Cycle, Unit
from app.models.base import utcnow
from app.models.report import REPORT_SECTIONS, Evidence, ReportEntry, SelfReport
from app.rubric.leaves import Leaf, ValueRefused, clean_facts, scheme_leaves

from . import PermissionDenied, ServiceError, StaleData
from .audit import record
from .org import unit_is_active
from .schemes import cycle_scheme, has_scheme
from .stages import require_open

TEXT_LIMIT = 20000


# ----------------------------------------------------------------------------- the cycle's indicators


def cycle_leaves(cycle: Cycle) -> tuple[Leaf, ...]:
    """Every scored indicator of the cycle, in scheme order (all categories). A cycle without a
    scheme snapshot has none; an invalid snapshot raises :class:`SchemeUnavailable`."""
    if not has_scheme(cycle):
        return ()
    return scheme_leaves(cycle_scheme(cycle))


def leaf_by_code(cycle: Cycle, code: str) -> Leaf | None:
    for leaf in cycle_leaves(cycle):
        if leaf.code == code:
            return leaf
    return None


def leaves_for_unit(cycle: Cycle, unit: Unit) -> list[Leaf]:
    """The indicators that apply to ``unit`` (its category, sub-type and name)."""
    return [leaf for leaf in cycle_leaves(cycle)
            if leaf.category == unit.category and leaf.applies(unit.subtype, unit.name)]


# ----------------------------------------------------------------------------- reading


def find_report(db: Session, cycle_id: int, unit_id: int) -> SelfReport | None:
    return db.exec(select(SelfReport).where(SelfReport.cycle_id == cycle_id, SelfReport.unit_id == unit_id)).first()


def entries_of(db: Session, report: SelfReport | None) -> dict[str, ReportEntry]:
    if report is None or report.id is None:
        return {}
    return {e.indicator_code: e for e in db.exec(select(ReportEntry).where(ReportEntry.report_id == report.id))}


def evidence_of(db: Session, report: SelfReport | None, *, submitted_only: bool = False) -> list[Evidence]:
    if report is None or report.id is None:
        return []
    q = select(Evidence).where(Evidence.report_id == report.id)
    if submitted_only:
        q = q.where(Evidence.submitted == True)  # noqa: E712
    return list(db.exec(q.order_by(Evidence.id)))


def reports_of_cycle(db: Session, cycle_id: int, *, without_texts: bool = False) -> dict[int, SelfReport]:
    """The cycle's reports by unit id. ``without_texts``: the overall texts (draft and submitted)
    are not read, for a list of the reports' states (reading them would load them one by one)."""
    q = select(SelfReport).where(SelfReport.cycle_id == cycle_id)
    if without_texts:
        q = q.options(defer(SelfReport.texts), defer(SelfReport.submitted_texts))
    return {r.unit_id: r for r in db.exec(q)}


def submitted_units(db: Session, cycle_id: int) -> set[int]:
    """Ids of the units whose report of the cycle was ever submitted (without loading the reports)."""
    return set(db.exec(select(SelfReport.unit_id).where(SelfReport.cycle_id == cycle_id,
                                                        SelfReport.submitted_at != None)))  # noqa: E711


def submitted_facts(db: Session, cycle_id: int) -> dict[tuple[int, str], dict]:
    """The facts of every report as last submitted, by (unit id, indicator code)."""
    rows = db.exec(select(SelfReport.unit_id, ReportEntry.indicator_code, ReportEntry.submitted_facts)
                   .join(ReportEntry, ReportEntry.report_id == SelfReport.id)
                   .where(SelfReport.cycle_id == cycle_id, SelfReport.submitted_at != None))  # noqa: E711
    return {(uid, code): dict(facts or {}) for uid, code, facts in rows if facts}


def may_edit(identity, unit_id: int) -> bool:
    return unit_id in identity.units_for("reporter")


def may_read_submitted(identity, unit_id: int) -> bool:
    """The submitted snapshot: the unit itself, the office, scorers, leaders and the group."""
    return may_edit(identity, unit_id) or identity.has("office", "scorer", "leader", "group")


# ----------------------------------------------------------------------------- writing


def require_editable(db: Session, cycle: Cycle, report: SelfReport | None) -> None:
    """Refuse unless the self-report stage is open and the report is not submitted."""
    require_open(db, cycle.id, "self_report")
    if report is not None and report.status == "submitted":
        raise ServiceError("报告已提交，不能再修改。如需修改，请联系目标办退回。")


def ensure_report(db: Session, *, actor_id: int | None, cycle: Cycle, unit: Unit) -> SelfReport:
    report = find_report(db, cycle.id, unit.id)
    if report is None:
        report = SelfReport(cycle_id=cycle.id, unit_id=unit.id, texts={}, submitted_texts={}, updated_by_id=actor_id)
        db.add(report)
        db.flush()
        record(db, actor_id=actor_id, action="create", entity="self_report", entity_id=report.id, cycle_id=cycle.id,
               new={"unit": unit.name})
    return report


def save_draft(db: Session, *, actor_id: int, allowed_units: set[int], cycle: Cycle, unit: Unit,
               texts: dict[str, str] | None = None, report_version: int | None = None,
               entries: dict[str, dict] | None = None) -> dict[str, int]:
    """Save (part of) a draft. ``texts``: section key → text (checked against ``report_version``);
    ``entries``: indicator code → {"facts": {field: typed value}, "narrative": str,
    "version": the version the form was loaded with (0 for a new entry)}.
    Refuses the whole save when any part is stale. Returns the new versions
    ({"report": n, code: n, ...})."""
    if unit.id not in allowed_units:
        raise PermissionDenied("只能填写本单位的自查报告。")
    report = find_report(db, cycle.id, unit.id)
    require_editable(db, cycle, report)
    leaves = {leaf.code: leaf for leaf in leaves_for_unit(cycle, unit)}
    current_report_version = report.version if report else 0
    if texts is not None and report_version is not None and int(report_version) != current_report_version:
        raise StaleData("报告总体情况已被他人修改，请刷新页面后再保存（您的修改尚未保存）。")
    report = report or ensure_report(db, actor_id=actor_id, cycle=cycle, unit=unit)
    versions: dict[str, int] = {}
    now = utcnow()

    if texts is not None:
        new = {k: (texts.get(k) or "").strip() for k in REPORT_SECTIONS if k in texts}
        for k, v in new.items():
            if len(v) > TEXT_LIMIT:
                raise ServiceError(f"「{REPORT_SECTIONS[k]}」过长（最多 {TEXT_LIMIT} 字）。", field=k)
        old_texts = dict(report.texts or {})
        merged = {**old_texts, **new}
        if merged != old_texts:
            changed = [k for k in merged if merged.get(k) != old_texts.get(k)]
            report.texts = merged
            report.version += 1
            report.updated_at, report.updated_by_id = now, actor_id
            db.add(report)
            record(db, actor_id=actor_id, action="update", entity="self_report", entity_id=report.id,
                   cycle_id=cycle.id, old={k: old_texts.get(k, "") for k in changed},
                   new={k: merged[k] for k in changed})
    versions["report"] = report.version

    existing = entries_of(db, report)
    for code, data in (entries or {}).items():
        leaf = leaves.get(code)
        if leaf is None:
            raise ServiceError(f"指标「{code}」不适用于本单位。")
        entry = existing.get(code)
        expected = data.get("version")
        current = entry.version if entry else 0
        if expected is not None and int(expected) != current:
            raise StaleData(f"指标 {code}「{leaf.name}」已被他人修改，请刷新页面后再保存（您的修改尚未保存）。")
        try:
            facts = clean_facts(leaf.fact_fields, data.get("facts") or {})
        except ValueRefused as exc:
            raise ServiceError(exc.message, field=exc.field) from None
        narrative = (data.get("narrative") or "").strip()
        if len(narrative) > TEXT_LIMIT:
            raise ServiceError(f"指标 {code} 的情况说明过长（最多 {TEXT_LIMIT} 字）。")
        old = {"facts": dict(entry.facts), "narrative": entry.narrative} if entry else {"facts": {}, "narrative": ""}
        new = {"facts": facts, "narrative": narrative}
        if new == old:
            versions[code] = current
            continue
        if entry is None:
            entry = ReportEntry(report_id=report.id, indicator_code=code, facts={}, narrative="",
                                submitted_facts={}, submitted_narrative="", version=0)
        entry.facts, entry.narrative = facts, narrative
        entry.version += 1
        entry.updated_at, entry.updated_by_id = now, actor_id
        db.add(entry)
        db.flush()
        record(db, actor_id=actor_id, action="update", entity="report_entry", entity_id=f"{report.id}:{code}",
               cycle_id=cycle.id, old=old, new=new)
        versions[code] = entry.version
    db.flush()
    return versions


def missing_facts(db: Session, cycle: Cycle, unit: Unit, report: SelfReport | None) -> list[Leaf]:
    """Indicators whose required facts are not all filled in the draft."""
    entries = entries_of(db, report)
    out = []
    for leaf in leaves_for_unit(cycle, unit):
        need = [f.name for f in leaf.fact_fields if f.required]
        have = entries[leaf.code].facts if leaf.code in entries else {}
        if any(have.get(n) in (None, "") for n in need):
            out.append(leaf)
    return out


def entry_complete(leaf: Leaf, entry: ReportEntry | None, fact_fields: list | None = None) -> bool:
    """An indicator is filled in when its required data are all given; one without data (judged
    by the scoring department) when its 完成情况说明 is written. The page's script applies the same
    rule while typing (report.js). ``fact_fields``: the leaf's, when the caller has them already."""
    if fact_fields is None:
        fact_fields = leaf.fact_fields
    facts = (entry.facts or {}) if entry else {}
    need = [f.name for f in fact_fields if f.required]
    if need:
        return all(facts.get(n) not in (None, "") for n in need)
    if fact_fields:
        return True
    return bool(entry and (entry.narrative or "").strip())


def completeness(db: Session, cycle: Cycle, unit: Unit, report: SelfReport | None) -> tuple[int, int]:
    """(indicators filled in, indicators of the unit) of the draft, for the office's list."""
    entries = entries_of(db, report)
    leaves = leaves_for_unit(cycle, unit)
    return sum(1 for leaf in leaves if entry_complete(leaf, entries.get(leaf.code))), len(leaves)


_UNIT_LEAVES: dict[tuple, tuple] = {}  # (id(leaves), category, sub-type, name) → (leaves, the unit's, blank count)
_KINDS: dict[tuple, tuple] = {}  # (id(leaves), category, sub-type) → (leaves, those that apply, those by name)
_CACHED_MAX = 8192


def _cached(cache: dict, key: tuple, leaves, build):
    """``cache[key]``, built by ``build()`` if missing. The leaves are kept with what is computed
    from them (the value's first item), so their id is not reused by other leaves meanwhile."""
    hit = cache.get(key)
    if hit is None or hit[0] is not leaves:
        if len(cache) >= _CACHED_MAX:
            cache.clear()
        hit = cache[key] = (leaves, *build())
    return hit


def _unit_leaves(leaves: tuple[Leaf, ...], unit: Unit) -> tuple[tuple, int]:
    """The leaves of ``leaves`` (a scheme's, :func:`cycle_leaves`) that apply to ``unit``, each with
    its fact fields and whether it counts as filled in before anything is written, and how many
    do; kept per worker for the leaves and the unit's category, sub-type and name (all the rule reads)."""

    def kind():  # per category and sub-type: the leaves that apply, and those that depend on the name too
        mine = [leaf for leaf in leaves if leaf.category == unit.category]
        named = [leaf for leaf in mine if any(n.applies_to_units is not None for n in leaf.chain)]
        by_name = {id(leaf) for leaf in named}
        fixed = [leaf for leaf in mine if id(leaf) not in by_name and leaf.applies(unit.subtype, unit.name)]
        return [(leaf, f, entry_complete(leaf, None, f)) for leaf in fixed for f in (leaf.fact_fields,)], named

    def of_unit():
        _leaves, fixed, named = _cached(_KINDS, (id(leaves), unit.category, unit.subtype), leaves, kind)
        mine = fixed + [(leaf, f, entry_complete(leaf, None, f)) for leaf in named
                        if leaf.applies(unit.subtype, unit.name) for f in (leaf.fact_fields,)]
        return tuple(mine), sum(blank for _leaf, _fields, blank in mine)

    hit = _cached(_UNIT_LEAVES, (id(leaves), unit.category, unit.subtype, unit.name), leaves, of_unit)
    return hit[1], hit[2]


def completeness_of_units(db: Session, cycle: Cycle, units: list[Unit],
                          reports: dict[int, SelfReport]) -> dict[int, tuple[int, int]]:
    """:func:`completeness` of every unit in ``units`` (``reports`` by unit id), with one query for
    all their drafts' entries (the two columns it reads) and the cycle's indicators read once."""
    by_report: dict[int, dict[str, _Entry]] = {}
    ids = [r.id for r in reports.values() if r.id is not None]
    if ids:
        q = select(ReportEntry.report_id, ReportEntry.indicator_code, ReportEntry.facts, ReportEntry.narrative)
        for report_id, code, facts, narrative in db.exec(q.where(ReportEntry.report_id.in_(ids))):
            by_report.setdefault(report_id, {})[code] = _Entry(facts, narrative)
    leaves = cycle_leaves(cycle)
    out = {}
    for unit in units:
        mine, blank_done = _unit_leaves(leaves, unit)
        report = reports.get(unit.id)
        entries = by_report.get(report.id) if report is not None else None
        if entries:
            done = 0
            for leaf, fields, blank in mine:
                entry = entries.get(leaf.code)
                done += blank if entry is None else entry_complete(leaf, entry, fields)
        else:
            done = blank_done
        out[unit.id] = (done, len(mine))
    return out


@dataclass(frozen=True, slots=True)
class _Entry:
    """What :func:`entry_complete` reads of a report entry."""

    facts: dict
    narrative: str


def section_of(leaf: Leaf) -> str:
    """The section (一级指标) an indicator is listed under on the report page."""
    return leaf.path[0] if leaf.path else "其他指标"


def submit(db: Session, *, actor_id: int, allowed_units: set[int], cycle: Cycle, unit: Unit,
           expected_version: int) -> SelfReport:
    if unit.id not in allowed_units:
        raise PermissionDenied("只能提交本单位的自查报告。")
    report = find_report(db, cycle.id, unit.id)
    require_editable(db, cycle, report)
    if report is None or not (report.texts or {}).get("summary"):
        raise ServiceError(f"请先填写「{REPORT_SECTIONS['summary']}」再提交。", field="summary")
    if expected_version != report.version:
        raise StaleData("报告已被他人修改，请刷新页面核对后再提交。")
    entries = entries_of(db, report)
    for entry in entries.values():
        if entry.submitted_facts != entry.facts or entry.submitted_narrative != entry.narrative:
            entry.submitted_facts, entry.submitted_narrative = dict(entry.facts), entry.narrative
            db.add(entry)
    for ev in evidence_of(db, report):
        if not ev.submitted:
            ev.submitted = True
            db.add(ev)
    old = {"status": report.status}
    report.submitted_texts = dict(report.texts)
    report.status = "submitted"
    report.submitted_at, report.submitted_by_id = utcnow(), actor_id
    report.version += 1
    db.add(report)
    record(db, actor_id=actor_id, action="submit", entity="self_report", entity_id=report.id, cycle_id=cycle.id,
           old=old, new={"status": "submitted", "texts": report.submitted_texts,
                         "entries": {c: {"facts": e.facts, "narrative": e.narrative} for c, e in entries.items()}})
    db.flush()
    return report


def return_report(db: Session, *, actor_id: int, report: SelfReport, comment: str, expected_version: int) -> None:
    """The office sends a submitted report back for revision, with its comments."""
    comment = (comment or "").strip()
    if not comment:
        raise ServiceError("退回时请填写修改意见。", field="comment")
    require_open(db, report.cycle_id, "self_report")
    if report.status != "submitted":
        raise ServiceError("只有已提交的报告可以退回。")
    if expected_version != report.version:
        raise StaleData()
    report.status = "returned"
    report.return_comment = comment
    report.returned_at = utcnow()
    report.version += 1
    db.add(report)
    record(db, actor_id=actor_id, action="return", entity="self_report", entity_id=report.id,
           cycle_id=report.cycle_id, old={"status": "submitted"}, new={"status": "returned"}, reason=comment)
    _notify_reporters(db, report, comment)
    db.flush()


def _notify_reporters(db: Session, report: SelfReport, comment: str) -> None:
    """Tell the unit's reporters (in-app, and by e-mail when the reminders job sends them) that
    their report came back, with the office's comments."""
    from app.models import RoleMembership

    from .notices import notify

    unit = db.get(Unit, report.unit_id)
    cycle = db.get(Cycle, report.cycle_id)
    reporters = db.exec(select(RoleMembership.user_id).where(RoleMembership.role == "reporter",
                                                             RoleMembership.unit_id == report.unit_id))
    for user_id in sorted(set(reporters)):
        notify(db, user_id=user_id, title=f"{cycle.name}自查报告已被退回修改",
               body=f"目标办退回了{unit.name}的自查报告，修改意见：{comment}",
               link=f"/report/cycles/{report.cycle_id}/units/{report.unit_id}",
               dedupe_key=f"report-returned:{report.id}:{report.version}:{user_id}")


def publish(db: Session, *, actor_id: int, report: SelfReport, expected_version: int | None = None) -> bool:
    """Publish the submitted snapshot on the intranet. False when already published.
    ``expected_version``: the version the office's page showed; a report returned (or changed)
    since is refused, so a stale tab cannot publish what the office did not see."""
    if expected_version is not None and expected_version != report.version:
        raise StaleData("该单位的报告在您打开本页后已有变化（如已退回修改或重新提交），未公示。"
                        "请刷新页面核对后再操作。")
    if report.status == "returned":
        raise ServiceError("报告已退回修改，单位重新提交后才能公示。")
    if not report.ever_submitted or report.status != "submitted":
        raise ServiceError("报告尚未提交，不能公示。")
    if report.published_at is not None:
        return False
    report.published_at = utcnow()
    report.version += 1
    db.add(report)
    record(db, actor_id=actor_id, action="publish", entity="self_report", entity_id=report.id,
           cycle_id=report.cycle_id, old={"published": False}, new={"published": True})
    db.flush()
    return True


def unpublish(db: Session, *, actor_id: int, report: SelfReport, reason: str,
              expected_version: int | None = None) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("撤回公示须填写原因。", field="reason")
    if expected_version is not None and expected_version != report.version:
        raise StaleData("该单位的报告在您打开本页后已有变化，未撤回。请刷新页面核对后再操作。")
    if report.published_at is None:
        raise ServiceError("报告尚未公示。")
    report.published_at = None
    report.version += 1
    db.add(report)
    record(db, actor_id=actor_id, action="unpublish", entity="self_report", entity_id=report.id,
           cycle_id=report.cycle_id, old={"published": True}, new={"published": False}, reason=reason)
    db.flush()


def pending_reporters(db: Session, cycle: Cycle) -> set[int]:
    """Reporters of active units whose report is not submitted (for reminders)."""
    from app.models import RoleMembership, User

    done = {uid for uid, r in reports_of_cycle(db, cycle.id).items() if r.status == "submitted"}
    rows = db.exec(select(RoleMembership.user_id, RoleMembership.unit_id)
                   .join(User, User.id == RoleMembership.user_id)
                   .join(Unit, Unit.id == RoleMembership.unit_id)
                   .where(RoleMembership.role == "reporter", User.active == True, unit_is_active()))  # noqa: E712
    return {user_id for user_id, unit_id in rows if unit_id not in done}
