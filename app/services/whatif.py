"""What-if (方案测算): a past cycle's stored inputs recomputed under a draft scheme version,
side by side with the published results, before the office adopts the draft.

* The cycle must have published (公示中) or final results; the draft is any stored scheme
  version whose categories and unit types fit the units of those results.
* The scores come from :func:`app.services.results.compute` (the one computation, so every
  component kind the engine learns is covered) over :func:`app.services.results.gather_inputs`
  of the cycle, with the draft as the cycle's scheme (a detached copy of the cycle: nothing is
  written). The grades come from :func:`app.rubric.engine.grade` with the grading inputs stored
  with the published results (accepted excellence applications, vetoes, the previous cycle's
  last-ranked units) and the recorded grade decisions (审议/异议): a grade override and a
  leadership 不合格 decision are kept; a changed total is not (the draft recomputes totals) and
  the unit's reason says so.
* The cycle's own ballot settings (rater groups and their weights, the office's 优秀 share) are
  applied over the draft's ballot rules as for the cycle itself; the draft's level values count.
* Inputs the draft needs but the cycle lacks (a component or an indicator with no stored data)
  are named in :attr:`WhatIf.missing`; the engine scores them as missing, nothing is invented.

:func:`make_draft` saves a NEW scheme version from a few changes (component points, 优秀 quotas,
ballot level values and 优秀 share) of an existing version; it never edits a version.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from sqlmodel import Session, select

from app.models import Cycle, Scheme
from app.models.result import ResultRow, ResultSet
from app.rubric import engine
from app.rubric.numbers import D, fmt, q2
from app.rubric.scheme import SchemeInvalid, load_scheme

from . import ServiceError, StaleData, results, schemes
from .accounts import require_role
from .schemes import cycle_scheme

FINISHED = ("published", "final")


@dataclass
class Part:
    """One component of one unit: published and what-if points and maxima (None: absent)."""

    key: str
    name: str
    published: Decimal | None
    whatif: Decimal | None
    published_max: Decimal | None
    whatif_max: Decimal | None


@dataclass
class Row:
    unit_id: int
    unit_name: str
    category: str
    category_name: str
    published_total: Decimal | None
    published_rank: int | None
    published_grade: str | None
    whatif_total: Decimal | None
    whatif_rank: int | None
    whatif_grade: str | None
    parts: list[Part] = field(default_factory=list)
    reason: str = ""
    explanation: str = ""  # the engine's grading explanation under the draft

    @property
    def grade_changed(self) -> bool:
        return self.published_grade != self.whatif_grade

    @property
    def total_changed(self) -> bool:
        return self.published_total != self.whatif_total

    @property
    def rank_changed(self) -> bool:
        return self.published_rank != self.whatif_rank


@dataclass
class WhatIf:
    cycle: Cycle
    draft: Scheme
    status_label: str
    rows: list[Row]  # grade changes first, then category order and what-if rank
    missing: list[str]  # inputs the draft needs that the cycle lacks
    notes: list[str]  # how the recomputation treated the cycle's settings and decisions
    changes: list[str]  # the draft against the cycle's scheme, one line each
    categories: list[tuple[str, str]]  # (key, name) in the draft's order

    @property
    def changed_grades(self) -> list[Row]:
        return [r for r in self.rows if r.grade_changed]


# ----------------------------------------------------------------------------- choices


def finished_cycles(db: Session) -> list[tuple[Cycle, ResultSet]]:
    """Cycles whose results are published or final, newest first."""
    q = (select(Cycle, ResultSet).join(ResultSet, ResultSet.cycle_id == Cycle.id)
         .where(ResultSet.status.in_(FINISHED)).order_by(Cycle.period_start.desc(), Cycle.id.desc()))
    return list(db.exec(q))


def _load_draft(draft: Scheme):
    try:
        return load_scheme(draft.data)
    except SchemeInvalid as exc:
        errors = [str(e) for e in exc.errors]
        raise ServiceError(f"方案「{draft.code}」第 {draft.version} 版有误，不能测算："
                           + "；".join(errors[:3])) from None


def _check_fits(draft: Scheme, scheme, cycle: Cycle, rows: list[ResultRow]) -> None:
    """Refuse a draft whose categories or unit types do not cover the cycle's results."""
    cats = {c.key: c for c in scheme.categories}
    problems: list[str] = []
    for r in rows:
        cat = cats.get(r.category)
        if cat is None:
            p = f"没有单位类别「{results_category_name(r)}」"
        elif r.subtype not in cat.subtypes:
            p = f"{cat.name}没有单位类型「{r.subtype}」"
        else:
            continue
        if p not in problems:
            problems.append(p)
    if problems:
        raise ServiceError(f"方案「{draft.name}」（{draft.code} 第 {draft.version} 版）不适用于周期「{cycle.name}」："
                           + "；".join(problems[:5]) + "。请选择同一方案体系的版本。")


def results_category_name(r: ResultRow) -> str:
    from app.models import CATEGORY_LABELS

    return CATEGORY_LABELS.get(r.category, r.category)


# ----------------------------------------------------------------------------- the what-if


def _cycle_view(cycle: Cycle, draft: Scheme) -> Cycle:
    """A detached copy of the cycle with the draft as its scheme snapshot (never added to the
    session, so nothing about the cycle changes)."""
    view = Cycle(**cycle.model_dump())
    view.scheme_data = copy.deepcopy(draft.data)
    return view


def _graded(db: Session, scheme, rs: ResultSet, payload: dict):
    """Grade the what-if scores with the stored grading inputs and recorded grade decisions."""
    ns_rows = [SimpleNamespace(unit_id=int(uid), unit_name=p["unit_name"], category=p["category"], subtype=p["subtype"],
                               computed_total=p["total"], computed_rank=p["rank"], provisional=p["provisional"],
                               detail={"components": p["components"], "max_total": p["max_total"],
                                       "explanation": p["explanation"]})
               for uid, p in payload["rows"].items()]
    ns_rs = SimpleNamespace(data=payload["data"], scheme_key=scheme.key, scheme_version=scheme.version,
                            normalisation=payload["data"]["scheme"]["normalisation"])
    cr = results._cycle_result(ns_rs, ns_rows)
    gi = rs.data.get("grading_inputs") or {}
    present = set(cr.units)
    overrides, fails, notes = [], set(), {}
    leadership = (scheme.grading.fail_rule or {}).get("type") == "leadership_decision"
    for o in results.overrides_of(db, rs):
        uid = str(o.unit_id)
        if uid not in present:
            continue
        how = "审议" if o.source == "deliberation" else "异议处理"
        if o.kind == "grade" and o.new_value in scheme.grading.levels:
            overrides.append(engine.Override(unit_id=uid, reason=o.reason, grade=o.new_value))
            notes.setdefault(uid, []).append(f"沿用{how}确定的等次「{o.new_value}」")
        elif o.kind == "fail" and leadership:
            fails.add(uid)
            notes.setdefault(uid, []).append(f"沿用领导小组{scheme.grading.failed}认定")
        elif o.kind == "total":
            notes.setdefault(uid, []).append(f"公示总分经{how}调整为{o.new_value}分，测算按草案重新计算、未沿用该调整")
        else:
            notes.setdefault(uid, []).append(f"{how}的调整（{o.kind}）不适用于草案，未沿用")
    applications = {k: v for k, v in (gi.get("applications") or {}).items() if k in present}
    vetoes = {k: v for k, v in (gi.get("vetoes") or {}).items() if k in present}
    try:
        graded = engine.grade(scheme, cr, applications=applications, vetoes=vetoes, fail_decisions=fails,
                              previous_last=gi.get("previous_last") or [], overrides=overrides)
    except ValueError as exc:
        raise ServiceError(f"无法按草案评定等次：{exc}") from None
    return graded, notes


def _parts(stored: list[dict], computed: list[dict]) -> list[Part]:
    a = {c["key"]: c for c in stored or []}
    b = {c["key"]: c for c in computed or []}
    out = []
    for k in dict.fromkeys([*b, *a]):
        x, y = a.get(k), b.get(k)
        out.append(Part(k, (y or x)["name"], D(x["points"]) if x else None, D(y["points"]) if y else None,
                        D(x["max_points"]) if x else None, D(y["max_points"]) if y else None))
    return out


def _f(x) -> str:
    """A score with two decimals (points and weights without trailing zeros when whole)."""
    if x is None:
        return "—"
    x = D(x)
    return fmt(x) if x == x.to_integral_value() else format(q2(x), "f")


def _reason(row: Row, quota_old: int | None, quota_new: int | None, levels_changed: str | None,
            excellent: str, notes: list[str]) -> str:
    bits: list[str] = []
    for p in row.parts:
        if p.published_max != p.whatif_max:
            if p.published_max is None:
                bits.append(f"新增{p.name}（{_f(p.whatif_max)}分）")
            elif p.whatif_max is None:
                bits.append(f"取消{p.name}（原{_f(p.published_max)}分）")
            else:
                bits.append(f"{p.name}权重由{_f(p.published_max)}改为{_f(p.whatif_max)}")
    if quota_old is not None and quota_new is not None and quota_old != quota_new:
        bits.append(f"{row.category_name}{excellent}名额由{quota_old}名改为{quota_new}名")
    for p in row.parts:
        if p.published != p.whatif and p.published is not None and p.whatif is not None:
            by_levels = levels_changed and p.key == "democratic" and p.published_max == p.whatif_max
            why = f"（{levels_changed}）" if by_levels else ""
            bits.append(f"{p.name}得分由{_f(p.published)}变为{_f(p.whatif)}{why}")
    if row.published_total is None:
        bits.append("公示结果中没有该单位")
    elif row.whatif_total is None:
        bits.append("该单位未能按草案测算（现已不在册，或不属于草案的单位类别）")
    else:
        if row.total_changed:
            bits.append(f"总分由{_f(row.published_total)}变为{_f(row.whatif_total)}")
        if row.rank_changed:
            bits.append(f"排名由第{row.published_rank}名变为第{row.whatif_rank}名")
        if row.grade_changed:
            g = f"等次由{row.published_grade}变为{row.whatif_grade}"
            if row.published_grade == excellent and quota_new is not None and row.whatif_rank > quota_new:
                g += f"（超出{excellent}名额{quota_new}名）"
            elif row.whatif_grade == excellent and quota_new is not None:
                g += f"（在{excellent}名额{quota_new}名之内）"
            bits.append(g)
    bits.extend(notes)
    if not bits:
        return "总分、排名、等次均未变。"
    return "，".join(bits) + "。"


def _missing(payload: dict, stored: dict[int, ResultRow], cat_names: dict[str, str]) -> list[str]:
    """Components and indicators the draft scores that have no stored data in the cycle."""
    comps: dict[tuple[str, str], list[str]] = {}
    inds: dict[tuple[str, str, str], list[str]] = {}

    def leaves(nodes):
        for n in nodes or []:
            if n.get("children"):
                yield from leaves(n["children"])
            else:
                yield n

    for uid, p in payload["rows"].items():
        old = stored.get(int(uid))
        old_comps = {c["key"]: c for c in (old.detail.get("components") or [])} if old else {}
        for c in p["components"]:
            before = old_comps.get(c["key"])
            if c["status"] == "missing" and (before is None or before.get("status") != "missing"):
                comps.setdefault((p["category"], c["name"]), []).append(p["unit_name"])
        old_leaves = {n["code"]: n for n in leaves(old.detail.get("indicators"))} if old else {}
        for n in leaves(p["indicators"]):
            before = old_leaves.get(n["code"])
            if n["applicable"] and n["status"] == "missing" and (before is None or before.get("status") != "missing"):
                inds.setdefault((p["category"], n["code"], n["name"]), []).append(p["unit_name"])
    out = []
    for (cat, name), units in comps.items():
        some = "、".join(units[:5]) + ("等" if len(units) > 5 else "")
        out.append(f"{cat_names.get(cat, cat)}·{name}：本周期没有存储的数据（{len(units)} 个单位：{some}），"
                   "测算中该部分未得分、成绩暂定，未作推算")
    for (cat, code, name), units in inds.items():
        out.append(f"{cat_names.get(cat, cat)}·指标 {code}「{name}」：本周期没有评分数据（{len(units)} 个单位），"
                   "测算中该指标未得分、成绩暂定，未作推算")
    return out


def run(db: Session, *, actor_id: int | None, cycle: Cycle, draft: Scheme) -> WhatIf:
    """Recompute ``cycle``'s stored inputs under ``draft``; compare with the published results.
    Writes nothing."""
    require_role(db, actor_id, "office")
    rs = results.get_set(db, cycle.id)
    if rs is None or rs.status not in FINISHED:
        state = "尚未计算结果" if rs is None else f"结果{rs.status_label}"
        raise ServiceError(f"周期「{cycle.name}」{state}，只有已公示或已确定最终结果的周期才能做方案测算。")
    stored_rows = results.rows_of(db, rs)
    scheme = _load_draft(draft)
    _check_fits(draft, scheme, cycle, stored_rows)
    current = cycle_scheme(cycle)
    view = _cycle_view(cycle, draft)
    inputs = results.gather_inputs(db, cycle)
    payload = results.compute(db, view, inputs)
    graded, decision_notes = _graded(db, scheme, rs, payload)

    stored = {r.unit_id: r for r in stored_rows}
    cat_names = {c.key: c.name for c in scheme.categories}
    for r in stored_rows:
        cat_names.setdefault(r.category, results_category_name(r))
    quotas_old = {c["key"]: c.get("quota") for c in rs.data.get("categories") or []}
    quotas_new = {c.key: int(scheme.grading.quotas.get(c.key, 0)) for c in scheme.categories}
    levels_changed = None
    if dict(current.ballot.levels) != dict(scheme.ballot.levels):
        levels_changed = ("测评等次分值由" + "、".join(f"{k}={fmt(v)}" for k, v in current.ballot.levels.items())
                          + "改为" + "、".join(f"{k}={fmt(v)}" for k, v in scheme.ballot.levels.items()))
    excellent = scheme.grading.excellent
    rows: list[Row] = []
    for uid, p in payload["rows"].items():
        g = graded.units[uid]
        old = stored.get(int(uid))
        row = Row(unit_id=int(uid), unit_name=p["unit_name"], category=p["category"],
                  category_name=cat_names.get(p["category"], p["category"]),
                  published_total=D(old.total) if old else None, published_rank=old.rank if old else None,
                  published_grade=old.grade if old else None, whatif_total=D(g.total), whatif_rank=g.rank,
                  whatif_grade=g.grade, parts=_parts(old.detail.get("components") if old else [], p["components"]),
                  explanation=g.explanation)
        row.reason = _reason(row, quotas_old.get(row.category), quotas_new.get(row.category), levels_changed,
                             excellent, decision_notes.get(uid, []))
        rows.append(row)
    for unit_id, old in stored.items():
        if str(unit_id) in payload["rows"]:
            continue
        row = Row(unit_id=unit_id, unit_name=old.unit_name, category=old.category,
                  category_name=cat_names.get(old.category, old.category), published_total=D(old.total),
                  published_rank=old.rank, published_grade=old.grade, whatif_total=None, whatif_rank=None,
                  whatif_grade=None, parts=_parts(old.detail.get("components") or [], []))
        row.reason = _reason(row, None, None, None, excellent, [])
        rows.append(row)
    order = {c.key: i for i, c in enumerate(scheme.categories)}
    rows.sort(key=lambda r: (not r.grade_changed, order.get(r.category, 99), r.whatif_rank or 10**6,
                             r.published_rank or 10**6, r.unit_name))

    notes = _notes(db, cycle, rs, draft, current, scheme, inputs)
    return WhatIf(cycle=cycle, draft=draft, status_label=rs.status_label, rows=rows,
                  missing=_missing(payload, stored, cat_names), notes=notes,
                  changes=schemes.scheme_changes(cycle.scheme_data or {}, draft.data),
                  categories=[(c.key, c.name) for c in scheme.categories])


def _notes(db: Session, cycle: Cycle, rs: ResultSet, draft: Scheme, current, scheme, inputs) -> list[str]:
    notes = []
    if draft.code != current.key:
        notes.append(f"草案属于方案「{draft.code}」，本周期使用的是「{current.key}」第 {current.version} 版。")
    if draft.data.get("ballot", {}).get("rater_groups") != (cycle.scheme_data or {}).get("ballot", {}).get(
            "rater_groups"):
        notes.append("草案改动了测评人员类别或其权重；已投的测评票按本周期设定的人员类别和权重计入。")
    cb, db_ = current.ballot, scheme.ballot
    if (cb.max_excellent_share, cb.all_units_required, cb.exclude_own_unit) != \
            (db_.max_excellent_share, db_.all_units_required, db_.exclude_own_unit):
        notes.append("草案改动了投票规则（优秀票比例、须评全部单位或不评本单位）：这些规则只在投票时校验，"
                     "本周期已投的票按原样计入。")
    # the same inputs under the cycle's own scheme: do they still give the published scores?
    base = results.compute(db, cycle, inputs)
    stored = {str(r.unit_id): r for r in db.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id))}
    fixed = {uid: results._s(r.computed_total) for uid, r in stored.items()}
    drift = [f"{p['unit_name']}（定稿{fixed[uid]}，现为{p['total']}）"
             for uid, p in base["rows"].items() if uid in fixed and fixed[uid] != p["total"]]
    if drift:
        notes.append("注意：本周期当前存储的评分数据与定稿时不同，测算按当前数据计算：" + "；".join(drift[:10])
                     + ("等" if len(drift) > 10 else "") + "。")
    return notes


# ----------------------------------------------------------------------------- the draft form


def _num(raw, label: str, field: str, *, minimum: Decimal = Decimal(0), maximum: Decimal | None = None) -> Decimal:
    try:
        v = D(str(raw).strip())
    except (InvalidOperation, ValueError, ArithmeticError):
        raise ServiceError(f"{label}应为数字。", field=field) from None
    if not v.is_finite() or v < minimum or (maximum is not None and v > maximum):
        rng = f"{fmt(minimum)}～{fmt(maximum)}" if maximum is not None else f"不小于 {fmt(minimum)}"
        raise ServiceError(f"{label}应在 {rng} 之间。", field=field)
    return v


def _json(v: Decimal):
    return int(v) if v == v.to_integral_value() else float(str(v))


def make_draft(db: Session, *, actor_id: int | None, base: Scheme, expected_latest: int, form: dict) -> Scheme:
    """Save a new version of ``base``'s scheme with the form's changes. ``form`` keys:
    ``points.<category>.<component>`` (democratic and other single-valued components),
    ``part.<category>.<component>.<part>`` (leader parts), ``quota.<category>``,
    ``level.<index>`` (ballot level values), ``share`` (优秀票比例, percent, empty: no limit),
    ``name`` (optional new name). ``expected_latest``: the newest version number of the scheme
    when the form was rendered (stale-form check). Raises :class:`StaleData` or
    :class:`~app.services.schemes.SchemeRefused`."""
    require_role(db, actor_id, "office")
    latest = schemes.latest_version(db, base.code)
    if latest is None or latest.version != expected_latest:
        raise StaleData()
    data = copy.deepcopy(base.data)
    for cat in data.get("categories") or []:
        for m in cat.get("components") or []:
            label = f"{cat.get('name')}·{m.get('name')}"
            if m.get("kind") == "target":
                continue  # its points are the sum of the indicator tree: edit it in the workbook
            if m.get("parts"):
                parts = {}
                for k in m["parts"]:
                    key = f"part.{cat['key']}.{m['key']}.{k}"
                    if key in form:
                        parts[k] = _json(_num(form[key], f"{label}·{k}分值", key))
                    else:
                        parts[k] = m["parts"][k]
                m["parts"] = parts
                m["points"] = _json(sum((D(x) for x in parts.values()), Decimal(0)))
            else:
                key = f"points.{cat['key']}.{m['key']}"
                if key in form:
                    m["points"] = _json(_num(form[key], f"{label}分值", key))
    cats = data.get("categories") or []
    grading = data.setdefault("grading", {})
    quotas = dict(grading.get("quotas") or {})
    for cat in cats:
        key = f"quota.{cat['key']}"
        if key in form:
            q = _num(form[key], f"{cat.get('name')}优秀名额", key)
            if q != q.to_integral_value():
                raise ServiceError(f"{cat.get('name')}优秀名额应为整数。", field=key)
            quotas[cat["key"]] = int(q)
    grading["quotas"] = quotas
    ballot = data.setdefault("ballot", {})
    levels = [dict(x) for x in ballot.get("levels") or []]
    for i, lv in enumerate(levels):
        key = f"level.{i}"
        if key in form:
            lv["value"] = _json(_num(form[key], f"测评等次「{lv.get('name')}」的分值", key, maximum=Decimal(100)))
    ballot["levels"] = levels
    if "share" in form:
        raw = str(form["share"] or "").strip()
        if raw == "":
            ballot["max_excellent_share"] = None
        else:
            pct = _num(raw, "每类单位优秀票最高比例", "share", maximum=Decimal(100))
            ballot["max_excellent_share"] = None if pct >= 100 else _json(pct / 100)
    sums = {sum((D(m.get("points")) for m in c.get("components") or []), Decimal(0)) for c in cats}
    if len(sums) == 1:
        data["total_points"] = _json(sums.pop())
    name = str(form.get("name") or "").strip()
    if name:
        data["name"] = name
    try:
        return schemes.save_scheme_version(db, actor_id=actor_id, data=data,
                                           source=f"方案测算草案（基于第 {base.version} 版）")
    except schemes.SchemeRefused as exc:  # name the category instead of the validator's path
        names = {f"categories[{i}]": f"「{c.get('name')}」" for i, c in enumerate(cats)}
        raise schemes.SchemeRefused([_named(e, names) for e in exc.errors], "草案有误，未保存") from None


def _named(error: str, names: dict[str, str]) -> str:
    for path in sorted(names, key=len, reverse=True):
        error = error.replace(path, names[path])
    return error
