"""The Excel template of one entered component (weighted, bonus or deduction): one row per unit
with its current value; the owner fills it in and uploads it. Errors name the row and column.

Columns: 单位编号 (kept), 单位, 数值, 无此项工作 (是/否, weighted only), 备注. A hidden sheet
holds the cycle and the component the template belongs to.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from app.rubric.numbers import fmt_plain

from .cells import restore_text, text_cell
from .safety import check_worksheet_size, load_workbook_safely

SHEET, META = "录入", "模板信息"
FORMAT = "kpi-component-values/1"
HEADERS = ["单位编号", "单位", "数值", "无此项工作", "备注"]
FILL = PatternFill("solid", fgColor="FFF7CC")


class TemplateError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


def build_template(*, cycle_id: int, cycle_name: str, comp, units, current) -> bytes:
    """``current``: {unit id: ComponentValue}."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    hint = {"weighted": f"数值填 {fmt_plain(comp.scale_min)}～{fmt_plain(comp.scale_max)}，按权重折算为"
                        f"{fmt_plain(comp.points)}分；没有此项工作的单位在「无此项工作」填「是」",
            "bonus": "数值填加分（不小于0）" + (f"，最多计{fmt_plain(comp.cap)}分" if comp.cap is not None else ""),
            "deduction": "数值填扣分（如扣2分填 2），系统按负数保存"
                         + (f"，最多扣{fmt_plain(comp.cap)}分" if comp.cap is not None else "")}[comp.kind]
    title = f"{cycle_name} · {comp.name}：{hint}。留空表示不录入（已录入的将清除）。"
    text_cell(ws, 1, 1, title).font = Font(bold=True)
    for i, h in enumerate(HEADERS, start=1):
        text_cell(ws, 2, i, h).font = Font(bold=True)
    for r, u in enumerate(units, start=3):
        v = current.get(u.id)
        value = None
        if v is not None and v.value is not None:
            value = fmt_plain(-v.value if comp.kind == "deduction" else v.value)
        text_cell(ws, r, 1, u.id)
        text_cell(ws, r, 2, u.name)
        text_cell(ws, r, 3, value)
        text_cell(ws, r, 4, "是" if v is not None and v.no_work else None)
        text_cell(ws, r, 5, v.note if v is not None else None)
        for c in (3, 4, 5):
            ws.cell(row=r, column=c).fill = FILL
    for col, w in zip("ABCDE", (10, 26, 12, 12, 30), strict=True):
        ws.column_dimensions[col].width = w
    meta = wb.create_sheet(META)
    for r, (k, v) in enumerate((("format", FORMAT), ("cycle_id", cycle_id), ("component", comp.key)), start=1):
        text_cell(meta, r, 1, k)
        text_cell(meta, r, 2, v)
    meta.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_template(data: bytes, *, cycle_id: int, key: str) -> list[tuple[int, int, str, bool, str]]:
    """(row, unit id, value text, no such work, note) of every unit row. Raises TemplateError
    (every problem, naming row and column) or UnsafeWorkbook."""
    wb = load_workbook_safely(data, data_only=True)
    if SHEET not in wb.sheetnames or META not in wb.sheetnames:
        raise TemplateError([f"工作簿中没有「{SHEET}」工作表或模板信息，请使用本系统导出的录入模板。"])
    ws, meta = wb[SHEET], wb[META]
    for sheet in (ws, meta):
        problem = check_worksheet_size(sheet)
        if problem:
            raise TemplateError([problem])
    info = {str(restore_text(r[0])): restore_text(r[1]) for r in meta.iter_rows(values_only=True) if r and r[0]}
    if info.get("format") != FORMAT:
        raise TemplateError(["不是本系统导出的录入模板（格式标记不符），请重新导出。"])
    if str(info.get("cycle_id")) != str(cycle_id) or str(info.get("component")) != key:
        raise TemplateError(["该模板属于另一个考核周期或另一个组成部分，请重新导出本页的模板。"])
    found = [str(restore_text(ws.cell(row=2, column=i).value) or "").strip() for i in range(1, 6)]
    if found != HEADERS:
        raise TemplateError([f"「{SHEET}」表第 2 行的列名应为：{'、'.join(HEADERS)}，请不要修改列名。"])
    out, errors = [], []
    for r in range(3, (ws.max_row or 2) + 1):
        vals = [restore_text(ws.cell(row=r, column=c).value) for c in range(1, 6)]
        if all(v is None or str(v).strip() == "" for v in vals):
            continue
        uid = vals[0]
        try:
            uid = int(str(uid).strip())
        except ValueError:
            errors.append(f"「{SHEET}」表第 {r} 行 A 列：单位编号「{uid}」无效，请不要修改单位编号")
            continue
        raw = "" if vals[2] is None else str(vals[2]).strip()
        nw = "" if vals[3] is None else str(vals[3]).strip()
        if nw not in ("", "是", "否"):
            errors.append(f"「{SHEET}」表第 {r} 行 D 列：「无此项工作」应填「是」或留空，现为「{nw}」")
            continue
        out.append((r, uid, raw, nw == "是", "" if vals[4] is None else str(vals[4]).strip()))
    if errors:
        raise TemplateError(errors)
    return out
