from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.models.award import AWARD_LEVELS, EXCELLENCE_CONDITIONS
from app.web.fields import SelectField

REQ = "此项必填。"


class AwardForm(FlaskForm):
    version = HiddenField()
    unit_id = SelectField("申报单位", coerce=int)
    title = StringField("成果名称", validators=[DataRequired(message=REQ), Length(max=200)],
                        description="例如：获江苏省教学成果奖一等奖")
    level = SelectField("成果级别", choices=[(x, x) for x in AWARD_LEVELS])
    achieved_on = DateField("取得日期", validators=[DataRequired(message="请填写有效日期。")])
    issuer = StringField("颁发（认定）单位", validators=[DataRequired(message=REQ), Length(max=200)],
                         description="例如：江苏省教育厅")
    description = TextAreaField("成果简介", validators=[Optional(), Length(max=4000)])
    links = TextAreaField("佐证链接（每行一个）", validators=[Optional(), Length(max=11000)])
    files = MultipleFileField("佐证文件（PDF、图片、Word、Excel）")


class ExcellenceForm(FlaskForm):
    version = HiddenField()
    unit_id = SelectField("申报单位", coerce=int)
    condition = SelectField("申报依据", choices=list(EXCELLENCE_CONDITIONS.items()))
    title = StringField("工作名称", validators=[DataRequired(message=REQ), Length(max=200)])
    description = TextAreaField("工作内容及取得的成效", validators=[DataRequired(message=REQ), Length(max=4000)])
    links = TextAreaField("佐证链接（每行一个）", validators=[Optional(), Length(max=11000)])
    files = MultipleFileField("佐证文件（PDF、图片、Word、Excel）")


class PrecheckForm(FlaskForm):
    version = HiddenField()
    decision = SelectField("初审意见", choices=[("accept", "受理，提交领导小组评审"), ("return", "退回修改")])
    reason = TextAreaField("原因（退回时必填）", validators=[Optional(), Length(max=2000)])


class DecideForm(FlaskForm):
    version = HiddenField()
    decision = SelectField("认定", choices=[("accept", "认定（具备申报优秀格次条件）"), ("reject", "不予认定")])
    reason = TextAreaField("意见和理由", validators=[DataRequired(message="请填写意见和理由。"), Length(max=2000)])


class VetoForm(FlaskForm):
    unit_id = SelectField("单位", coerce=int)
    condition = SelectField("情形", choices=[])
    other_text = StringField("其他情形的说明（选“其他”时必填）", validators=[Optional(), Length(max=500)])
    reason = TextAreaField("事实与理由", validators=[DataRequired(message="请填写事实与理由。"), Length(max=2000)])
    links = TextAreaField("佐证链接（每行一个）", validators=[Optional(), Length(max=11000)])
    files = MultipleFileField("佐证文件")


class WithdrawForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField("撤销理由", validators=[DataRequired(message="撤销须填写理由。"), Length(max=2000)])


class VoteForm(FlaskForm):
    version = HiddenField()
    approve = SelectField("表决", choices=[("1", "同意"), ("0", "不同意")])
    comment = TextAreaField("意见（可选）", validators=[Optional(), Length(max=1000)])


class EmptyForm(FlaskForm):
    """CSRF only."""
