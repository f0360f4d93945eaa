"""The year end of a target table: judging settings, score, the unit's report and its review.

Settings (``save_settings``, the office): the over-achievement policy of the table and of single
rows, the amber band, the grade bands, the budget execution line's target and points, the
scoring (indicators, or the overall 部门整体 three dimensions and their points) and row weights.
Stored in ``TargetTableRecord.settings`` and in the rows of ``data`` (weight, overachievement);
see ``app.rubric.tablesettings`` for what each setting does and its default.

Score (``year_end_score``): ``app.rubric.yearend.score_year_end`` on the full-year actuals, the
budget line (全年执行数 ÷ 全年预算数, when entered) and the unit's deductions, so the page, the
CLI, the report and the exported 项目支出绩效自评表 (``selfeval_workbook``) agree.

Report (``save_report``): the unit's reporters while the year's full-year checkpoint is open
and the report is not submitted or accepted; the office at any time. ``submit_report`` hands it
to the office, which accepts it or returns it with comments (``review_report``); a returned
report can be changed and submitted again. Every step is audited.
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from app.models import Unit
from app.models.base import utcnow
from app.models.targets import REPORT_STATUS, TargetTableRecord
from app.rubric.tablesettings import OVERACHIEVEMENT, Deduction, SettingsError, TableSettings
from app.rubric.targets import TOTAL_POINTS, TargetRow, TargetTable, groups_of, spread_points
from app.rubric.values import TargetValue
from app.rubric.yearend import YearEndScore, score_year_end
from app.sheets.targets import write_selfeval_sheet

from . import PermissionDenied, ServiceError, StaleData
from .audit import record
from .target_history import selfeval_columns
from .targets import (
    ENTITY,
    _require_reporter,
    actual_values,
    actuals_of,
    evidence_of,
    require_open,
    settings_of,
    table_of,
)

__all__ = [
    "REPORT_STATUS",
    "budget_of",
    "deductions_of",
    "review_report",
    "save_report",
    "save_settings",
    "selfeval_workbook",
    "submit_report",
    "year_end_score",
]

MAX_TEXT = 20000


def _stale(rec: TargetTableRecord, expected_version: int, what: str) -> None:
    if rec.version != expected_version:
        raise StaleData(f"{what}在您打开页面后已被他人修改，请刷新页面后重新填写。")


def _touch(db: Session, rec: TargetTableRecord, actor_id: int | None) -> None:
    rec.version += 1
    rec.updated_at, rec.updated_by_id = utcnow(), actor_id
    db.add(rec)
    db.flush()


# --------------------------------------------------------------------------- settings

def _weight(raw: object, label: str) -> Decimal | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ServiceError(f"{label}的权重「{text}」不是数字。", field="weights") from None
    if not d.is_finite() or not 0 <= d <= 100:
        raise ServiceError(f"{label}的权重「{text}」应在 0 到 100 之间。", field="weights")
    return d.quantize(Decimal("0.01"))


def _group_weights(table, groups: dict[str, object] | None) -> tuple[dict[int, Decimal], dict[str, str]]:
    """Row weights from one weight per first-level group (``groups``: group name → "" | number),
    spread equally over the group's rows (``spread_points``); groups left empty are not touched.
    Returns (position → weight, group → weight as stored in the audit)."""
    out: dict[int, Decimal] = {}
    given: dict[str, str] = {}
    for name, rows in groups_of(table):
        weight = _weight((groups or {}).get(name), f"一级指标「{name}」")
        if weight is None:
            continue
        given[name] = str(weight)
        out.update(zip((r.position for r in rows), spread_points(weight, len(rows)), strict=True))
    return out, given


def _check_weight_sum(rows: list[TargetRow], settings: TableSettings) -> None:
    """Σ of the given weights: at most 100; when every row has one, exactly 100 (or 100 less the
    budget execution line's points, the 90 of the 项目支出绩效自评表)."""
    given = sum((r.weight for r in rows if r.weight is not None), Decimal(0))
    line = TOTAL_POINTS - Decimal(settings.execution_weight)
    if given > TOTAL_POINTS:
        raise ServiceError(f"各指标填写的权重合计 {given}，超过 100。", field="weights")
    if rows and all(r.weight is not None for r in rows) and given not in (TOTAL_POINTS, line):
        raise ServiceError(f"每项指标都已填写权重，合计 {given}，应为 100（或由预算执行率一栏计 "
                           f"{Decimal(settings.execution_weight).normalize()} 分时为 {line.normalize()}）。",
                           field="weights")


def save_settings(db: Session, *, actor_id: int | None, identity, rec: TargetTableRecord, data: dict,
                  rows: dict[int, dict] | None = None, groups: dict[str, object] | None = None,
                  expected_version: int) -> None:
    """The office sets the table's judging settings and, per row, weight and over-achievement
    policy (``rows``: position → {"weight": "" | number, "overachievement": "" | "met" | "deviation"}).
    ``groups`` (first-level group → "" | number) weights a whole group: its weight is spread over
    the group's rows and replaces their row weights. Refused as a whole with a Chinese message
    when one value cannot be used or the weights do not add up (``_check_weight_sum``)."""
    if not identity.has("office"):
        raise PermissionDenied("只有目标办可以修改评分设置。")
    _stale(rec, expected_version, "评分设置")
    try:
        settings = TableSettings.from_dict(data, project=bool(rec.project))
    except SettingsError as exc:
        raise ServiceError(f"{exc}。") from None
    table = table_of(rec)
    spread, group_given = _group_weights(table, groups)
    new_rows: list[TargetRow] = []
    changed_rows: dict[str, dict] = {}
    for row in table.rows:
        wanted = (rows or {}).get(row.position)
        if wanted is None and row.position in spread:
            wanted = {"weight": "", "overachievement": row.overachievement or ""}
        if wanted is None:
            new_rows.append(row)
            continue
        label = f"第 {row.position} 项指标「{row.name}」"
        weight = spread[row.position] if row.position in spread else _weight(wanted.get("weight"), label)
        policy = (wanted.get("overachievement") or "").strip() or None
        if policy is not None and policy not in OVERACHIEVEMENT:
            raise ServiceError(f"{label}的超额完成处理方式「{policy}」不存在。", field="weights")
        if (weight, policy) != (row.weight, row.overachievement):
            changed_rows[str(row.position)] = {"weight": None if weight is None else str(weight),
                                               "overachievement": policy}
            row = TargetRow.from_dict({**row.to_dict(), "weight": None if weight is None else str(weight),
                                       "overachievement": policy})
        new_rows.append(row)
    _check_weight_sum(new_rows, settings)
    stored = settings.to_dict()
    if stored == (rec.settings or {}) and not changed_rows:
        return
    old = {"settings": rec.settings or {}}
    rec.settings = stored
    if changed_rows:
        rec.data = {**rec.data, "rows": [r.to_dict() for r in new_rows]}
    _touch(db, rec, actor_id)
    record(db, actor_id=actor_id, action="target_settings", entity=ENTITY, entity_id=rec.id, old=old,
           new={"settings": stored, "rows": changed_rows, **({"groups": group_given} if group_given else {})})


# --------------------------------------------------------------------------- score

def budget_of(rec: TargetTableRecord) -> tuple[Decimal | None, Decimal | None, Decimal | None] | None:
    """(年初预算数, 全年预算数, 全年执行数) in 万元, or None while 全年预算数 / 全年执行数 are not entered."""
    b = rec.budget or {}
    vals = []
    for k in ("start", "full", "spent"):
        v = b.get(k)
        vals.append(None if v in (None, "") else Decimal(str(v)))
    if vals[1] is None or vals[2] is None:
        return None
    return vals[0], vals[1], vals[2]


def deductions_of(rec: TargetTableRecord) -> list[Deduction]:
    return [Deduction(d["dimension"], Decimal(str(d["points"])), d.get("reason", ""))
            for d in (rec.self_eval or {}).get("deductions", [])]


def year_end_score(db: Session | None, rec: TargetTableRecord, *, table: TargetTable | None = None,
                   values: Mapping[int, TargetValue] | None = None) -> YearEndScore:
    """The table's year-end score; ``table`` and ``values`` (its full-year actuals) when the caller
    has them already (then ``db`` is not used)."""
    budget = budget_of(rec)
    rate = budget[2] / budget[1] if budget and budget[1] else None
    return score_year_end(table if table is not None else table_of(rec),
                          values if values is not None else actual_values(db, rec, "full_year"),
                          settings=settings_of(rec), budget_rate=rate, deductions=deductions_of(rec))


# --------------------------------------------------------------------------- the report

BUDGET_FIELDS = (("start", "年初预算数"), ("full", "全年预算数"), ("half_plan", "半年计划执行数"),
                 ("half_spent", "半年执行数"), ("spent", "全年执行数"))


def _clean_budget(budget: dict, old: dict | None = None) -> dict:
    """The budget figures (万元) given in ``budget`` checked, over the ``old`` ones (keys not given
    keep their value)."""
    clean = {k: v for k, v in (old or {}).items() if k in dict(BUDGET_FIELDS)}
    for key, label in BUDGET_FIELDS:
        if key not in budget:
            clean.setdefault(key, "")
            continue
        raw = str(budget.get(key) or "").strip().replace(",", "").replace("，", "")
        if not raw:
            clean[key] = ""
            continue
        try:
            d = Decimal(raw)
        except InvalidOperation:
            raise ServiceError(f"{label}「{raw}」不是数字（单位：万元）。", field=f"budget_{key}") from None
        if not d.is_finite() or d < 0 or d > Decimal("1e9"):
            raise ServiceError(f"{label}「{raw}」不在合理范围内（单位：万元）。", field=f"budget_{key}")
        clean[key] = str(d.quantize(Decimal("0.01")))
    if clean["full"] == "0.00" and clean["spent"]:
        raise ServiceError("全年预算数为 0 时无法计算执行率。", field="budget_full")
    if clean["half_plan"] == "0.00" and clean["half_spent"]:
        raise ServiceError("半年计划执行数为 0 时无法计算半年执行率。", field="budget_half_plan")
    return clean


def _clean_deductions(rec: TargetTableRecord, deductions: list[dict]) -> list[dict]:
    settings = settings_of(rec)
    names = {d.key: d.name for d in settings.dimensions}
    out = []
    for d in deductions:
        raw, reason = str(d.get("points") or "").strip(), (d.get("reason") or "").strip()
        if not raw and not reason:
            continue
        name = names.get(d.get("dimension"))
        if name is None:
            raise ServiceError(f"维度「{d.get('dimension')}」不存在。", field="deductions")
        try:
            pts = Decimal(raw)
        except InvalidOperation:
            raise ServiceError(f"{name}的扣分「{raw}」不是数字。", field="deductions") from None
        if not pts.is_finite() or pts <= 0 or pts > 100:
            raise ServiceError(f"{name}的扣分「{raw}」应大于 0 且不超过 100。", field="deductions")
        if not reason:
            raise ServiceError(f"{name}扣 {raw} 分，请写明扣分原因。", field="deductions")
        if len(reason) > 500:
            raise ServiceError("扣分原因过长（最多 500 字）。", field="deductions")
        out.append({"dimension": d["dimension"], "points": str(pts.quantize(Decimal("0.01"))), "reason": reason})
    return out


def _may_edit_report(db: Session, identity, rec: TargetTableRecord) -> None:
    if identity.has("office"):
        return
    _require_reporter(identity.units_for("reporter"), rec)
    require_open(db, rec.year, "full_year")
    if rec.report_status in ("submitted", "accepted"):
        raise ServiceError(f"年度报告{REPORT_STATUS[rec.report_status]}，不能修改。")


def save_report(db: Session, *, actor_id: int, identity, rec: TargetTableRecord, summary: str, problems: str,
                fixes: str, budget: dict | None, expected_version: int, texts: dict | None = None,
                deductions: list[dict] | None = None) -> None:
    """The year-end texts (总体完成情况, 存在问题, 改进措施, and the report's other sections in
    ``texts``), the budget line (万元) and the overall self-evaluation's deductions.

    The unit's reporters while the year's full-year checkpoint is open and the report is not
    submitted or accepted; the office at any time.
    """
    _may_edit_report(db, identity, rec)
    _stale(rec, expected_version, "年度报告")
    values: dict = {"summary": (summary or "").strip(), "problems": (problems or "").strip(),
                    "fixes": (fixes or "").strip()}
    for k, v in values.items():
        if len(v) > MAX_TEXT:
            raise ServiceError(f"内容过长（每栏最多 {MAX_TEXT} 字）。", field=k)
    if budget is not None:
        values["budget"] = _clean_budget(budget, rec.budget)
    if texts is not None or deductions is not None:
        se = dict(rec.self_eval or {})
        if texts is not None:
            clean = {}
            for k, v in texts.items():
                v = (v or "").strip()
                if len(v) > MAX_TEXT:
                    raise ServiceError(f"内容过长（每栏最多 {MAX_TEXT} 字）。", field=k)
                clean[k] = v
            se["texts"] = {**se.get("texts", {}), **clean}
        if deductions is not None:
            se["deductions"] = _clean_deductions(rec, deductions)
        values["self_eval"] = se
    old, new = {}, {}
    for k, v in values.items():
        if getattr(rec, k) != v:
            old[k], new[k] = getattr(rec, k), v
            setattr(rec, k, v)
    if new:
        _touch(db, rec, actor_id)
        record(db, actor_id=actor_id, action="year_end_report", entity=ENTITY, entity_id=rec.id, old=old, new=new)


def submit_report(db: Session, *, actor_id: int, identity, rec: TargetTableRecord, expected_version: int) -> None:
    """The unit hands its year-end report to the office (again after a return)."""
    _require_reporter(identity.units_for("reporter"), rec)
    require_open(db, rec.year, "full_year")
    _stale(rec, expected_version, "年度报告")
    if rec.report_status in ("submitted", "accepted"):
        raise ServiceError(f"年度报告{REPORT_STATUS[rec.report_status]}。")
    if not (rec.summary or "").strip():
        raise ServiceError("请先填写总体完成情况（自评结论）再提交。", field="summary")
    missing = [
        r.name for r in table_of(rec).rows if (r.position, "full_year") not in actuals_of(db, rec.id, "full_year")
    ]
    if missing:
        raise ServiceError(f"还有 {len(missing)} 项指标未填报全年实际值（如「{missing[0]}」），不能提交。")
    old = rec.report_status
    rec.report_status, rec.submitted_at = "submitted", utcnow()
    _touch(db, rec, actor_id)
    record(db, actor_id=actor_id, action="submit_year_end_report", entity=ENTITY, entity_id=rec.id,
           old={"report_status": old}, new={"report_status": "submitted"})


def review_report(db: Session, *, actor_id: int, identity, rec: TargetTableRecord, accept: bool, comment: str,
                  expected_version: int) -> None:
    """The office accepts a submitted report or returns it with comments (required)."""
    if not identity.has("office"):
        raise PermissionDenied("只有目标办可以审核年度报告。")
    _stale(rec, expected_version, "年度报告")
    if rec.report_status != "submitted":
        raise ServiceError(f"年度报告{REPORT_STATUS.get(rec.report_status, rec.report_status)}，不在待审核状态。")
    comment = (comment or "").strip()
    if not accept and not comment:
        raise ServiceError("退回修改时请写明审核意见。", field="comment")
    if len(comment) > 5000:
        raise ServiceError("审核意见过长（最多 5000 字）。", field="comment")
    status = "accepted" if accept else "returned"
    rec.report_status, rec.review_comment = status, comment
    rec.reviewed_at, rec.reviewed_by_id = utcnow(), actor_id
    _touch(db, rec, actor_id)
    record(db, actor_id=actor_id, action="accept_year_end_report" if accept else "return_year_end_report",
           entity=ENTITY, entity_id=rec.id, old={"report_status": "submitted"},
           new={"report_status": status, "comment": comment}, reason=comment or None)


# --------------------------------------------------------------------------- exports

def selfeval_workbook(db: Session, rec: TargetTableRecord, *, with_scores: bool = True) -> bytes:
    """The year-end 项目支出绩效自评表 with the full-year actuals, evidence titles and notes."""
    table = table_of(rec)
    unit = db.get(Unit, rec.unit_id)
    actuals = actuals_of(db, rec.id, "full_year")
    values = {pos: v for pos, v in actual_values(db, rec, "full_year").items()}
    evidence = {pos: "；".join(e.title for e in items)
                for (pos, kind), items in evidence_of(db, rec.id).items() if kind == "full_year"}
    reasons = {pos: a.note for (pos, _k), a in actuals.items() if a.note}
    return write_selfeval_sheet(table, values, budget=budget_of(rec), department=unit.name if unit else None,
                                goals=(None, rec.summary or None), evidence=evidence, reasons=reasons,
                                with_scores=with_scores, settings=settings_of(rec),
                                previous=selfeval_columns(db, rec))
