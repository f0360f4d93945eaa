"""Validation of an assessment scheme's plain dict (the format is described in
:mod:`app.rubric.scheme`): the format's constants, the error type that names a path, and
:func:`validate_scheme`, which lists every problem (never stops at the first).

Split from ``scheme.py``, which keeps the frozen model and load/dump; ``app.rubric.scheme`` re-exports
the names below, so callers import them from either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .numbers import ZERO, D, NumberError, fmt
from .rules import RULES

FORMAT = "kpi-scheme/1"
COMPONENT_KINDS = ("democratic", "target", "leader", "weighted", "bonus", "deduction")
SINGLE_KINDS = ("democratic", "target", "leader")  # each at most once per category (one workflow each)
ROUNDING_AT = ("indicator", "component", "total")
MISSING_RULES = ("category_average",)
# What each kind of component is, and what each option means: the scheme workbook's 说明 sheet
# is written from these definitions.
COMPONENT_KIND_TEXT = {
    "democratic": ("民主测评", "测评人员按测评等次（如优秀90、合格70、不合格50）评价各单位；"
                   "各类测评人员的平均值按权重合计（未设权重时全部选票平均），"
                   "折算为 平均值÷100×分值，保留两位小数。每个类别最多一个。"),
    "target": ("目标考核", "「指标」表中本类别的指标体系，按各指标的计分规则评分后合计。每个类别最多一个。"),
    "leader": ("领导班子评价", "校领导正职、副职分别评分（0～评分满分），各部分平均后按分项分值折算，"
               "保留两位小数后合计。每个类别最多一个。"),
    "weighted": ("加权计分", "负责部门为每个单位录入（或上传）一个得分，取值范围默认 0～100；折算为 "
                 "(得分−下限)÷(上限−下限)×分值。可以有任意多个，如教学工作35、科研工作25……"),
    "bonus": ("加分", "负责部门为单位录入加分（不小于0），可设上限；没有录入即不加分。不占总分的分值。"),
    "deduction": ("扣分", "负责部门为单位录入扣分，系统按负数保存（录入 2 表示扣 2 分）；可设最多扣分（上限）和"
                  "扣分后总分不低于的分数（总分下限）。没有录入即不扣分。不占总分的分值。"),
}
COMPONENT_OPTION_TEXT = [
    ("key", "标识", "组成部分的代码（英文、数字），同一类别内不重复；并列比较顺序可以写它"),
    ("name", "名称", "显示在表单、结果表和公示页上的名称"),
    ("kind", "类型", "民主测评、目标考核、领导班子评价、加权计分、加分、扣分"),
    ("points", "分值", "该部分在总分中的分值（权重）；加分、扣分不填"),
    ("owner", "负责", "录入该部分的部门名称（如 教务处），或 office（目标办）"),
    ("counts_toward_total", "计入总分", "是：计入总分；否：只显示和排名，不计入总分（如总分之外的加分）"),
    ("order", "显示顺序", "在表单、结果表、公示页上的先后顺序（整数，小的在前）"),
    ("scale", "取值范围", "加权计分的录入范围，如「0～100」或「60～100」；不填为 0～100"),
    ("cap", "上限", "加分：最多加的分；扣分：最多扣的分（正数）；不填为不封顶"),
    ("floor", "总分下限", "扣分：扣分后总分不低于此分数（如 0）；不填为不限"),
    ("missing", "无此项工作",
     "加权计分：填「按本类别平均」时，没有此项工作的单位取本类别其他单位的平均值；不填则计0分。"
     "「指标」表的同名列用于计分指标：填「按本类别平均」时，本类别中该指标不适用的单位取适用单位得分的平均值"),
]
ROUNDING_TEXT = {
    "indicator": ("逐项舍入", "每个指标、每个组成部分保留两位小数（四舍五入），总分为各部分之和（种子方案的做法）"),
    "component": ("各部分舍入", "每个组成部分保留规定的小数位数（四舍五入）一次，总分为各部分之和"),
    "total": ("只对总分舍入", "加权计分、加分、扣分不舍入，总分合计后保留规定的小数位数（四舍五入）一次"),
}
COMPONENT_FIELDS = {"key", "name", "kind", "points", "indicators", "parts", "rating_max", "owner",
                    "counts_toward_total", "order", "scale", "cap", "floor", "missing"}
FAIL_RULE_TYPES = ("below_score", "leadership_decision", "none")
NORMALISATION = ("scale", "raw")


# ----------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class SchemeError:
    """One problem in a scheme. ``code``/``name`` name the indicator when there is one."""

    path: str
    message: str
    code: str | None = None
    name: str | None = None

    def __str__(self) -> str:
        if self.code or self.name:
            return f"指标 {self.code or '?'}「{self.name or ''}」：{self.message}"
        return f"{self.path}：{self.message}"


class SchemeInvalid(ValueError):
    """Raised by :func:`load_scheme`; ``errors`` lists every problem."""

    def __init__(self, errors: list[SchemeError]):
        self.errors = errors
        super().__init__("考核方案有误：\n" + "\n".join(str(e) for e in errors))


# ----------------------------------------------------------------------------- validation


class _V:
    def __init__(self) -> None:
        self.errors: list[SchemeError] = []

    def err(self, path: str, message: str, node: Mapping | None = None) -> None:
        code = name = None
        if isinstance(node, Mapping):
            code = node.get("code") if isinstance(node.get("code"), str) else None
            name = node.get("name") if isinstance(node.get("name"), str) else None
        self.errors.append(SchemeError(path=path, message=message, code=code, name=name))

    def num(self, d: Mapping, key: str, path: str, label: str, node: Mapping | None = None, *,
            required: bool = True, min_: Decimal | int | None = 0) -> Decimal | None:
        if key not in d or d[key] is None:
            if required:
                self.err(path, f"缺少{label}（{key}）", node)
            return None
        if isinstance(d[key], bool):
            self.err(path, f"{label}（{key}）应为数字", node)
            return None
        try:
            v = D(d[key])
        except NumberError:
            self.err(path, f"{label}（{key}）应为数字，现为「{d[key]}」", node)
            return None
        if min_ is not None and v < D(min_):
            self.err(path, f"{label}（{key}）不能小于{fmt(min_)}", node)
        return v

    def text(self, d: Mapping, key: str, path: str, label: str, node: Mapping | None = None, *,
             required: bool = True) -> str | None:
        v = d.get(key)
        if v is None or v == "":
            if required:
                self.err(path, f"缺少{label}（{key}）", node)
            return None
        if not isinstance(v, str):
            self.err(path, f"{label}（{key}）应为文字", node)
            return None
        return v


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) and x for x in v)


def _node_applies(n: Mapping, subtype: str, unit: str | None) -> bool:
    at = n.get("applies_to")
    if isinstance(at, list) and subtype not in at:
        return False
    au = n.get("applies_to_units")
    return not (isinstance(au, list) and unit not in au)


def _node_max(n: Mapping, subtype: str) -> Decimal | None:
    mbs = n.get("max_by_subtype")
    try:
        if isinstance(mbs, Mapping) and subtype in mbs:
            return D(mbs[subtype])
        return D(n.get("points"))
    except NumberError:
        return None


def _effective_max(n: Mapping, subtype: str, unit: str | None) -> Decimal:
    """What a node can give a unit of ``subtype`` (and name ``unit``): 0 when it does not
    apply; a leaf's points; a group's declared reduced maximum, else the sum over its children."""
    if not _node_applies(n, subtype, unit):
        return ZERO
    children = n.get("children")
    mbs = n.get("max_by_subtype")
    try:
        if not isinstance(children, list) or not children:
            return D(n.get("points"))
        if isinstance(mbs, Mapping) and subtype in mbs:
            return D(mbs[subtype])
    except NumberError:
        return ZERO  # the node's own check reports the unreadable number
    return sum((_effective_max(c, subtype, unit) for c in children if isinstance(c, Mapping)), ZERO)


def _validate_indicator(v: _V, n: Any, path: str, cat: Mapping, codes: dict[str, str], unit_names: dict[str, str],
                        parent_subtypes: list[str]) -> None:
    if not isinstance(n, Mapping):
        v.err(path, "指标应为对象")
        return
    subtypes = [s for s in cat.get("subtypes") or [] if isinstance(s, str)]
    code = v.text(n, "code", path, "指标编号", n)
    v.text(n, "name", path, "指标名称", n)
    pts = v.num(n, "points", path, "分值", n)
    if code:
        if code in codes:
            v.err(path, f"指标编号「{code}」与 {codes[code]} 重复", n)
        codes[code] = path
    allowed = {"code", "name", "points", "owner", "rule", "params", "children", "applies_to", "applies_to_units",
               "max_by_subtype", "description", "description_by_unit", "notes", "missing"}
    for k in n:
        if k not in allowed:
            v.err(path, f"不认识的字段「{k}」", n)
    for k in ("owner", "description", "notes"):
        if n.get(k) is not None and not isinstance(n.get(k), str):
            v.err(path, f"字段 {k} 应为文字", n)
    at = n.get("applies_to")
    if at is not None:
        if not _str_list(at) or not at:
            v.err(path, "applies_to（适用单位类型）应为非空的文字列表", n)
            at = None
        else:
            for s in at:
                if s not in subtypes:
                    v.err(path, f"适用单位类型「{s}」不是本类别的单位类型（{'、'.join(subtypes)}）", n)
    au = n.get("applies_to_units")
    if au is not None:
        if not _str_list(au) or not au:
            v.err(path, "applies_to_units（适用单位）应为非空的文字列表", n)
        elif unit_names:
            for u in au:
                if u not in unit_names:
                    v.err(path, f"适用单位「{u}」不在本类别的单位名单中", n)
        else:
            v.err(path, "使用 applies_to_units 时，类别须列出 units（单位名单及其类型）", n)
    dbu = n.get("description_by_unit")
    if dbu is not None and not (isinstance(dbu, Mapping) and all(isinstance(x, str) for x in dbu.values())):
        v.err(path, "description_by_unit 应为「单位名称: 文字」的对象", n)
    my_subtypes = [s for s in parent_subtypes if at is None or s in at]

    rule = n.get("rule")
    children = n.get("children")
    if rule is not None and children:
        v.err(path, "一个指标不能既有计分规则（rule）又有下级指标（children）", n)
        return
    if rule is None:
        if n.get("missing") is not None:
            v.err(path, "无此项工作的处理（missing）只用于最底层的计分指标", n)
        if not isinstance(children, list) or not children:
            v.err(path, "指标既没有计分规则（rule）也没有下级指标（children）", n)
            return
        mbs = n.get("max_by_subtype")
        if mbs is not None:
            if not isinstance(mbs, Mapping):
                v.err(path, "max_by_subtype 应为「单位类型: 分值」的对象", n)
            else:
                for s, x in mbs.items():
                    if s not in subtypes:
                        v.err(path, f"max_by_subtype 中的「{s}」不是本类别的单位类型", n)
                    try:
                        if pts is not None and D(x) > pts:
                            v.err(path, f"{s}的满分 {fmt(D(x))} 大于本项分值 {fmt(pts)}", n)
                    except NumberError:
                        v.err(path, f"max_by_subtype 中「{s}」的分值应为数字", n)
        for i, c in enumerate(children):
            _validate_indicator(v, c, f"{path}.children[{i}]", cat, codes, unit_names, my_subtypes)
        if pts is None or any(not isinstance(c, Mapping) for c in children):
            return
        _check_sums(v, n, path, children, my_subtypes, cat, unit_names)
        return

    # leaf
    if n.get("missing") is not None and n.get("missing") not in MISSING_RULES:
        v.err(path, f"无此项工作的处理（missing）应为 {'、'.join(MISSING_RULES)}", n)
    if n.get("max_by_subtype"):
        v.err(path, "max_by_subtype 只能用于有下级指标的分组", n)
    if not isinstance(rule, str) or rule not in RULES:
        v.err(path, f"未知的计分规则「{rule}」（可用：{'、'.join(sorted(RULES))}）", n)
        return
    params = n.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        v.err(path, "params（规则参数）应为对象", n)
        return
    if pts is None:
        return
    if pts <= 0:
        v.err(path, "计分指标的分值应大于0", n)
        return
    try:
        msgs = RULES[rule].validate(params, pts)
    except Exception as exc:  # a rule validator must never crash validation
        msgs = [f"参数无法检查：{exc}"]
    for m in msgs:
        v.err(path, f"规则「{RULES[rule].label}」的参数不符合要求：{m}", n)


def _check_sums(v: _V, n: Mapping, path: str, children: list, subtypes: list[str], cat: Mapping,
                unit_names: dict[str, str]) -> None:
    """Points must add up.

    * The children's points add up to the group's points, unless the group declares a reduced
      maximum (``max_by_subtype``) for every sub-type it applies to (e.g. the 55 basic indicators
      hold 61 points and no sub-type takes all of them).
    * For every sub-type with a declared maximum, the children that apply to it add up to it.
    * When some children apply to named units only (a department's own main-work items), the
      children that apply to each named unit of the category add up to the group's maximum.
    Without a declaration, a sub-type that does not take part in some children simply has a
    smaller maximum (the sum of the children it takes part in).
    """
    def pts(c: Mapping) -> Decimal | None:
        try:
            return D(c.get("points"))
        except NumberError:
            return None

    if any(pts(c) is None for c in children):
        return
    applicable = [s for s in subtypes if _node_applies({"applies_to": n.get("applies_to")}, s, None)]
    declared = n.get("max_by_subtype") if isinstance(n.get("max_by_subtype"), Mapping) else {}
    unit_specific = any(isinstance(c.get("applies_to_units"), list) for c in children)
    group_pts = pts(n)
    if not unit_specific and not all(s in declared for s in applicable):
        full = sum((pts(c) for c in children), ZERO)
        if full != group_pts:
            v.err(path, f"下级指标分值合计 {fmt(full)}，与本项分值 {fmt(group_pts)} 不符", n)
    for s in applicable:
        if unit_specific:
            want = _node_max(n, s)
            for u in [u for u, st in unit_names.items() if st == s]:
                got = sum((_effective_max(c, s, u) for c in children), ZERO)
                if got != want:
                    v.err(path, f"单位「{u}」适用的下级指标分值合计 {fmt(got)}，与本项满分 {fmt(want)} 不符", n)
        elif s in declared:
            want = _node_max(n, s)
            got = sum((_effective_max(c, s, None) for c in children), ZERO)
            if got != want:
                v.err(path, f"「{s}」适用的下级指标分值合计 {fmt(got)}，与声明的{s}满分 {fmt(want)} 不符", n)


def validate_scheme(d: Any) -> list[SchemeError]:
    """Every problem of a scheme dict, each naming the indicator and saying what is wrong."""
    v = _V()
    if not isinstance(d, Mapping):
        return [SchemeError("方案", "考核方案应为对象")]
    if d.get("format") != FORMAT:
        v.err("format", f"方案格式应为「{FORMAT}」，现为「{d.get('format')}」")
    v.text(d, "key", "key", "方案标识")
    v.text(d, "name", "name", "方案名称")
    ver = d.get("version")
    if not isinstance(ver, int) or isinstance(ver, bool) or ver < 1:
        v.err("version", "方案版本号（version）应为正整数")
    if d.get("normalisation", "scale") not in NORMALISATION:
        v.err("normalisation", "折算方式（normalisation）应为 scale（按比例折算）或 raw（不折算）")
    total = v.num(d, "total_points", "total_points", "总分", required=False)
    cats = d.get("categories")
    if not isinstance(cats, list) or not cats:
        v.err("categories", "缺少单位类别（categories）")
        cats = []
    keys = set()
    all_keys: set = set()
    codes: dict[str, str] = {}
    for ci, cat in enumerate(cats):
        cp = f"categories[{ci}]"
        if not isinstance(cat, Mapping):
            v.err(cp, "单位类别应为对象")
            continue
        k = v.text(cat, "key", cp, "类别标识")
        v.text(cat, "name", cp, "类别名称")
        if k in keys:
            v.err(cp, f"类别标识「{k}」重复")
        keys.add(k)
        subtypes = cat.get("subtypes")
        if not _str_list(subtypes) or not subtypes:
            v.err(cp, "单位类型（subtypes）应为非空的文字列表")
            subtypes = []
        unit_names: dict[str, str] = {}
        for ui, u in enumerate(cat.get("units") or []):
            if not isinstance(u, Mapping) or not isinstance(u.get("name"), str) or u.get("subtype") not in subtypes:
                v.err(f"{cp}.units[{ui}]", "单位应有名称（name）和本类别的单位类型（subtype）")
                continue
            if u["name"] in unit_names:
                v.err(f"{cp}.units[{ui}]", f"单位「{u['name']}」重复")
            unit_names[u["name"]] = u["subtype"]
        comps = cat.get("components")
        if not isinstance(comps, list) or not comps:
            v.err(cp, "缺少考核组成部分（components）")
            continue
        kinds = []
        ckeys: set = set()
        csum = ZERO
        for mi, comp in enumerate(comps):
            mp = f"{cp}.components[{mi}]"
            if not isinstance(comp, Mapping):
                v.err(mp, "组成部分应为对象")
                continue
            ck = v.text(comp, "key", mp, "组成部分标识")
            v.text(comp, "name", mp, "组成部分名称")
            if ck in ckeys:
                v.err(mp, f"组成部分标识「{ck}」重复")
            ckeys.add(ck)
            all_keys.add(ck)
            kind = comp.get("kind")
            if kind not in COMPONENT_KINDS:
                v.err(mp, f"组成部分类型（kind）应为 {'、'.join(COMPONENT_KINDS)} 之一，现为「{kind}」")
            kinds.append(kind)
            for k in comp:
                if k not in COMPONENT_FIELDS:
                    v.err(mp, f"组成部分不认识的字段「{k}」")
            _validate_component_options(v, comp, mp, kind)
            counts = comp.get("counts_toward_total", True)
            if kind in ("bonus", "deduction"):
                p = v.num(comp, "points", mp, "分值", required=False)
                if p:
                    v.err(mp, "加分、扣分项没有分值（points 应为 0 或不填），上限用 cap")
                p = None
            else:
                p = v.num(comp, "points", mp, "分值")
            if p is not None and counts:
                csum += p
            if kind == "leader":
                parts = comp.get("parts")
                if not isinstance(parts, Mapping) or not parts:
                    v.err(mp, "领导班子评价需要 parts（正职/副职分值）")
                else:
                    try:
                        ps = sum((D(x) for x in parts.values()), ZERO)
                        if p is not None and ps != p:
                            v.err(mp, f"领导班子评价各部分分值合计 {fmt(ps)}，与本部分分值 {fmt(p)} 不符")
                    except NumberError:
                        v.err(mp, "parts 的分值应为数字")
                v.num(comp, "rating_max", mp, "评分满分", required=False, min_=1)
            if kind == "target":
                inds = comp.get("indicators")
                if not isinstance(inds, list) or not inds:
                    v.err(mp, "目标考核需要指标（indicators）")
                    continue
                for ii, ind in enumerate(inds):
                    _validate_indicator(v, ind, f"{mp}.indicators[{ii}]", cat, codes, unit_names, list(subtypes))
                if p is not None and all(isinstance(i, Mapping) for i in inds):
                    try:
                        rs = sum((D(i.get("points")) for i in inds), ZERO)
                    except NumberError:
                        rs = None
                    if rs is not None and rs != p:
                        v.err(mp, f"一级指标分值合计 {fmt(rs)}，与目标考核分值 {fmt(p)} 不符")
        for kd in SINGLE_KINDS:
            if kinds.count(kd) > 1:
                v.err(cp, f"组成部分「{kd}」出现了多次")
        if total is not None and csum != total:
            v.err(cp, f"各组成部分分值合计 {fmt(csum)}，与总分 {fmt(total)} 不符")
    _validate_policies(v, d.get("policies"))
    _validate_ballot(v, d.get("ballot"))
    _validate_grading(v, d.get("grading"), keys, all_keys)
    aw = d.get("award")
    if aw is not None:
        if not isinstance(aw, Mapping) or aw.get("type") != "majority":
            v.err("award", "突出贡献奖决定规则（award.type）目前只支持 majority（领导小组成员过半数）")
        else:
            s = v.num(aw, "share", "award", "通过比例")
            if s is not None and not (0 < s < 1):
                v.err("award", "通过比例（share）应在0到1之间")
    return v.errors


def _validate_ballot(v: _V, b: Any) -> None:
    if b is None:
        v.err("ballot", "缺少民主测评规则（ballot）")
        return
    if not isinstance(b, Mapping):
        v.err("ballot", "民主测评规则应为对象")
        return
    lv = b.get("levels")
    names = []
    if not isinstance(lv, list) or not lv:
        v.err("ballot", "民主测评等次（levels）应为非空列表")
    else:
        for i, x in enumerate(lv):
            if not isinstance(x, Mapping) or not isinstance(x.get("name"), str):
                v.err(f"ballot.levels[{i}]", "等次应有名称（name）和分值（value）")
                continue
            names.append(x["name"])
            val = v.num(x, "value", f"ballot.levels[{i}]", "等次分值")
            if val is not None and val > 100:
                v.err(f"ballot.levels[{i}]", "等次分值不能大于100")
    if b.get("excellent_level", "优秀") not in names and names:
        v.err("ballot", f"优秀等次「{b.get('excellent_level', '优秀')}」不在测评等次中")
    s = v.num(b, "max_excellent_share", "ballot", "优秀票最高比例", required=False)
    if s is not None and not (0 < s <= 1):
        v.err("ballot", "优秀票最高比例（max_excellent_share）应在0到1之间")
    for i, g in enumerate(b.get("rater_groups") or []):
        if not isinstance(g, Mapping) or not g.get("key") or not g.get("name"):
            v.err(f"ballot.rater_groups[{i}]", "测评人员类别应有 key 和 name")
            continue
        v.num(g, "weight", f"ballot.rater_groups[{i}]", "权重", required=False)


# Veto keys the product itself uses: "other" is the free 「其他（请说明）」 choice of the veto form.
RESERVED_VETO_KEYS = ("other",)


def _validate_component_options(v: _V, comp: Mapping, mp: str, kind: Any) -> None:
    """The options of the entered kinds: a weighted component's scale and missing-value rule,
    a bonus's cap, a deduction's cap and floor; the owner, the order and the counting flag."""
    if comp.get("owner") is not None and not isinstance(comp.get("owner"), str):
        v.err(mp, "负责部门（owner）应为文字")
    if not isinstance(comp.get("counts_toward_total", True), bool):
        v.err(mp, "是否计入总分（counts_toward_total）应为 true 或 false")
    order = comp.get("order")
    if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
        v.err(mp, "显示顺序（order）应为整数")
    sc = comp.get("scale")
    if sc is not None:
        if kind != "weighted":
            v.err(mp, "取值范围（scale）只用于加权计分项（weighted）")
        elif not isinstance(sc, Mapping):
            v.err(mp, "取值范围（scale）应为 {min, max}")
        else:
            lo = v.num(sc, "min", mp, "取值下限", required=False, min_=None)
            hi = v.num(sc, "max", mp, "取值上限", required=False, min_=None)
            if (lo if lo is not None else ZERO) >= (hi if hi is not None else D(100)):
                v.err(mp, "取值上限应大于取值下限")
    for key, label in (("cap", "上限"), ("floor", "总分下限")):
        if comp.get(key) is None:
            continue
        if key == "cap" and kind not in ("bonus", "deduction"):
            v.err(mp, f"{label}（{key}）只用于加分项（bonus）或扣分项（deduction）")
        elif key == "floor" and kind != "deduction":
            v.err(mp, f"{label}（{key}）只用于扣分项（deduction）")
        else:
            v.num(comp, key, mp, label, min_=0 if key == "cap" else None)
    miss = comp.get("missing")
    if miss is not None:
        if kind != "weighted":
            v.err(mp, "无此项工作的处理（missing）只用于加权计分项（weighted）")
        elif miss not in MISSING_RULES:
            v.err(mp, f"无此项工作的处理（missing）应为 {'、'.join(MISSING_RULES)}")


def _validate_policies(v: _V, p: Any) -> None:
    if p is None:
        return
    if not isinstance(p, Mapping):
        v.err("policies", "计分政策（policies）应为对象")
        return
    for k in p:
        if k != "rounding":
            v.err("policies", f"计分政策不认识的字段「{k}」")
    rd = p.get("rounding")
    if rd is None:
        return
    if not isinstance(rd, Mapping):
        v.err("policies.rounding", "舍入规则（rounding）应为对象")
        return
    if rd.get("at", "indicator") not in ROUNDING_AT:
        v.err("policies.rounding", f"舍入位置（at）应为 {'、'.join(ROUNDING_AT)} 之一")
    dec = rd.get("decimals", 2)
    if not isinstance(dec, int) or isinstance(dec, bool) or not 0 <= dec <= 4:
        v.err("policies.rounding", "保留小数位数（decimals）应为 0～4 的整数")


def _validate_grading(v: _V, g: Any, cat_keys: set, comp_keys: set = frozenset()) -> None:
    if g is None:
        v.err("grading", "缺少等次评定规则（grading）")
        return
    if not isinstance(g, Mapping):
        v.err("grading", "等次评定规则应为对象")
        return
    lv = g.get("levels", ["优秀", "合格", "不合格"])
    if not _str_list(lv) or len(lv) != 3:
        v.err("grading", "等次（levels）应为三个名称：优秀、合格、不合格")
    q = g.get("quotas")
    if not isinstance(q, Mapping):
        v.err("grading", "缺少优秀名额（quotas）")
    else:
        for k, x in q.items():
            if k not in cat_keys:
                v.err("grading.quotas", f"优秀名额中的类别「{k}」不存在")
            if not isinstance(x, int) or isinstance(x, bool) or x < 0:
                v.err("grading.quotas", f"类别「{k}」的优秀名额应为非负整数")
    fr = g.get("fail_rule", {"type": "leadership_decision"})
    if not isinstance(fr, Mapping) or fr.get("type") not in FAIL_RULE_TYPES:
        v.err("grading.fail_rule", f"不合格规则（fail_rule.type）应为 {'、'.join(FAIL_RULE_TYPES)} 之一")
    elif fr.get("type") == "below_score":
        v.num(fr, "threshold", "grading.fail_rule", "不合格分数线")
    veto_keys: set = set()
    for i, x in enumerate(g.get("vetoes") or []):
        if not isinstance(x, Mapping) or not x.get("key") or not x.get("text"):
            v.err(f"grading.vetoes[{i}]", "不能评为优秀的情形应有 key 和 text")
            continue
        if x["key"] in RESERVED_VETO_KEYS:
            v.err(f"grading.vetoes[{i}]", f"情形标识「{x['key']}」为系统保留（用于「其他（请说明）」），请改用其他标识")
        elif x["key"] in veto_keys:
            v.err(f"grading.vetoes[{i}]", f"情形标识「{x['key']}」重复")
        veto_keys.add(x["key"])
    rc = g.get("reward_coefficients")
    if rc is not None:
        levels = g.get("levels") or ["优秀", "合格", "不合格"]
        if not isinstance(rc, Mapping):
            v.err("grading.reward_coefficients", "奖励性绩效工资系数应为对象 {等次: 系数}")
        else:
            for k, x in rc.items():
                if k not in levels:
                    v.err("grading.reward_coefficients", f"奖励性绩效工资系数中的等次「{k}」不在等次列表中")
                try:
                    bad = isinstance(x, bool) or D(x) < 0
                except NumberError:
                    bad = True
                if bad:
                    v.err("grading.reward_coefficients", f"等次「{k}」的奖励性绩效工资系数应为不小于0的数字")
    tb = g.get("tie_break", ["target", "leader", "democratic"])
    if not _str_list(tb) or any(x not in COMPONENT_KINDS and x not in comp_keys for x in tb):
        v.err("grading.tie_break", "并列时的比较顺序（tie_break）只能包含组成部分的标识或类型"
              f"（{'、'.join(sorted(comp_keys | set(SINGLE_KINDS)))}）；留空表示总分相同即并列")
    lp = g.get("last_place")
    if lp is not None and (not isinstance(lp, Mapping) or not isinstance(lp.get("years"), int)):
        v.err("grading.last_place", "连续末位规则应有 years（连续年数）")
