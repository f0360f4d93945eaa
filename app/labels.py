"""Chinese labels of the internal codes that reach users (audit log, exports): one place, so no page
or workbook shows ``cadre``, ``democratic``, ``ok``, ``override_fail`` or raw JSON. Times go
through :func:`app.timefmt.fmt_dt` (Beijing time); :func:`when` also reads ISO text."""

from datetime import datetime

from app.models.org import CATEGORY_LABELS, ROLE_LABELS
from app.timefmt import fmt_dt

LABELS = {
    # audit actions
    "accept": "受理", "accept_year_end_report": "接收年度报告", "activate": "启用", "add_accounts": "添加账号",
    "add_evidence": "添加佐证", "add_role": "添加角色", "apply": "申报", "archive": "归档", "assign_scheme": "指定方案",
    "attach": "关联", "change_password": "修改密码", "compute": "计算结果", "create": "新建", "detach": "解除关联",
    "enter_actual": "填报实际值", "finalise": "确定最终结果", "finish": "完成", "fix": "定稿", "import": "导入",
    "issue_codes": "生成测评码", "lodge": "提出异议", "login_failures": "登录失败", "open": "开放", "publish": "公示",
    "recompute": "重新计算", "record": "记录", "reimport": "重新导入", "remove": "删除", "remove_actual": "删除实际值",
    "remove_evidence": "删除佐证", "remove_role": "移除角色", "reset_password": "重置密码", "return": "退回",
    "revise": "修改", "score": "评分", "seed": "载入示例数据", "set_excellent_share": "设置优秀比例",
    "set_times": "设置阶段时间", "submit": "提交", "submit_year_end_report": "提交年度报告",
    "target_settings": "评分设置", "test_mail": "测试邮件", "unfix": "撤销定稿", "unpublish": "撤回公示",
    "update": "修改", "void_code": "作废测评码", "vote": "投票", "withdraw": "撤回", "year_end_report": "年度报告",
    "override_total": "调整总分", "override_grade": "调整等次", "override_fail": "认定不合格",
    "vote.code_locks_lifted": "解除测评码锁定", "override": "阶段调整", "close": "结束",
    "component_value": "录入组成部分得分", "component_value_clear": "清除组成部分得分", "copy_from": "沿用往年周期",
    "issue_codes_batch": "分类别批量生成测评码", "publish_batch": "批量公示", "return_batch": "批量退回",
    "target_budget": "填报项目资金", "urge": "催办",
    # audit entities
    "award_application": "突出贡献奖申报", "award_vote": "突出贡献奖表决", "cycle": "考核周期", "evidence": "佐证材料",
    "excellence_application": "优秀格次申报", "leader_rating": "领导评价", "leader_sheet": "领导评价表",
    "notice": "通知", "objection": "异议", "org": "组织机构", "rater_group": "测评人员类别", "rectification": "整改",
    "report_entry": "自查指标", "result_row": "单位结果", "result_set": "考核结果", "roll": "测评名册",
    "roll_entry": "名册条目", "scheme": "考核方案", "score_entry": "评分", "self_report": "自查报告", "stage": "阶段",
    "target_actual": "目标实际值", "target_checkpoint": "目标填报节点", "target_evidence": "目标佐证",
    "unit": "单位", "user": "用户", "veto": "否决情形", "voting": "民主测评",
    # components, rater groups, statuses, override sources
    "democratic": "民主测评", "target": "目标考核", "leader": "领导班子评价", "cadre": "中层干部",
    "staff": "教职工代表", "ok": "已评分", "missing": "未评分", "error": "数据有误", "deliberation": "领导小组审议",
    "objection_source": "异议更正",
    "draft": "草稿", "submitted": "已提交", "returned": "已退回", "proposed": "拟定", "fixed": "已定稿",
    "published": "公示中", "final": "最终结果", "status": "状态", "reason": "理由", "texts": "报告内容",
    "entries": "指标", "facts": "数据", "narrative": "情况说明", "published_flag": "已公示", "unit_name": "单位",
    "grade": "等次", "total": "总分", "changes": "变化", "fingerprint": "校验码", "provisional": "暂定单位",
    "notice_until": "公示截止", "source": "来源", "consequences": "影响", "comment": "意见", "name": "名称",
    "group": "测评人员类别", "points": "分值", "share": "比例", "count": "数量", "batch": "批次",
    "until": "截止", "since": "开始",
    **ROLE_LABELS, **CATEGORY_LABELS,
}


def label(code) -> str:
    """The Chinese label of an internal code; anything unknown as it is."""
    if code is None:
        return ""
    return LABELS.get(str(code), str(code))


def when(value) -> str:
    """A time in Beijing time (``YYYY-MM-DD HH:MM``): a datetime or ISO text (UTC when it has no zone)."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return fmt_dt(value) if isinstance(value, datetime) else ("" if value is None else str(value))


def readable(value, depth: int = 0) -> str:
    """A stored value (JSON: dicts, lists, scalars) as Chinese text: 「键：值；…」 with labelled keys and codes."""
    if isinstance(value, dict):
        if depth > 2:
            return "…"
        return "；".join(f"{label(k)}：{readable(v, depth + 1)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(readable(v, depth + 1) for v in value[:20]) + ("等" if len(value) > 20 else "")
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None:
        return "—"
    text = str(value)
    return LABELS.get(text, text) if text.isascii() else text
