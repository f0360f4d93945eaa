"""Forms of the target-table pages. The actuals grid is read from ``request.form`` (one text,
note and version per row, re-checked against the table's rows by the service); its form class
only carries the CSRF token."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.web.fields import SelectField


class CsrfForm(FlaskForm):
    pass


class UploadForm(FlaskForm):
    unit_id = SelectField("单位", coerce=int, validators=[DataRequired(message="请选择单位。")])
    year = IntegerField("年度", validators=[DataRequired(message="请填写年度。"),
                                          NumberRange(min=2000, max=2100, message="年度须在 2000–2100 之间。")])
    project = StringField("项目名称", validators=[Optional(), Length(max=200)],
                          description="项目绩效目标表填写项目名称；单位（部门）整体目标表留空。")
    projects = BooleanField("每个工作表是一个项目（工作表上方未写“项目名称”时以工作表名作为项目名称）",
                            description="各工作表上方都写有“项目名称”时自动按项目分别导入，无需勾选。")


class BudgetForm(FlaskForm):
    version = HiddenField()
    start = StringField("年初预算数", validators=[Optional(), Length(max=20)])
    full = StringField("全年预算数", validators=[Optional(), Length(max=20)])
    half_plan = StringField("半年计划执行数", validators=[Optional(), Length(max=20)])
    half_spent = StringField("半年执行数", validators=[Optional(), Length(max=20)])
    spent = StringField("全年执行数", validators=[Optional(), Length(max=20)])


class ConfirmForm(FlaskForm):
    token = HiddenField()
    version = HiddenField()


class CheckpointForm(FlaskForm):
    year = HiddenField()
    kind = HiddenField()
    version = HiddenField()
    due_at = DateTimeLocalField("填报截止时间", format="%Y-%m-%dT%H:%M", validators=[Optional()])


class EvidenceForm(FlaskForm):
    title = StringField("材料名称", validators=[Optional(), Length(max=200)])
    url = StringField("链接", validators=[Optional(), Length(max=1000)])


# The report's narrative sections besides summary / problems / fixes (the Jiangmen document's
# structure), stored in ``TargetTableRecord.self_eval["texts"]``.
REPORT_TEXTS = ("functions", "work", "goals", "budgeting", "execution", "performance", "causes", "other")


class ReportForm(FlaskForm):
    version = HiddenField()
    summary = TextAreaField("总体完成情况（自评结论）", validators=[Optional(), Length(max=20000)],
                            description="年度目标的总体完成情况（写入自评表“实际完成情况”，报告“自评结论”）。")
    problems = TextAreaField("存在的问题", validators=[Optional(), Length(max=20000)])
    fixes = TextAreaField("改进建议", validators=[Optional(), Length(max=20000)])
    functions = TextAreaField("部门职能", validators=[Optional(), Length(max=20000)])
    work = TextAreaField("年度总体工作和重点工作任务", validators=[Optional(), Length(max=20000)])
    goals = TextAreaField("预期整体支出绩效目标", validators=[Optional(), Length(max=20000)])
    budgeting = TextAreaField("预算编制情况", validators=[Optional(), Length(max=20000)])
    execution = TextAreaField("预算执行情况", validators=[Optional(), Length(max=20000)])
    performance = TextAreaField("资金使用绩效情况", validators=[Optional(), Length(max=20000)])
    causes = TextAreaField("问题的原因", validators=[Optional(), Length(max=20000)])
    other = TextAreaField("其他自评情况", validators=[Optional(), Length(max=20000)])
    budget_start = StringField("年初预算数（万元）", validators=[Optional(), Length(max=20)])
    budget_full = StringField("全年预算数（万元）", validators=[Optional(), Length(max=20)])
    budget_spent = StringField(
        "全年执行数（万元）",
        validators=[Optional(), Length(max=20)],
        description="填写全年预算数和执行数后按预算执行率计分（按指标计分时：指标共 90 分，预算执行率 10 分）；"
        "目标表中的“预算执行率”指标改由此栏计分，不重复计分。",
    )


class ReviewForm(FlaskForm):
    version = HiddenField()
    comment = TextAreaField("审核意见", validators=[Optional(), Length(max=5000)],
                            description="退回修改时必填；通过时可留空。")
