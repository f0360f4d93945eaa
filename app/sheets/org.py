"""The organisation workbook (组织机构工作簿): units and people, for the office's import and export.

Sheets (the header row is found by its labels in the first rows, columns may be in any order):

* 「单位」: 单位名称*, 简称, 类别* (院部 / 部门), 单位类型* (二级学院 … / 职能部门), 排序;
* 「人员」: 工号*, 姓名*, 所在单位, 角色, 校领导职别 (正职 / 副职), 电子邮箱, 电话.

「角色」 holds the roles' Chinese labels as the product shows them, separated by 、 or commas;
单位填报员 and 考核评分员 are bound to the person's own unit unless a unit is given in brackets
(``考核评分员（教务处）``). A 「说明」 sheet explains all this to whoever fills the template.

:func:`read_org_workbook` checks the file with app.sheets.safety, reads both sheets and checks
what can be checked without the database (required cells, known labels, duplicates, units that
people name). Every problem names sheet, row and column (an :class:`ImportProblem`). The
comparison with the database is the service's (app.services.org_import).
"""

from __future__ import annotations

import io
import re
from copy import copy
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.models.org import CATEGORY_LABELS, LEADER_RANKS, ROLE_LABELS, SUBTYPES

from .safety import UnsafeWorkbook, check_worksheet_size, load_workbook_safely
from .scheme import ImportProblem

UNIT_SHEET, PEOPLE_SHEET, HELP_SHEET = "单位", "人员", "说明"
UNIT_COLUMNS = ["单位名称", "简称", "类别", "单位类型", "排序"]
PEOPLE_COLUMNS = ["工号", "姓名", "所在单位", "角色", "校领导职别", "电子邮箱", "电话"]
UNIT_REQUIRED = {"单位名称", "类别", "单位类型"}
PEOPLE_REQUIRED = {"工号", "姓名"}

CATEGORY_BY_LABEL = {v: k for k, v in CATEGORY_LABELS.items()}
RANK_BY_LABEL = {v: k for k, v in LEADER_RANKS.items()}
# role labels as the UI shows them; 「领导小组」 is accepted for 领导小组成员
ROLE_BY_LABEL = {v: k for k, v in ROLE_LABELS.items()} | {"领导小组": "group"}
UNIT_BOUND_ROLES = ("reporter", "scorer")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMPLOYEE_NO_RE = re.compile(r"^[0-9A-Za-z_.-]{1,32}$")
_ROLE_SPLIT = re.compile(r"[、,，;；/／\s]+")
_ROLE_TOKEN = re.compile(r"^([^（(]+)(?:[（(]([^）)]+)[）)])?$")

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD = PatternFill("solid", fgColor="F0F4F8")


@dataclass(frozen=True)
class UnitRow:
    name: str
    short_name: str
    category: str  # college | department
    subtype: str
    position: int
    row: int


@dataclass(frozen=True)
class RoleSpec:
    role: str  # a key of ROLE_LABELS
    unit_name: str | None  # the bound unit (reporter, scorer)

    @property
    def label(self) -> str:
        base = ROLE_LABELS[self.role]
        return f"{base}（{self.unit_name}）" if self.unit_name else base


@dataclass(frozen=True)
class PersonRow:
    employee_no: str
    name: str
    unit_name: str | None
    roles: tuple[RoleSpec, ...]
    leader_rank: str | None  # principal | deputy
    email: str | None
    phone: str | None
    row: int


@dataclass
class OrgWorkbook:
    units: list[UnitRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # the optional columns the sheets have: a column left out keeps what the database holds
    unit_columns: set[str] = field(default_factory=lambda: set(UNIT_COLUMNS))
    people_columns: set[str] = field(default_factory=lambda: set(PEOPLE_COLUMNS))

    @property
    def ok(self) -> bool:
        return not self.problems


def text(value) -> str:
    """A cell as text: numbers without a trailing .0 (工号 and phone numbers are often typed as numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# ---------------------------------------------------------------- reading
class _Sheet:
    def __init__(self, ws, columns: list[str], required: set[str], out: OrgWorkbook):
        self.ws, self.out, self.title = ws, out, ws.title
        self.cols: dict[str, int] = {}
        self.header_row = 0
        for r in range(1, min(ws.max_row or 0, 5) + 1):
            labels = {text(ws.cell(r, c).value).rstrip("*＊ "): c for c in range(1, (ws.max_column or 0) + 1)}
            found = {h: labels[h] for h in columns if h in labels}
            if required <= set(found):
                self.cols, self.header_row = found, r
                break
        if not self.header_row:
            self.err(1, None, f"找不到列名行（前 5 行中应有：{'、'.join(columns)}；带 * 的列必填）")

    def err(self, row: int | None, col: str | None, message: str) -> None:
        letter = get_column_letter(self.cols[col]) if col in self.cols else None
        self.out.problems.append(ImportProblem(message, sheet=self.title, row=row, column=letter))

    def rows(self):
        for r in range(self.header_row + 1, (self.ws.max_row or 0) + 1):
            values = {h: text(self.ws.cell(r, c).value) for h, c in self.cols.items()}
            if any(values.values()):
                yield r, values


def _read_units(sh: _Sheet, out: OrgWorkbook) -> None:
    seen: dict[str, int] = {}
    for r, v in sh.rows():
        name = v["单位名称"]
        if not name:
            sh.err(r, "单位名称", "单位名称不能为空")
            continue
        if len(name) > 100:
            sh.err(r, "单位名称", "单位名称过长（最多 100 字）")
            continue
        if name in seen:
            sh.err(r, "单位名称", f"单位「{name}」重复（已在第 {seen[name]} 行）")
            continue
        seen[name] = r
        category = CATEGORY_BY_LABEL.get(v["类别"])
        if category is None:
            sh.err(r, "类别", f"类别「{v['类别']}」无效，应为 院部 或 部门")
            continue
        subtype = v["单位类型"]
        if subtype not in SUBTYPES[category]:
            sh.err(r, "单位类型", f"单位类型「{subtype}」无效，{CATEGORY_LABELS[category]}的单位类型为："
                   + "、".join(SUBTYPES[category]))
            continue
        position_text = v.get("排序", "")
        if position_text and not (position_text.isdigit() and int(position_text) <= 9999):
            sh.err(r, "排序", f"排序「{position_text}」应为 0–9999 的整数")
            continue
        short = v.get("简称", "")
        if len(short) > 40:
            sh.err(r, "简称", "简称过长（最多 40 字）")
            continue
        out.units.append(UnitRow(name=name, short_name=short, category=category, subtype=subtype,
                                 position=int(position_text or 0), row=r))


def _read_roles(sh: _Sheet, r: int, cell: str) -> tuple[RoleSpec, ...] | None:
    specs: list[RoleSpec] = []
    for token in (t for t in _ROLE_SPLIT.split(cell) if t):
        m = _ROLE_TOKEN.match(token)
        role = ROLE_BY_LABEL.get(m.group(1).strip()) if m else None
        if role is None:
            sh.err(r, "角色", f"角色「{token}」无效，可用：{'、'.join(ROLE_LABELS.values())}")
            return None
        unit_name = (m.group(2) or "").strip() or None
        if unit_name and role not in UNIT_BOUND_ROLES:
            sh.err(r, "角色", f"「{ROLE_LABELS[role]}」不绑定单位，请去掉括号中的「{unit_name}」")
            return None
        spec = RoleSpec(role=role, unit_name=unit_name)
        if spec not in specs:
            specs.append(spec)
    return tuple(specs)


def _read_people(sh: _Sheet, out: OrgWorkbook) -> None:
    seen: dict[str, int] = {}
    for r, v in sh.rows():
        no, name = v["工号"], v["姓名"]
        if not no:
            sh.err(r, "工号", "工号不能为空")
            continue
        if not EMPLOYEE_NO_RE.match(no):
            sh.err(r, "工号", f"工号「{no}」只能由字母、数字和 . _ - 组成（最多 32 位）")
            continue
        if no.lower() in seen:
            sh.err(r, "工号", f"工号「{no}」重复（已在第 {seen[no.lower()]} 行）")
            continue
        seen[no.lower()] = r
        if not name or len(name) > 64:
            sh.err(r, "姓名", "姓名不能为空" if not name else "姓名过长（最多 64 字）")
            continue
        roles = _read_roles(sh, r, v.get("角色", ""))
        if roles is None:
            continue
        rank_text = v.get("校领导职别", "")
        rank = RANK_BY_LABEL.get(rank_text) if rank_text else None
        if rank_text and rank is None:
            sh.err(r, "校领导职别", f"校领导职别「{rank_text}」无效，应为 正职 或 副职")
            continue
        is_leader = any(s.role == "leader" for s in roles)
        if is_leader and rank is None:
            sh.err(r, "校领导职别", "角色含「校领导」，须填写校领导职别（正职 或 副职）")
            continue
        if rank and not is_leader:
            sh.err(r, "校领导职别", "只有「校领导」角色才填写校领导职别")
            continue
        unit_name = v.get("所在单位") or None
        if any(s.role in UNIT_BOUND_ROLES and not s.unit_name for s in roles) and not unit_name:
            sh.err(r, "角色", "单位填报员、考核评分员须绑定单位：请填写所在单位，或在角色后用括号写明单位")
            continue
        email = v.get("电子邮箱") or None
        if email and (not EMAIL_RE.match(email) or len(email) > 255):
            sh.err(r, "电子邮箱", f"电子邮箱「{email}」格式不正确")
            continue
        phone = v.get("电话") or None
        if phone and len(phone) > 40:
            sh.err(r, "电话", "电话过长（最多 40 字符）")
            continue
        out.people.append(PersonRow(employee_no=no, name=name, unit_name=unit_name, roles=roles, leader_rank=rank,
                                    email=email, phone=phone, row=r))


def _check_references(units_sheet: _Sheet, people_sheet: _Sheet, out: OrgWorkbook) -> None:
    """Units named by people exist in the 单位 sheet; scorers are bound to 部门."""
    by_name = {u.name: u for u in out.units}
    kept = []
    for p in out.people:
        ok = True
        if p.unit_name and p.unit_name not in by_name:
            people_sheet.err(p.row, "所在单位", f"所在单位「{p.unit_name}」不在「{UNIT_SHEET}」表中")
            ok = False
        for s in p.roles:
            bound = s.unit_name or p.unit_name
            if s.unit_name and s.unit_name not in by_name:
                people_sheet.err(p.row, "角色", f"角色「{s.label}」中的单位不在「{UNIT_SHEET}」表中")
                ok = False
            elif s.role == "scorer" and bound in by_name and by_name[bound].category != "department":
                people_sheet.err(p.row, "角色", f"考核评分员须绑定部门，「{bound}」是院部")
                ok = False
        if ok:
            kept.append(p)
    out.people = kept


def read_org_workbook(data: bytes) -> OrgWorkbook:
    """Read and check an organisation workbook; never raises for bad content (see ``problems``)."""
    out = OrgWorkbook()
    try:
        wb = load_workbook_safely(data, data_only=True)
    except UnsafeWorkbook as exc:
        out.problems.append(ImportProblem(str(exc)))
        return out
    sheets = {}
    for title, columns, required in ((UNIT_SHEET, UNIT_COLUMNS, UNIT_REQUIRED),
                                     (PEOPLE_SHEET, PEOPLE_COLUMNS, PEOPLE_REQUIRED)):
        if title not in wb.sheetnames:
            out.problems.append(ImportProblem(f"缺少工作表「{title}」（请使用下载的模板）"))
            continue
        ws = wb[title]
        too_big = check_worksheet_size(ws)
        if too_big:
            out.problems.append(ImportProblem(too_big, sheet=title))
            continue
        sheets[title] = _Sheet(ws, columns, required, out)
    if len(sheets) < 2 or any(not s.header_row for s in sheets.values()):
        return out
    out.unit_columns, out.people_columns = set(sheets[UNIT_SHEET].cols), set(sheets[PEOPLE_SHEET].cols)
    _read_units(sheets[UNIT_SHEET], out)
    _read_people(sheets[PEOPLE_SHEET], out)
    _check_references(sheets[UNIT_SHEET], sheets[PEOPLE_SHEET], out)
    if not out.units and not out.problems:
        out.problems.append(ImportProblem("「单位」表没有任何单位", sheet=UNIT_SHEET))
    return out


# ---------------------------------------------------------------- writing
HELP_LINES = [
    "组织机构工作簿：「单位」表每行一个单位，「人员」表每行一人。列名带 * 的必填；请不要改表名和列名。",
    "类别：院部 或 部门。单位类型：院部为 " + "、".join(SUBTYPES["college"]) + "；部门为 "
    + "、".join(SUBTYPES["department"]) + "。排序：同类别内的显示顺序（整数，小的在前）。",
    "工号：每人唯一，也是新账号的用户名（字母、数字和 . _ -）。已有账号按工号对应；没有工号的旧账号按用户名对应。",
    "角色：可填多个，用顿号「、」或逗号分隔：" + "、".join(ROLE_LABELS.values())
    + "。单位填报员、考核评分员绑定本人所在单位；要绑定其他单位，在角色后加括号，如「考核评分员（教务处）」。"
    "考核评分员只能绑定部门。",
    "校领导职别：角色含「校领导」时必填，正职 或 副职。",
    "可选的列（简称、排序、所在单位、角色、校领导职别、电子邮箱、电话）整列删去时，已有单位和人员的这一项保持不变。",
    "导入时工作簿就是全校的组织机构：工作簿中没有的单位和人员将被停用（不会删除，历史记录保留）；"
    "目标办账号不在工作簿中时保持不变。导入前会先列出将新建、修改、停用的内容，确认后才保存。",
    "新建的账号由系统生成随机初始密码，确认导入后打印密码条分发；首次登录须修改密码。",
]


def _sheet(wb: Workbook, title: str, columns: list[str], required: set[str], widths: list[int]):
    ws = wb.create_sheet(title)
    ws.append([c + ("*" if c in required else "") for c in columns])
    for c in ws[1]:
        c.font, c.fill, c.border = Font(bold=True), HEAD, BOX
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    return ws


def org_workbook(units: list[dict], people: list[dict]) -> io.BytesIO:
    """The workbook with the given rows (``[]`` and ``[]``: the empty template). ``units``: dicts
    with name, short_name, category, subtype, position; ``people``: employee_no, name, unit_name,
    roles (list of RoleSpec), leader_rank, email, phone."""
    wb = Workbook()
    help_ws = wb.active
    help_ws.title = HELP_SHEET
    help_ws.column_dimensions["A"].width = 120
    help_ws.append(["组织机构工作簿填写说明"])
    help_ws["A1"].font = Font(bold=True, size=14)
    for line in HELP_LINES:
        help_ws.append([line])
        help_ws.cell(help_ws.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")

    uws = _sheet(wb, UNIT_SHEET, UNIT_COLUMNS, UNIT_REQUIRED, [28, 14, 8, 16, 8])
    for u in units:
        uws.append([u["name"], u.get("short_name") or None, CATEGORY_LABELS[u["category"]], u["subtype"],
                    u.get("position", 0)])
    cat = DataValidation(type="list", formula1='"院部,部门"', allow_blank=False)
    sub = DataValidation(type="list", formula1='"' + ",".join(s for subs in SUBTYPES.values() for s in subs) + '"')
    uws.add_data_validation(cat)
    uws.add_data_validation(sub)
    cat.add("C2:C2000")
    sub.add("D2:D2000")

    pws = _sheet(wb, PEOPLE_SHEET, PEOPLE_COLUMNS, PEOPLE_REQUIRED, [12, 10, 24, 30, 12, 26, 16])
    for p in people:
        pws.append([p["employee_no"], p["name"], p.get("unit_name"), "、".join(s.label for s in p.get("roles", ())),
                    LEADER_RANKS.get(p.get("leader_rank") or "", None), p.get("email"), p.get("phone")])
    text_style = None
    for row in pws.iter_rows(min_row=2, max_col=1):
        for c in row:  # 工号 as text: leading zeros survive
            if text_style is None:
                c.number_format = "@"
                text_style = copy(c._style)
            else:  # the same style ids (assigning the format to each cell rehashes the styles)
                c._style = copy(text_style)
    pws.column_dimensions["A"].number_format = "@"  # and in the rows the office adds
    rank = DataValidation(type="list", formula1='"正职,副职"', allow_blank=True)
    pws.add_data_validation(rank)
    rank.add("E2:E5000")
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out
