"""The scoring template of one owner (a functional department or 目标办): export, fill, import.

Layout of sheet 「评分」: row 1 a title; row 2 one merged header per indicator (code, name,
points); row 3 the field labels; from row 4 one row per unit. Per indicator the columns are the
rule's fact fields, then its judgment fields (judged points, deductions and their reasons),
then 「更正理由」 (needed when a fact differs from what the unit reported) and 「已核实」
(是/否). Cells of indicators that do not apply to a unit read 「—」 and are ignored.

A very hidden sheet 「_meta」 records the format, cycle, owner, the column map (column →
indicator code and field) and the row map (row → unit id and the version of each of its cells
at export). On import every column header and unit name is checked against that map, so a moved
column or row is named instead of misread; a cell changed by someone else since the export is
refused as stale. Any error refuses the whole import (see ``app.services.scoring.import_cells``).
"""

import json
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app.rubric.numbers import D, NumberError, fmt_plain
from app.services.scoring import CellInput, CycleScoring, LocatedCell, Owner

from .cells import FastRows, append_row, restore_text, save, text_cell
from .safety import UnsafeWorkbook, check_worksheet_size, load_workbook_safely

FORMAT = "kpi-scoring-template/1"
SHEET = "评分"
META = "_meta"
FIRST_ROW = 4
REASON = "__reason__"
CONFIRM = "__confirm__"
NA = "—"


class TemplateError(ValueError):
    """A template that cannot be read; ``errors`` name sheet, row and column (Chinese)."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _label(field) -> str:
    return field.label + (f"（{field.unit}）" if field.unit else "")


def _columns(owner: Owner) -> list[tuple[str, str, str]]:
    """[(code, field name or REASON/CONFIRM, header label)] in column order (from column B)."""
    cols = []
    for leaf in owner.leaves:
        for f in leaf.fact_fields + leaf.judgment_fields:
            cols.append((leaf.code, f.name, _label(f)))
        if leaf.fact_fields:
            cols.append((leaf.code, REASON, "更正理由"))
        cols.append((leaf.code, CONFIRM, "已核实（是/否）"))
    return cols


def _cell_value(value):
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value in (None, ""):
        return None
    try:
        d = D(value)
    except NumberError:
        return str(value)
    return int(d) if d == d.to_integral_value() and abs(d) < 10**15 else float(d)


def build_template(ctx: CycleScoring, owner: Owner) -> bytes:
    cycle = ctx.cycle
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    cols = _columns(owner)
    units = [u for u in ctx.units if any(ctx.applies(u.id, leaf.code) for leaf in owner.leaves)]
    thin = Side(style="thin", color="BCCCDC")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="F0F4F8")
    na_fill = PatternFill("solid", fgColor="E4E7EB")
    input_fill = PatternFill("solid", fgColor="FFFDE7")

    title = f"{cycle.name} 目标考核评分模板 · {owner.name}（请只填写黄色单元格；不要增删行列）"
    text_cell(ws, 1, 1, title).font = Font(bold=True, size=12)
    text_cell(ws, 2, 1, "指标").font = Font(bold=True)
    text_cell(ws, 3, 1, "单位").font = Font(bold=True)
    ws.column_dimensions["A"].width = 22
    start = 2
    for leaf in owner.leaves:
        n = sum(1 for c in cols if c[0] == leaf.code)
        text_cell(ws, 2, start, f"{leaf.code} {leaf.name}（{fmt_plain(leaf.points)}分）")
        if n > 1:
            ws.merge_cells(start_row=2, start_column=start, end_row=2, end_column=start + n - 1)
        start += n
    for i, (_code, _name, label) in enumerate(cols, start=2):
        c = text_cell(ws, 3, i, label)
        c.font = Font(bold=True)
        c.fill = head_fill
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(2, i).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(2, i).fill = head_fill
        ws.column_dimensions[get_column_letter(i)].width = 14
    ws.row_dimensions[2].height = 36
    ws.row_dimensions[3].height = 32
    ws.freeze_panes = f"B{FIRST_ROW}"  # a string: ws.cell() would create a cell in the first unit row

    meta = wb.create_sheet(META)
    append_row(meta, ["format", FORMAT])
    append_row(meta, ["cycle_id", cycle.id])
    append_row(meta, ["owner", owner.key])
    append_row(meta, ["exported_at", datetime.now().isoformat(timespec="seconds")])
    append_row(meta, ["columns", len(cols)])
    for i, (code, name, label) in enumerate(cols, start=2):
        append_row(meta, ["col", i, code, name, label])
    # the unit rows (and their map in _meta) as sheet XML: the cells put() and the styles would give
    rows, meta_rows = FastRows(ws), FastRows(meta)
    name_s = rows.style(border=border)
    na_s = rows.style(border=border, fill=na_fill)
    input_s = rows.style(border=border, fill=input_fill)
    meta_styles = ("",) * 5
    for r, u in enumerate(units, start=FIRST_ROW):
        versions = {}
        effective: dict[str, dict] = {}
        values, styles = [u.name], [name_s]
        for code, name, _label in cols:
            if not ctx.applies(u.id, code):
                values.append(NA)
                styles.append(na_s)
                continue
            entry = ctx.entries.get((u.id, code))
            versions[code] = entry.version if entry else 0
            styles.append(input_s)
            if name == CONFIRM:
                values.append("是" if entry and entry.confirmed else "否")
            elif name == REASON:
                reasons = (entry.correction_reasons if entry else {}) or {}
                values.append("；".join(dict.fromkeys(reasons.values())) or None)
            else:
                if code not in effective:
                    effective[code] = ctx.effective(u.id, code)
                values.append(_cell_value(effective[code].get(name)))
        rows.append(values, styles, styles)
        meta_rows.append(["row", r, u.id, u.name, json.dumps(versions)], meta_styles, meta_styles)
    meta.sheet_state = "veryHidden"
    return save(wb, (rows, meta_rows))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return fmt_plain(D(value))
    return restore_text(str(value)).strip()


def read_template(data: bytes, *, cycle_id: int, owner_key: str) -> list[LocatedCell]:
    """Parse a filled template into located cell inputs. Raises TemplateError (every problem)
    or UnsafeWorkbook (not a safe .xlsx)."""
    wb = load_workbook_safely(data, data_only=True)
    if SHEET not in wb.sheetnames or META not in wb.sheetnames:
        raise TemplateError([f"工作簿中没有「{SHEET}」工作表或模板信息，请使用本系统导出的评分模板。"])
    ws, meta = wb[SHEET], wb[META]
    for sheet in (ws, meta):
        problem = check_worksheet_size(sheet)
        if problem:
            raise UnsafeWorkbook(problem)
    info = {}
    cols: dict[int, tuple[str, str, str]] = {}
    rows: dict[int, tuple[int, str, dict]] = {}
    try:
        for rec in meta.iter_rows(values_only=True):
            if not rec or rec[0] is None:
                continue
            rec = tuple(restore_text(v) for v in rec)
            if rec[0] == "col":
                cols[int(rec[1])] = (str(rec[2]), str(rec[3]), str(rec[4]))
            elif rec[0] == "row":
                rows[int(rec[1])] = (int(rec[2]), str(rec[3]), json.loads(rec[4] or "{}"))
            else:
                info[rec[0]] = rec[1]
    except (TypeError, ValueError, IndexError):
        raise TemplateError(["模板信息已损坏，请重新导出评分模板。"]) from None
    if info.get("format") != FORMAT:
        raise TemplateError(["不是本系统导出的评分模板（格式标记不符），请重新导出。"])
    if str(info.get("cycle_id")) != str(cycle_id):
        raise TemplateError(["该模板属于另一个考核周期，请导出本周期的模板。"])
    if str(info.get("owner")) != str(owner_key):
        raise TemplateError(["该模板属于另一个评分部门，请导出本部门的模板。"])

    errors: list[str] = []

    def where(row: int, col: int | None = None) -> str:
        s = f"工作表「{SHEET}」第{row}行"
        if col is not None:
            s += f" {get_column_letter(col)}列"
        return s

    for col, (_code, _name, label) in cols.items():
        got = _text(ws.cell(3, col).value)
        if got != label:
            errors.append(f"{where(3, col)}：表头应为「{label}」，现为「{got or '空'}」（请勿增删或移动列）。")
    if ws.max_column > max(cols, default=1):
        for col in range(max(cols, default=1) + 1, ws.max_column + 1):
            for r in range(1, ws.max_row + 1):
                if _text(ws.cell(r, col).value):
                    errors.append(f"{where(r, col)}：模板之外的列有内容（请勿增加列）。")
                    break
    last = max(rows, default=FIRST_ROW - 1)
    for r in range(last + 1, ws.max_row + 1):
        if any(_text(ws.cell(r, c).value) for c in range(1, ws.max_column + 1)):
            errors.append(f"{where(r)}：模板之外的行有内容（请勿增加行；单位名单以导出时为准）。")
    if errors:
        raise TemplateError(errors)

    out: list[LocatedCell] = []
    for r, (unit_id, unit_name, versions) in sorted(rows.items()):
        got = _text(ws.cell(r, 1).value)
        if got != unit_name:
            errors.append(f"{where(r, 1)}：单位应为「{unit_name}」，现为「{got or '空'}」（请勿调整行的顺序）。")
            continue
        by_code: dict[str, dict] = {}
        for col, (code, name, label) in cols.items():
            if code not in versions:
                continue  # the indicator does not apply to this unit
            value = ws.cell(r, col).value
            d = by_code.setdefault(code, {"values": {}, "reason": "", "confirm": None, "columns": {}})
            d["columns"][name] = f"{get_column_letter(col)}列（{label}）"
            if name == REASON:
                d["reason"] = _text(value)
            elif name == CONFIRM:
                t = _text(value)
                if t in ("是", "Y", "y", "1", "√", "✓"):
                    d["confirm"] = True
                elif t in ("否", "", "N", "n", "0"):
                    d["confirm"] = False
                else:
                    errors.append(f"{where(r, col)}（{label}）：应填“是”或“否”，现为「{t}」。")
            else:
                d["values"][name] = _text(value)
        for code, d in by_code.items():
            reasons = {name: d["reason"] for name in d["values"]} if d["reason"] else {}
            cols_map = dict(d["columns"])
            cols_map[REASON] = d["columns"].get(REASON, "")
            out.append(
                LocatedCell(
                    cell=CellInput(
                        unit_id=unit_id,
                        code=code,
                        values=d["values"],
                        reasons=reasons,
                        version=int(versions.get(code, 0)),
                        confirm=bool(d["confirm"]),
                    ),
                    where=where(r),
                    columns={k: v for k, v in cols_map.items() if k != REASON} | {"__reason__": cols_map[REASON]},
                )
            )
    if errors:
        raise TemplateError(errors)
    return out
