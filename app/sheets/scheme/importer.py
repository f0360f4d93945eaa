"""Reading the scheme workbook back into a scheme dict (see the package docstring)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.rubric.rules import RULES
from app.rubric.scheme import FORMAT, SchemeError, validate_scheme

from ..cells import restore_text
from ..safety import UnsafeWorkbook, check_worksheet_size, load_workbook_safely
from .cells import BAD, Reader, col_letter, data_rows, header_columns
from .layout import (
    AWARD_LABELS,
    FAIL_LABELS,
    IND_REQUIRED,
    INDICATOR_COLUMNS,
    KIND_LABELS,
    NORM_LABELS,
    PART_COLUMNS,
    PART_LABELS,
    ROW_COMPONENT,
    ROW_SUBTYPE,
    ROW_UNIT,
    S_IND,
    S_PARTS,
    S_SCHEME,
    SCHEME_MULTI_ROWS,
    SCHEME_REQUIRED_ROWS,
    SCHEME_SINGLE_ROWS,
    ImportProblem,
    walk,
)

__all__ = ["import_scheme", "validate_safely"]


# ---------------------------------------------------------------------------- 方案


def _read_scheme_sheet(rd: Reader, ws) -> dict[str, Any]:
    S = S_SCHEME
    if header_columns(rd, ws, S, ["项目", "值"]) is None:
        return {}
    single: dict[str, tuple[int, list[Any]]] = {}
    multi: dict[str, list[tuple[int, list[Any]]]] = {k: [] for k in SCHEME_MULTI_ROWS}
    for r in data_rows(ws):
        label = rd.key(restore_text(ws.cell(row=r, column=1).value))
        vals = [restore_text(ws.cell(row=r, column=c).value) for c in (2, 3, 4)]  # 值, 值2, 值3 (E is the hint)
        if label is None:
            if any(rd.text(v) for v in vals[:3]):
                rd.err(S, r, "A", "有值但缺少项目名称")
            continue
        if label in SCHEME_SINGLE_ROWS:
            if label in single:
                rd.err(S, r, "A", f"项目「{label}」重复（已在第 {single[label][0]} 行）")
                continue
            single[label] = (r, vals)
        elif label in SCHEME_MULTI_ROWS:
            multi[label].append((r, vals))
        else:
            rd.err(S, r, "A", f"不认识的项目「{label}」")
    for label in SCHEME_REQUIRED_ROWS:
        if label not in single:
            rd.err(S, None, None, f"缺少「{label}」一行")

    def row(label: str) -> tuple[int | None, list[Any]]:
        r, vals = single.get(label, (None, [None, None, None]))
        return r, vals

    def at(label: str, col: int = 0):
        r, _ = row(label)
        return (S, r, "BCDEFGHIJ"[col])

    def val(label: str, col: int = 0):
        return row(label)[1][col] if col < len(row(label)[1]) else None

    def txt(label: str):
        return rd.text(val(label))

    d: dict[str, Any] = {"format": FORMAT}

    def loc(path: str, label: str) -> None:
        if label in single:
            rd.locs[path] = (S, single[label][0])

    d["key"] = rd.key(val("方案标识"))
    loc("key", "方案标识")
    d["version"] = rd.number(val("版本"), at("版本"), "版本", integer=True)
    loc("version", "版本")
    d["name"] = txt("方案名称")
    loc("name", "方案名称")
    period = {k: txt(lab) for k, lab in (("start", "考核期开始"), ("end", "考核期结束"), ("note", "考核期说明"))}
    period = {k: (v.strip() if k != "note" else v) for k, v in period.items() if v is not None}
    if period:
        d["period"] = period
    if txt("来源") is not None:
        d["source"] = txt("来源")
    d["total_points"] = rd.number(val("总分"), at("总分"), "总分")
    loc("total_points", "总分")
    d["normalisation"] = rd.choice(val("折算方式"), at("折算方式"), "折算方式", NORM_LABELS)
    loc("normalisation", "折算方式")
    notes = [rd.text(v[0]) for _, v in multi["方案说明"] if rd.text(v[0]) is not None]
    if notes:
        d["notes"] = notes

    # ballot
    levels = []
    for i, (r, v) in enumerate(multi["测评等次"]):
        rd.locs[f"ballot.levels[{i}]"] = (S, r)
        levels.append({"name": rd.key(v[0]), "value": rd.number(v[1], (S, r, "C"), "测评等次分值")})
        if levels[-1]["name"] is None:
            rd.err(S, r, "B", "缺少测评等次名称")
    groups = []
    for i, (r, v) in enumerate(multi["测评人员类别"]):
        rd.locs[f"ballot.rater_groups[{i}]"] = (S, r)
        groups.append({"key": rd.key(v[0]), "name": rd.text(v[1]),
                       "weight": rd.number(v[2], (S, r, "D"), "测评人员类别权重")})
    d["ballot"] = {
        "levels": levels, "excellent_level": rd.key(val("优秀等次")),
        "max_excellent_share": rd.number(val("优秀票最高比例"), at("优秀票最高比例"), "优秀票最高比例"),
        "all_units_required": rd.yesno(val("须评全部单位"), at("须评全部单位"), "须评全部单位"),
        "exclude_own_unit": rd.yesno(val("不评本单位"), at("不评本单位"), "不评本单位"),
        "rater_groups": groups,
    }
    for k in ("优秀等次", "优秀票最高比例"):
        if k in single:
            rd.locs.setdefault("ballot", (S, single[k][0]))

    # grading
    g: dict[str, Any] = {}
    r_lv, lv_vals = row("考核等次")
    g["levels"] = [s for s in (rd.key(x) for x in lv_vals) if s is not None]
    if r_lv is not None:
        rd.locs["grading"] = (S, r_lv)
    quotas: dict[str, Any] = {}
    for r, v in multi["优秀名额"]:
        k = rd.key(v[0])
        rd.locs["grading.quotas"] = rd.locs.get("grading.quotas", (S, r))
        if k is None:
            rd.err(S, r, "B", "缺少类别标识")
            continue
        if k in quotas:
            rd.err(S, r, "B", f"类别「{k}」的优秀名额重复")
        q = rd.number(v[1], (S, r, "C"), "优秀名额", integer=True)
        if q is None:
            rd.err(S, r, "C", "缺少优秀名额")
        quotas[k] = q
    g["quotas"] = quotas
    g["eligibility"] = {
        "requires_accepted_application": rd.yesno(val("须申报并通过"), at("须申报并通过"), "须申报并通过"),
        "conditions": [rd.text(v[0]) for _, v in multi["优秀条件"] if rd.text(v[0]) is not None],
    }
    vetoes = []
    for i, (r, v) in enumerate(multi["不能评优情形"]):
        rd.locs[f"grading.vetoes[{i}]"] = (S, r)
        vetoes.append({"key": rd.key(v[0]), "text": rd.text(v[1])})
    g["vetoes"] = vetoes
    coeffs: dict[str, Any] = {}
    for r, v in multi["奖励性绩效工资系数"]:
        rd.locs["grading.reward_coefficients"] = rd.locs.get("grading.reward_coefficients", (S, r))
        k = rd.text(v[0])
        if k is None:
            rd.err(S, r, "B", "缺少考核等次")
            continue
        x = rd.number(v[1], (S, r, "C"), "奖励性绩效工资系数")
        if x is None:
            rd.err(S, r, "C", "缺少奖励性绩效工资系数")
        coeffs[k] = x
    if coeffs:
        g["reward_coefficients"] = coeffs
    fr_type = rd.choice(val("不合格规则"), at("不合格规则"), "不合格规则", FAIL_LABELS)
    fr: dict[str, Any] = {"type": fr_type}
    thr = rd.number(val("不合格规则", 1), at("不合格规则", 1), "不合格分数线")
    if thr is not None:
        fr["threshold"] = thr
    g["fail_rule"] = fr
    loc("grading.fail_rule", "不合格规则")
    g["last_place"] = {"years": rd.number(val("连续末位年数"), at("连续末位年数"), "连续末位年数", integer=True),
                       "text": txt("连续末位处理") or ""}
    loc("grading.last_place", "连续末位年数")
    _, tb_vals = row("并列比较顺序")
    tb = []
    for i, x in enumerate(tb_vals):
        if rd.key(x) is None:
            continue
        tb.append(rd.choice(x, at("并列比较顺序", i), "并列比较顺序", KIND_LABELS))
    g["tie_break"] = tb
    loc("grading.tie_break", "并列比较顺序")
    d["grading"] = g
    if any(k in single for k in ("突出贡献奖规则", "突出贡献奖通过比例", "突出贡献奖说明")):
        d["award"] = {"type": rd.choice(val("突出贡献奖规则"), at("突出贡献奖规则"), "突出贡献奖规则", AWARD_LABELS),
                      "share": rd.number(val("突出贡献奖通过比例"), at("突出贡献奖通过比例"), "突出贡献奖通过比例"),
                      "text": txt("突出贡献奖说明") or ""}
        loc("award", "突出贡献奖规则")
    return d


# ---------------------------------------------------------------------------- 组成


def _read_parts_sheet(rd: Reader, ws) -> list[dict[str, Any]]:
    S = S_PARTS
    cols = header_columns(rd, ws, S, [h for h, _ in PART_COLUMNS])
    if cols is None:
        return []
    col = {key: cols[h] for h, key in PART_COLUMNS}
    cats: dict[str, dict[str, Any]] = {}
    for r in data_rows(ws):
        def cell(key: str, r: int = r):
            return restore_text(ws.cell(row=r, column=col[key]).value)

        def where(key: str, r: int = r):
            return (S, r, col_letter(col[key]))

        values = {k: cell(k) for _, k in PART_COLUMNS}
        if all(rd.text(v) is None for v in values.values()):
            continue
        ck = rd.key(values["cat"])
        if ck is None:
            rd.err(*where("cat"), "缺少类别标识")
            continue
        cat = cats.get(ck)
        cname = rd.text(values["cat_name"])
        if cat is None:
            cat = cats[ck] = {"key": ck, "name": cname, "subtypes": [], "components": [], "units": [],
                              "_row": r}
            rd.locs[f"categories[{len(cats) - 1}]"] = (S, r)
        elif cname is not None and cat["name"] is not None and cname != cat["name"]:
            rd.err(*where("cat_name"), f"类别「{ck}」的名称与第 {cat['_row']} 行不一致")
        elif cat["name"] is None:
            cat["name"] = cname
        ci = list(cats).index(ck)
        rt = rd.key(values["row_type"])
        if rt == ROW_SUBTYPE:
            s = rd.key(values["name"])
            if s is None:
                rd.err(*where("name"), "缺少单位类型名称")
            else:
                cat["subtypes"].append(s)
        elif rt == ROW_COMPONENT:
            kind = rd.choice(values["kind"], where("kind"), "组成部分类型", KIND_LABELS)
            if kind is None:
                rd.err(*where("kind"), "缺少组成部分类型（民主测评、目标考核或领导班子评价）")
            comp: dict[str, Any] = {"key": rd.key(values["key"]), "name": rd.text(values["name"]), "kind": kind,
                                    "points": rd.number(values["points"], where("points"), "分值")}
            if kind == "leader":
                parts = rd.num_map(values["extra"], where("extra"), "分项", PART_LABELS)
                comp["parts"] = parts if parts is not None else {}
                rm = rd.number(values["rating_max"], where("rating_max"), "评分满分")
                comp["rating_max"] = 100 if rm is None else rm
            if kind == "target":
                comp["indicators"] = []
            rd.locs[f"categories[{ci}].components[{len(cat['components'])}]"] = (S, r)
            cat["components"].append(comp)
        elif rt == ROW_UNIT:
            u = {"name": rd.text(values["name"]), "subtype": rd.key(values["kind"])}
            full = rd.text(values["extra"])
            if full is not None:
                u["full_name"] = full
            if u["name"] is None:
                rd.err(*where("name"), "缺少单位名称")
            rd.locs[f"categories[{ci}].units[{len(cat['units'])}]"] = (S, r)
            cat["units"].append(u)
        else:
            rd.err(
                *where("row_type"),
                f"行类型应为「{ROW_SUBTYPE}」「{ROW_COMPONENT}」或「{ROW_UNIT}」，现为「{rt or ''}」",
            )
    out = []
    for cat in cats.values():
        cat.pop("_row")
        if not cat["units"]:
            cat.pop("units")
        out.append(cat)
    return out


# ---------------------------------------------------------------------------- 指标


def _read_indicator_sheet(rd: Reader, ws, cats: list[dict[str, Any]]) -> dict[str, tuple[str, int]]:
    """Fills each category's target component; returns {indicator path: (sheet, row)}."""
    S = S_IND
    cols = header_columns(rd, ws, S, IND_REQUIRED)
    if cols is None:
        return {}
    col = {key: cols[h] for h, key in INDICATOR_COLUMNS if h in cols}
    by_label = {r.label: n for n, r in RULES.items()}
    cat_keys = {c["key"]: c for c in cats}
    cat_names = {c["name"]: c for c in cats if c.get("name")}
    nodes: list[tuple[int, dict[str, Any], str | None, dict]] = []  # (row, node, parent code, category)
    by_code: dict[str, tuple[int, dict[str, Any]]] = {}
    for r in data_rows(ws):
        def cell(key: str, r: int = r):
            return restore_text(ws.cell(row=r, column=col[key]).value)

        def where(key: str, r: int = r):
            return (S, r, col_letter(col[key]))

        if all(rd.text(cell(k)) is None for _, k in INDICATOR_COLUMNS if k != "explain" and k in col):
            continue
        code = rd.key(cell("code"))
        if code is None:
            rd.err(*where("code"), "缺少指标编码")
            continue
        if code in by_code:
            rd.err(*where("code"), f"指标编码「{code}」重复（已在第 {by_code[code][0]} 行）")
            continue
        ck = rd.key(cell("category"))
        cat = cat_keys.get(ck) or cat_names.get(ck)
        if ck is None:
            rd.err(*where("category"), "缺少类别（填「组成」表中的类别标识）")
        elif cat is None:
            rd.err(*where("category"), f"类别「{ck}」不在「组成」表中")
        n: dict[str, Any] = {"code": code, "name": rd.text(cell("name"))}
        if n["name"] is None:
            rd.err(*where("name"), "缺少指标名称")
        pts = rd.number(cell("points"), where("points"), "分值")
        if pts is None:
            rd.err(*where("points"), "缺少分值")
        n["points"] = pts
        for key in ("owner", "description", "notes"):
            v = rd.text(cell(key))
            if v is not None:
                n[key] = v.strip() if key == "owner" else v
        rule_raw = rd.key(cell("rule"))
        if rule_raw is not None:
            rule = by_label.get(rule_raw, rule_raw)
            if rule not in RULES:
                rd.err(*where("rule"), f"未知的计分规则「{rule_raw}」（可用：{'、'.join(by_label)}）")
            n["rule"] = rule
            params = rd.json_or(cell("params"), where("params"), "参数", dict)
            n["params"] = {} if params is None else params
        elif rd.text(cell("params")) is not None and rd.text(cell("params")).strip() not in ("{}",):
            rd.err(*where("params"), "填了参数但没有填规则（有下级指标的分组不填规则和参数）")
        for key, label in (("applies_to", "适用类型"), ("applies_to_units", "适用单位")):
            v = rd.str_list(cell(key), where(key), label)
            if v is not None:
                n[key] = v
        v = rd.num_map(cell("max_by_subtype"), where("max_by_subtype"), "各类型满分")
        if v is not None:
            n["max_by_subtype"] = v
        v = rd.text_map(cell("description_by_unit"), where("description_by_unit"), "分单位说明")
        if v is not None:
            n["description_by_unit"] = v
        parent = rd.key(cell("parent"))
        by_code[code] = (r, n)
        nodes.append((r, n, parent, cat))
    # link the tree
    children: dict[str, list[dict[str, Any]]] = {}
    roots: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    parent_of: dict[str, str] = {}
    for r, n, parent, cat in nodes:
        if parent is None:
            if cat is not None:
                roots.setdefault(id(cat), []).append((r, n))
            continue
        if parent not in by_code:
            rd.err(S, r, col_letter(col["parent"]), f"上级编码「{parent}」不存在")
            continue
        pr, pn = by_code[parent]
        if cat is not None:
            pcat = next((c for rr, nn, _, c in nodes if nn is pn), None)
            if pcat is not None and pcat is not cat:
                rd.err(S, r, col_letter(col["category"]), f"类别与上级指标「{parent}」（第 {pr} 行）不同")
        parent_of[n["code"]] = parent
        children.setdefault(parent, []).append(n)
    # cycles
    for code in list(parent_of):
        seen = {code}
        p = parent_of.get(code)
        while p is not None:
            if p in seen:
                rd.err(S, by_code[code][0], col_letter(col["parent"]), f"指标「{code}」的上级编码形成循环")
                break
            seen.add(p)
            p = parent_of.get(p)
    for _, n, _, _ in nodes:
        kids = children.get(n["code"])
        if kids:
            n["children"] = kids  # a node with a rule too is reported by validate_scheme
    paths: dict[str, tuple[str, int]] = {}

    def place(ns: list[dict[str, Any]], path: str) -> None:
        for i, n in enumerate(ns):
            p = f"{path}[{i}]"
            paths[p] = (S, by_code[n["code"]][0])
            if n.get("children"):
                place(n["children"], f"{p}.children")

    for ci, cat in enumerate(cats):
        rs = roots.get(id(cat), [])
        target = [(mi, m) for mi, m in enumerate(cat["components"]) if m.get("kind") == "target"]
        if not target:
            if rs:
                rd.err(S, rs[0][0], col_letter(col["category"]),
                       f"类别「{cat['key']}」在「组成」表中没有「目标考核」组成部分，不能有指标")
            continue
        mi, comp = target[0]
        comp["indicators"] = [n for _, n in rs]
        place(comp["indicators"], f"categories[{ci}].components[{mi}].indicators")
    return paths


# ---------------------------------------------------------------------------- validation mapping

_COLUMN_HINTS = [  # (words in the message, column key) — first match wins
    (("参数", "params"), "params"),
    (("计分规则", "rule"), "rule"),
    (("适用单位类型", "applies_to（"), "applies_to"),
    (("适用单位", "applies_to_units"), "applies_to_units"),
    (("max_by_subtype", "满分"), "max_by_subtype"),
    (("description_by_unit",), "description_by_unit"),
    (("编号",), "code"),
    (("名称",), "name"),
    (("分值",), "points"),
]


def _ind_column(message: str) -> str | None:
    for words, key in _COLUMN_HINTS:
        if any(w in message for w in words):
            for i, (_, k) in enumerate(INDICATOR_COLUMNS, start=1):
                if k == key:
                    return col_letter(i)
    return None


def _locate(rd: Reader, e: SchemeError) -> ImportProblem:
    path = e.path
    while True:
        if path in rd.locs:
            sheet, row = rd.locs[path]
            if e.code or e.name:
                col = _ind_column(e.message) if sheet == S_IND else None
                return ImportProblem(e.message, sheet, row, col, indicator=f"指标 {e.code or '?'}「{e.name or ''}」")
            col = "B" if sheet == S_SCHEME else None
            return ImportProblem(e.message, sheet, row, col)
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            break
        path = path[:cut]
    return ImportProblem(str(e), _sheet_of(e.path))


def _sheet_of(path: str) -> str:
    if path.startswith("categories"):
        return S_IND if ".indicators" in path else S_PARTS
    return S_SCHEME


# ---------------------------------------------------------------------------- entry point


def import_scheme(content: bytes) -> tuple[dict[str, Any] | None, list[ImportProblem]]:
    """Read a workbook written by :func:`export_scheme` (and edited). Returns ``(data, [])`` or
    ``(None, problems)``; every problem names sheet, row and column, or the indicator."""
    rd = Reader()
    try:
        wb = load_workbook_safely(content, data_only=True)
    except UnsafeWorkbook as exc:
        return None, [ImportProblem(str(exc))]
    sheets = {}
    for name in (S_SCHEME, S_PARTS, S_IND):
        if name not in wb.sheetnames:
            rd.err(None, None, None, f"工作簿缺少「{name}」表（需要「方案」「组成」「指标」三张表，表名不能改）")
            continue
        ws = wb[name]
        msg = check_worksheet_size(ws)
        if msg:
            rd.err(None, None, None, msg)
            continue
        sheets[name] = ws
    if len(sheets) < 3:
        return None, rd.problems
    d = _read_scheme_sheet(rd, sheets[S_SCHEME])
    cats = _read_parts_sheet(rd, sheets[S_PARTS])
    ind_paths = _read_indicator_sheet(rd, sheets[S_IND], cats)
    rd.locs.update(ind_paths)
    d["categories"] = cats
    # place keys in the canonical order (cosmetic: dict equality ignores order)
    order = ["format", "key", "version", "name", "period", "source", "total_points", "normalisation", "notes",
             "categories", "ballot", "grading", "award"]
    d = {k: d[k] for k in order if k in d}
    if rd.problems:
        # Still show what validation finds elsewhere, but not on rows (or sheets) already
        # reported: a value that could not be read there would only echo as a second message.
        bad_ind_rows = {row for sheet, row in rd.bad_rows if sheet == S_IND}
        clean = _strip_bad(d)
        for cat in clean.get("categories") or []:
            for comp in cat.get("components") or []:
                for n, _, _ in walk(comp.get("indicators") or []):
                    if not isinstance(n.get("points"), int | float):
                        n["points"] = 0  # reported above; validation must not trip on it
        for e in validate_safely(clean):
            p = _locate(rd, e)
            if p.sheet is None or p.sheet in rd.bad_sheets and p.sheet != S_IND:
                continue
            if p.sheet == S_IND and (p.row in bad_ind_rows or _sheet_of(e.path) != S_IND
                                     or _has_bad_descendant(e.path, ind_paths, bad_ind_rows)):
                continue
            rd.problems.append(p)
        return None, rd.problems
    errors = validate_safely(d)
    if errors:
        return None, [_locate(rd, e) for e in errors]
    return d, []


def validate_safely(d: Mapping) -> list[SchemeError]:
    """:func:`validate_scheme`, turning a crash of the validator into one error message."""
    try:
        return validate_scheme(d)
    except Exception as exc:  # the validator must not turn a bad workbook into a server error
        return [SchemeError("方案", f"方案无法检查（{type(exc).__name__}: {exc}），请核对各表的数字")]


def _has_bad_descendant(path: str, paths: Mapping[str, tuple[str, int]], bad_rows: set[int]) -> bool:
    return any(p.startswith(path) and row in bad_rows for p, (_, row) in paths.items())


def _strip_bad(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _strip_bad(v) for k, v in x.items() if v is not BAD}
    if isinstance(x, list):
        return [_strip_bad(v) for v in x if v is not BAD]
    return x
