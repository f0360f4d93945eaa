"""Read, score and annotate workbooks of 项目支出绩效自评表 (project self-evaluation tables).

Layout (the official one, see the fixtures): one project per sheet; a 项目名称 row; a funds block
whose header row holds 全年预算数 / 全年执行数 / 分值 / 执行率 / 得分 and whose 年度资金总额 row
carries the budget-execution line; an indicator header row found by its labels (三级指标, 权重,
目标值, 业绩值, 完成率, 指标得分, 赋分规则 …); indicator rows with level cells merged downward;
a 总分 row.

Per indicator: the completion rate is computed from target and actual (``rubric.values``); a rate
typed in the sheet is kept and a difference of more than 0.01 percentage point from the computed
one is flagged; the score follows the sheet's rule (an empty rule cell takes the default rule for
the kind of indicator, flagged) and is written into the 指标得分 cell (a different score already
there is replaced and flagged). Per project: the budget-execution score by the rule (a score
already in the sheet is kept, a difference flagged) and the total. Flags and the explanation go
into cell comments of a copy of the workbook.

Typed rates: text "97.86%" is a percent; a number in a cell formatted as percent is a fraction;
any other number above 10 is read as a percent (97.86), 10 or below as a fraction (0.9786, 2).

Real workbooks as they come: a sheet is refused (a ``SheetError`` in ``errors``) only when nothing
in it can be used (no header row: the message names the labels looked for and the best row found;
no indicator rows). Everything else is scored and flagged: a cell that cannot be read is reported
in ``notices`` and commented on the cell, its row scored from the typed completion rate or left
unscored (``score`` None) with the project's total provisional and the reason; a sheet without a
budget block gets no execution score (flagged); 项目决策 / 项目管理 rows with a placeholder target
(一, -, empty) are judged rows (a published score kept, else asked for). Other provinces' labels
(参考分值, 预算设定指标值, 项目完成指标值 …) and split 指标性质 / 度量单位 columns are read. Conventions
(``SelfEvalConfig``: satisfaction line, money ceilings, bare 万) are written on a sheet of the output
(``CONVENTIONS_SHEET``) and the other reading is flagged where it differs.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from openpyxl.comments import Comment

from app.rubric import selfeval as rules
from app.rubric.ruletext import parse_rule_text, score_rule_text
from app.rubric.values import (
    CEILING_MONEY,
    CEILING_MONEY_TEXT,
    TargetValue,
    ValueParseError,
    completion_rate,
    is_money_ceiling,
    parse_value,
    units_compatible,
)
from app.sheets.cells import text_cell
from app.sheets.grid import Grid
from app.sheets.safety import (
    DEFAULT_LIMITS,
    Limits,
    UnsafeWorkbook,
    check_worksheet_size,
    check_xlsx,
)
from app.sheets.selfeval_cells import (
    COMMENT_AUTHOR,
    CONVENTIONS_SHEET,
    FIELD_NAMES,
    FUNDS_LABELS,
    INDICATOR_LABELS,
    RATE_TOLERANCE,
    REQUIRED_INDICATOR,
    SCAN_ROWS,
    IndicatorResult,
    ProjectResult,
    SheetError,
    WorkbookResult,
    _clean,
    _coord,
    _filled_text,
    _find_header,
    _find_label_row,
    _match_label,
    _pct,
    _raw,
    _read_number,
    _read_rate,
    _right_value,
    _sheet_year,
    _SheetFailed,
    _text,
)

__all__ = [
    "IndicatorResult",
    "ProjectResult",
    "RATE_TOLERANCE",
    "SheetError",
    "WorkbookResult",
    "score_file",
    "score_workbook",
    "write_results",
]

# --------------------------------------------------------------------------- scoring one sheet

def _header_message(grid: Grid) -> str:
    """Why no header row was found: the labels looked for, and what the best candidate row holds."""
    best_row, best = None, {}
    for r in range(1, min(grid.max_row, SCAN_ROWS) + 1):
        cols = grid.label_columns(r, lambda r, c, found: next(
            (k for k, labs in INDICATOR_LABELS.items() if k not in found and _match_label(_text(grid, r, c), labs)),
            None) if _text(grid, r, c) else None)
        if len(cols) > len(best):
            best_row, best = r, cols
    wanted = "；".join(f"{FIELD_NAMES[k]}：{'/'.join(INDICATOR_LABELS[k])}" for k in REQUIRED_INDICATOR)
    msg = f"未找到指标表头行，该表未评分。查找的列名为 {wanted}"
    if best_row is None:
        return msg + "；前 60 行中没有一个能对上的列名"
    texts = [t for t in (_text(grid, best_row, c) for c in range(1, grid.max_col + 1)) if t]
    missing = "、".join(FIELD_NAMES[k] for k in REQUIRED_INDICATOR if k not in best)
    return msg + f"；最接近的是第 {best_row} 行：{'、'.join(f'「{t}」' for t in texts[:14])}（缺少：{missing}）"


@dataclass
class _Funds:
    rate: Decimal | None = None
    weight: Decimal = Decimal(10)
    score_typed: Decimal | None = None
    score_cell: str | None = None
    rate_computed: Decimal | None = None
    problem: str | None = None


def _read_funds(grid: Grid, hrow: int, config: rules.SelfEvalConfig, note) -> _Funds:
    out = _Funds(weight=config.execution_weight)
    funds = _find_header(grid, FUNDS_LABELS, ("budget", "spent", "score"))
    funds_row = None
    if funds is not None and funds[0] < hrow:
        frow, fcols = funds
        found = _find_label_row(grid, "年度资金总额", frow + 1, hrow - 1, grid.max_col)
        if found:
            funds_row = found[0]
    if funds_row is None:
        out.problem = "未找到项目资金区的「年度资金总额」行（需有全年预算数、全年执行数、得分列），预算执行得分空缺"
        return out

    def number(key: str, label: str) -> Decimal | None:
        if key not in fcols:
            return None
        try:
            return _read_number(_raw(grid, funds_row, fcols[key]))
        except ValueParseError as exc:
            note(_coord(funds_row, fcols[key]), f"{label}不是数字：{exc}")
            return None

    budget, spent = number("budget", "全年预算数"), number("spent", "全年执行数")
    fweight = number("weight", "分值")
    out.weight = fweight if fweight is not None else config.execution_weight
    if "rate" in fcols:
        try:
            out.rate = _read_rate(grid, funds_row, fcols["rate"])
        except ValueParseError as exc:
            note(_coord(funds_row, fcols["rate"]), f"执行率无法识别：{exc}")
    out.score_cell = _coord(funds_row, fcols["score"])
    out.score_typed = number("score", "预算执行得分")
    out.rate_computed = (spent / budget) if (budget and spent is not None) else None
    if out.rate is None and out.rate_computed is None and out.score_typed is None:
        where = _coord(funds_row, fcols.get("rate", fcols["spent"]))
        out.problem = f"执行率为空（{where}），且无法由全年执行数÷全年预算数计算，预算执行得分空缺"
    return out


def _score_sheet(ws, values, config: rules.SelfEvalConfig, errors: list[SheetError],
                 notices: list[SheetError]) -> ProjectResult:
    title = ws.title

    def note(cell: str | None, message: str) -> None:
        notices.append(SheetError(title, cell, message))

    too_big = check_worksheet_size(ws)
    if too_big:
        errors.append(SheetError(title, None, too_big))
        raise _SheetFailed
    grid = Grid(ws, values)

    header = _find_header(grid, INDICATOR_LABELS, REQUIRED_INDICATOR)
    if header is None:
        last = _coord(min(grid.max_row, SCAN_ROWS), max(grid.max_col, 1))
        errors.append(SheetError(title, f"A1:{last}", _header_message(grid)))
        raise _SheetFailed
    hrow, cols = header
    year = _sheet_year(grid)

    where = _find_label_row(grid, "项目名称", 1, hrow, grid.max_col)
    project = _right_value(grid, *where) if where else ""
    project = project or title

    funds = _read_funds(grid, hrow, config, note)
    provisional: list[str] = []

    # ---- indicators
    indicators: list[IndicatorResult] = []
    total_row = None
    r = hrow + 1
    label_cols = [c for c in (cols.get("level1"), cols.get("level2"), cols["name"]) if c]
    first_col = min([1, *label_cols])
    carry: tuple[str | None, str | None] = (None, None)
    while r <= grid.max_row:
        row_texts = [_text(grid, r, c) for c in range(first_col, cols["name"] + 1)]
        if any(t in ("总分", "合计", "总计") or t.startswith("总分") for t in row_texts):
            total_row = r
            break
        if _text(grid, r, cols["name"]) == "" and _text(grid, r, cols["weight"]) == "":
            r += 1
            continue
        ind = _read_indicator(ws, grid, r, cols, title, project, year, config, note, carry)
        indicators.append(ind)
        carry = (ind.level1, ind.level2)
        if ind.score is None:
            provisional.append(f"第 {r} 行「{ind.name}」未评分：{ind.unscored}")
        r += 1

    if not indicators:
        errors.append(SheetError(title, _coord(hrow + 1, cols["name"]), "表头下没有指标行，该表未评分"))
        raise _SheetFailed

    # ---- budget execution
    exec_flags: list[str] = []
    exec_rate = funds.rate if funds.rate is not None else funds.rate_computed
    if (funds.rate is not None and funds.rate_computed is not None
            and abs(funds.rate - funds.rate_computed) > RATE_TOLERANCE):
        exec_flags.append(f"表中执行率 {_pct(funds.rate)} 与 全年执行数÷全年预算数 = {_pct(funds.rate_computed)} "
                          "不一致，保留表中执行率")
    exec_rule = None
    if exec_rate is not None:
        exec_rule = rules.score_budget_execution(exec_rate, weight=funds.weight)
        exec_flags.extend(exec_rule.flags)
    exec_score: Decimal | None
    kept = funds.score_typed is not None
    if funds.score_typed is not None:
        exec_score = funds.score_typed
        if exec_rule is None:
            exec_flags.append(f"执行率无法确定，保留表中预算执行得分 {rules.format_points(funds.score_typed)}"
                              "（未核实）")
        elif funds.score_typed != exec_rule.points:
            exec_flags.append(f"表中预算执行得分 {rules.format_points(funds.score_typed)} 与规则计算的 "
                              f"{exec_rule.points} 不一致（执行率 {_pct(exec_rate)}），保留表中得分")
    else:
        exec_score = exec_rule.points if exec_rule is not None else None
    if funds.problem:
        exec_flags.append(funds.problem)
        note(funds.score_cell, funds.problem)
        provisional.append(funds.problem)

    scored = [i.score.points for i in indicators if i.score is not None]
    total = rules.project_total(scored, exec_score if exec_score is not None else Decimal(0))
    total_flags: list[str] = []
    if provisional:
        total_flags.append("总分为暂定：" + "；".join(provisional))
    total_cell = None
    if total_row is not None:
        total_cell = _coord(total_row, cols["score"])
        try:
            old_total = _read_number(_raw(grid, total_row, cols["score"]))
        except ValueParseError:
            old_total = None
            total_flags.append(f"表中原总分「{_text(grid, total_row, cols['score'])}」不是数字，已替换")
        if old_total is not None and old_total != total:
            total_flags.append(f"表中原总分 {rules.format_points(old_total)} 与计算的 {total} 不一致，已替换")
        weights_sum = sum((i.weight or 0 for i in indicators), Decimal(0)) + funds.weight
        declared = None
        try:
            declared = _read_number(_raw(grid, total_row, cols["weight"]))
        except ValueParseError:
            pass
        if declared is not None and declared != weights_sum:
            total_flags.append(f"各指标权重与预算执行分值之和为 {weights_sum}，与总分行的 {declared} 不一致")
    return ProjectResult(
        sheet=title, project=project, indicators=indicators, execution_rate=exec_rate, execution_rule=exec_rule,
        execution_score=exec_score, execution_kept=kept, execution_flags=exec_flags, execution_cell=funds.score_cell,
        total=total, total_cell=total_cell, total_flags=total_flags, provisional=provisional,
    )


_NATURE_OPERATORS = {"正向": "≥", "正向指标": "≥", "反向": "≤", "反向指标": "≤", "大于等于": "≥", "小于等于": "≤",
                     "等于": "=", "定量": "", "定性": "", "": ""}
_PLACEHOLDER_TARGETS = ("", "一", "-", "—", "/", "无", "——", "－")
_JUDGED_LEVELS = ("决策", "过程", "管理")


def _combined_value(grid: Grid, r: int, col: int, cols: dict[str, int], with_nature: bool) -> tuple[Any, str | None]:
    """The value of a target/actual cell, combined with the row's split 指标性质 / 度量单位 columns when
    the cell holds a bare number: (value for parse_value, flag or None)."""
    raw = _raw(grid, r, col)
    if "unit" not in cols and "nature" not in cols:
        return raw, None
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        return raw, None
    text = _clean(raw) if isinstance(raw, str) else None
    if isinstance(raw, int | float | Decimal):
        number = parse_value(raw).quantity
        if "%" in grid.number_format(r, col):
            number = number * 100 if number is not None else None
        text = _plain(number)
    if not text or not re.fullmatch(r"[-+]?\d+(?:\.\d+)?", text):
        return raw, None
    unit = _text(grid, r, cols["unit"]) if "unit" in cols else ""
    unit = "" if unit in ("/", "-", "—", "无") else unit
    nature = _text(grid, r, cols["nature"]) if with_nature and "nature" in cols else ""
    signs = ("≥", "≤", "=", ">", "<", ">=", "<=", "＝", "≧", "≦")
    op = _NATURE_OPERATORS.get(nature, nature if nature in signs else "")
    combined = f"{op}{text}{unit}"
    if combined == text:
        return raw, None
    parts = "、".join(p for p, v in (("指标性质", op), ("度量单位", unit)) if v)
    return combined, f"{_coord(r, col)} 的数值按{parts}列组合为「{combined}」"


def _plain(d: Decimal | None) -> str:
    if d is None:
        return ""
    s = format(d.normalize(), "f")
    return s


def _read_indicator(ws, grid: Grid, r: int, cols: dict[str, int], title: str, project: str, year: int | None,
                    config: rules.SelfEvalConfig, note,
                    carry: tuple[str | None, str | None] = (None, None)) -> IndicatorResult:
    """One indicator row; never refuses: what cannot be read is flagged and the row is scored from
    what is left (a typed rate), or left unscored with the reason."""
    level1 = (_filled_text(grid, r, cols["level1"]) or None) if "level1" in cols else None
    level2 = (_filled_text(grid, r, cols["level2"]) or None) if "level2" in cols else None
    name = _filled_text(grid, r, cols["name"])
    # level cells left blank (not merged) below their first row belong to the row above
    level1 = level1 or carry[0]
    level2 = level2 or (carry[1] if level1 == carry[0] else None)
    flags: list[str] = []
    rate_flags: list[str] = []
    cell_notes: dict[str, list[str]] = {}
    unread: list[str] = []

    def bad(coord: str, message: str) -> None:
        flags.append(f"{coord}：{message}")
        cell_notes.setdefault(coord, []).append(message)
        note(coord, message)
        unread.append(coord)

    wcoord = _coord(r, cols["weight"])
    weight: Decimal | None = None
    try:
        weight = _read_number(_raw(grid, r, cols["weight"]))
    except ValueParseError as exc:
        bad(wcoord, f"权重不是数字：{exc}")
    if weight is not None and weight < 0:
        bad(wcoord, "权重为负数")
        weight = None

    def value(key: str, label: str) -> TargetValue | None:
        coord = _coord(r, cols[key])
        try:
            raw, combined = _combined_value(grid, r, cols[key], cols, with_nature=key == "target")
            v = parse_value(raw, year=year)
        except ValueParseError as exc:
            bad(coord, f"{label}{exc}")
            return None
        if combined:
            flags.append(combined)
            cell_notes.setdefault(coord, []).append(combined)
        for n in v.notes:
            flags.append(f"{coord}：{n}")
            cell_notes.setdefault(coord, []).append(n)
        return v

    target = value("target", "目标值")
    actual = value("actual", "业绩值")
    score_coord = _coord(r, cols["score"])
    try:
        old = _read_number(_raw(grid, r, cols["score"]))
    except ValueParseError:
        old = None

    # judged rows (项目决策 / 项目管理 …): a placeholder target and a narrative actual
    levels = f"{level1 or ''}{level2 or ''}"
    target_text = _clean(target.text) if target is not None else None
    placeholder = target is not None and (target.kind == "empty" or target_text in _PLACEHOLDER_TARGETS)
    if placeholder and (any(w in levels for w in _JUDGED_LEVELS) or (actual is not None and actual.kind == "level")):
        return _judged(title, project, r, level1, level2, name, weight, target, actual, old, score_coord,
                       flags, cell_notes)

    rule_coord = _coord(r, cols["rule"]) if "rule" in cols else None
    rule_text = _text(grid, r, cols["rule"]) if "rule" in cols else ""
    text_rule = None
    try:
        rule = rules.normalise_rule(rule_text) if "rule" in cols else None
        defaulted_why = "赋分规则为空"
    except rules.RuleError as exc:
        rule, defaulted_why = None, f"{exc}"
        text_rule = parse_rule_text(rule_text)
        if text_rule is not None:
            rule = text_rule.label
    defaulted = rule is None
    if rule is None:
        rule = rules.default_rule(level1=level1, level2=level2, target_kind=target.kind if target else None)
        where = f"（{rule_coord}）" if rule_coord else ""
        flags.append(f"{defaulted_why}{where}，按指标类型采用默认规则「{rule}」")

    rate_cell = ws.cell(row=r, column=cols["rate"]) if "rate" in cols else None
    rate_typed = None
    if rate_cell is not None:
        try:
            rate_typed = _read_rate(grid, r, cols["rate"])
        except ValueParseError as exc:
            bad(rate_cell.coordinate, f"完成率{exc}")
    reason = "deviation" in cols and _text(grid, r, cols["deviation"]) not in ("", "/", "-", "—", "无")
    rate_computed = None
    if target is not None and actual is not None:
        rate_computed = completion_rate(target, actual, conventions=config.conventions, deviation_reason=reason)
        if target.kind == "empty":
            flags.append(f"{_coord(r, cols['target'])}：目标值为空")
        if target.kind == "quantity" and actual.kind == "quantity" and not units_compatible(target, actual):
            flags.append(f"目标值「{target.text}」与业绩值「{actual.text}」单位不一致，仍按数值计算完成率")
        if target.year_assumed or actual.year_assumed:
            flags.append(f"日期未写年份，按 {year or '当年'} 年理解")
        flags.extend(_other_readings(target, actual, config, reason, weight))
    if rate_typed is not None and rate_computed is not None and abs(rate_typed - rate_computed) > RATE_TOLERANCE:
        msg = f"表中完成率 {_pct(rate_typed)} 与 业绩值÷目标值 = {_pct(rate_computed)} 不一致，保留表中完成率"
        flags.append(msg)
        rate_flags.append(msg)
    rate = rate_typed if rate_typed is not None else rate_computed
    if unread and rate_typed is not None:
        flags.append(f"{'、'.join(unread)} 无法识别，按表中完成率 {_pct(rate_typed)} 赋分")

    score_config = config
    if (rule == rules.RULE_SATISFACTION and target is not None and target.kind == "quantity" and target.unit == "%"
            and target.quantity is not None and target.quantity >= 100 and target.operator in ("≥", ">", None, "=")):
        line = config.satisfaction_line
        if line is not None and rate is not None and rate < 1 and actual is not None and actual.unit == "%" \
                and actual.quantity is not None and actual.quantity / 100 >= line:
            other = rules.score_indicator(rule, weight, rate, config=config) if weight is not None else None
            flags.append(f"满意度目标值「{target.text}」为100%，实际满意度无法超过；业绩值「{actual.text}」达到口径线 "
                         f"{_pct(line)}，视为达到目标给满分"
                         + (f"（不采用该口径时得分为 {other.points}）" if other else ""))
            score_config = replace(config, satisfaction_below="full")
        else:
            flags.append(f"满意度目标值「{target.text}」为100%，实际满意度无法超过，目标设置不合理；"
                         f"业绩值「{actual.text}」低于100%时按方案规则（{config.satisfaction_below}）赋分")

    level = actual.level if actual is not None and actual.kind == "level" else None
    unscored = None
    score = None
    if weight is None:
        unscored = f"权重（{wcoord}）为空或无法识别"
    elif text_rule is not None:
        try:
            if actual is None:
                raise rules.RuleError("业绩值无法识别")
            score = score_rule_text(text_rule, weight, target, actual, rate)
        except rules.RuleError as exc:
            unscored = str(exc)
    elif rate is None and not (rule == rules.RULE_LEVEL and level):
        if unread:
            unscored = f"{'、'.join(unread)} 无法识别，且表中没有完成率"
        else:
            unscored = (f"完成率为空，且无法由目标值「{target.text if target else ''}」"
                        f"和业绩值「{actual.text if actual else ''}」计算")
    else:
        try:
            over_full = "rule" in cols and rules.states_over_full(rule_text)
            score = rules.score_indicator(rule, weight, rate, level=level, config=score_config, over_full=over_full)
        except rules.RuleError as exc:
            unscored = str(exc)
    if score is not None:
        flags.extend(score.flags)
        if old is not None and old != score.points:
            flags.append(f"表中原得分 {rules.format_points(old)} 与规则计算的 {score.points} 不一致，已替换")
    else:
        kept = f"（表中原得分 {rules.format_points(old)} 未核实，未采用）" if old is not None else ""
        flags.append(f"该行未评分：{unscored}{kept}")
        if not unread:
            note(score_coord, f"该行未评分：{unscored}")
    return IndicatorResult(
        sheet=title, project=project, row=r, level1=level1, level2=level2, name=name, weight=weight,
        target=target, actual=actual, rule=rule, rule_defaulted=defaulted, rate_in_sheet=rate_typed,
        rate_computed=rate_computed, rate=rate, score=score, flags=flags,
        rate_cell=rate_cell.coordinate if rate_cell is not None else None, score_cell=score_coord,
        rate_flags=rate_flags, cell_notes=cell_notes, unscored=unscored,
    )


def _other_readings(target: TargetValue, actual: TargetValue, config: rules.SelfEvalConfig, reason: bool,
                    weight: Decimal | None) -> list[str]:
    """Flags naming the other reading of a convention when it gives a different rate."""
    out = []
    if not is_money_ceiling(target, config.conventions):
        bare = replace(config, bare_wan_money=True)
        if target.unit in ("万", "亿") and is_money_ceiling(target, bare.conventions):
            alt = completion_rate(target, actual, conventions=bare.conventions, deviation_reason=reason)
            mine = completion_rate(target, actual, conventions=config.conventions, deviation_reason=reason)
            if alt != mine:
                out.append(f"「{target.text}」中的「{target.unit}」按数量上限理解（完成率 {_pct(mine)}）；"
                           f"若按金额理解，完成率为 {_pct(alt)}")
        return out
    mine = completion_rate(target, actual, conventions=config.conventions, deviation_reason=reason)
    if target.unit in ("万", "亿"):
        out.append(f"「{target.text}」中单写的「{target.unit}」按金额理解")
    others = [c for c in CEILING_MONEY if c != config.ceiling_money]
    for other in others:
        alt = completion_rate(target, actual, conventions=replace(config.conventions, ceiling_money=other),
                              deviation_reason=reason)
        if alt != mine and alt is not None and mine is not None:
            used = "已写偏差原因" if reason else "未写偏差原因"
            pts = ""
            if weight is not None:
                pts = f"，得分 {rules.score_proportional(weight, alt).points}"
            out.append(f"资金限额口径：{used}，按「{CEILING_MONEY_TEXT[config.ceiling_money]}」完成率为 {_pct(mine)}；"
                       f"另一读法「{CEILING_MONEY_TEXT[other]}」完成率为 {_pct(alt)}{pts}")
            break
    return out


def _judged(title, project, r, level1, level2, name, weight, target, actual, old, score_coord, flags,
            cell_notes) -> IndicatorResult:
    """A 项目决策 / 项目管理 row judged by a person: keep a published score, else ask for one."""
    what = f"目标值为「{target.text}」" if target.text else "目标值为空"
    rule = "评分人判断"
    score = None
    unscored = None
    if old is not None:
        w = weight if weight is not None else old
        score = rules.Score(points=rules.round_points(old), weight=w, rule=rule, rate=None,
                            explanation=f"判断类指标（{what}，业绩「{actual.text if actual else ''}」），保留表中得分 "
                                        f"{rules.format_points(old)}")
        flags.append(f"判断类指标（{what}），无法按规则计算，保留表中得分 {rules.format_points(old)}")
        if weight is not None and old > weight:
            flags.append(f"表中得分 {rules.format_points(old)} 超过权重 {weight}")
    else:
        unscored = f"判断类指标（{what}），请评分人给出得分"
        flags.append(f"该行未评分：{unscored}")
        cell_notes.setdefault(score_coord, []).append(unscored)
    return IndicatorResult(
        sheet=title, project=project, row=r, level1=level1, level2=level2, name=name, weight=weight,
        target=target, actual=actual if actual is not None else target, rule=rule, rule_defaulted=False,
        rate_in_sheet=None, rate_computed=None, rate=None, score=score, flags=flags, rate_cell=None,
        score_cell=score_coord, rate_flags=[], cell_notes=cell_notes, unscored=unscored, judged=True,
    )


# --------------------------------------------------------------------------- public API

def score_workbook(wb, values_wb=None, *, config: rules.SelfEvalConfig | None = None) -> WorkbookResult:
    """Score every sheet of ``wb`` (loaded with formulas, as written back).

    ``values_wb`` is the same file loaded with ``data_only=True``; it supplies the cached results
    of real formulas (without it such cells are reported as unreadable).
    """
    cfg = config or rules.SelfEvalConfig()
    projects: list[ProjectResult] = []
    errors: list[SheetError] = []
    notices: list[SheetError] = []
    for ws in wb.worksheets:
        if ws.title == CONVENTIONS_SHEET:
            continue
        values = values_wb[ws.title] if values_wb is not None and ws.title in values_wb.sheetnames else None
        try:
            projects.append(_score_sheet(ws, values, cfg, errors, notices))
        except _SheetFailed:
            continue
        except Exception as exc:  # one broken sheet must not stop the others
            errors.append(SheetError(ws.title, None, f"读取时出错：{type(exc).__name__}: {exc}"))
    return WorkbookResult(projects=projects, errors=errors, notices=notices, conventions=cfg.describe())


def _writable(ws, coord: str):
    cell = ws[coord]
    if type(cell).__name__ == "MergedCell":
        for rng in ws.merged_cells.ranges:
            if coord in rng:
                return ws.cell(row=rng.min_row, column=rng.min_col)
    return cell


def _comment(lines: Iterable[str], explanation: str | None = None) -> Comment | None:
    parts = [f"【提示】{line}" for line in lines]
    if not parts:
        return None
    if explanation:
        parts.append(f"【计算】{explanation}")
    text = "\n".join(parts)
    c = Comment(text, COMMENT_AUTHOR)
    c.width = 360
    c.height = 60 + 18 * (len(text) // 24 + len(parts))
    return c


def write_results(wb, result: WorkbookResult) -> None:
    """Write rates, scores, execution scores and totals into ``wb`` (a formula-keeping load); every
    flag goes into a cell comment, on the cell it is about; the conventions used go on a sheet of
    their own (``CONVENTIONS_SHEET``)."""
    for p in result.projects:
        ws = wb[p.sheet]
        for ind in p.indicators:
            notes = {k: list(v) for k, v in ind.cell_notes.items()}
            if ind.rate_cell is not None:
                cell = _writable(ws, ind.rate_cell)
                if ind.rate_in_sheet is None and ind.rate is not None:
                    cell.value = ind.rate
                    cell.number_format = "0.00%"
                lines = [*notes.pop(ind.rate_cell, []), *ind.rate_flags]
                if lines:
                    cell.comment = _comment(lines)
            notes.pop(ind.score_cell, None)
            for coord, lines in notes.items():
                _writable(ws, coord).comment = _comment(lines)
            cell = _writable(ws, ind.score_cell)
            if ind.score is not None:
                if not ind.judged:
                    cell.value = ind.score.points
                    cell.number_format = "0.00"
                cell.comment = _comment(ind.flags, ind.score.explanation)
            else:
                cell.comment = _comment(ind.flags)
        if p.execution_cell is not None:
            cell = _writable(ws, p.execution_cell)
            if not p.execution_kept and p.execution_score is not None:
                cell.value = p.execution_score
                cell.number_format = "0.00"
            cell.comment = _comment(p.execution_flags, p.execution_rule.explanation if p.execution_rule else None)
        if p.total_cell:
            cell = _writable(ws, p.total_cell)
            cell.value = p.total
            cell.number_format = "0.00"
            cell.comment = _comment(p.total_flags)
    if result.projects and result.conventions:
        if CONVENTIONS_SHEET in wb.sheetnames:
            del wb[CONVENTIONS_SHEET]
        ws = wb.create_sheet(CONVENTIONS_SHEET)
        text_cell(ws, 1, 1, "本次核算采用的口径（可在 score-sheet 命令的选项中改变）")
        for i, line in enumerate(result.conventions, start=2):
            text_cell(ws, i, 1, line)
        ws.column_dimensions["A"].width = 100


def score_file(in_path: str | os.PathLike[str], out_path: str | os.PathLike[str] | None = None, *,
               config: rules.SelfEvalConfig | None = None, limits: Limits = DEFAULT_LIMITS) -> WorkbookResult:
    """Check, load, score and (when ``out_path`` is given) write an annotated copy.

    Raises ``UnsafeWorkbook`` when the file itself cannot be opened.
    """
    import openpyxl

    data = check_xlsx(in_path, limits=limits)
    try:
        formulas = openpyxl.load_workbook(io.BytesIO(data))
        values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:
        raise UnsafeWorkbook(f"工作簿无法读取：{type(exc).__name__}: {exc}") from exc
    result = score_workbook(formulas, values, config=config)
    if out_path is not None:
        write_results(formulas, result)
        formulas.save(out_path)
    return result
