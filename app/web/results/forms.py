from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.web.fields import SelectField

REASON_REQUIRED = "必须填写理由。"


class EmptyForm(FlaskForm):
    pass


class OverrideForm(FlaskForm):
    version = HiddenField()  # the result set's version
    unit_id = SelectField("单位", coerce=int)
    kind = SelectField("调整内容", choices=[("grade", "调整等次"), ("total", "调整总分"), ("fail", "认定不合格")])
    value = StringField("新的总分或等次", validators=[Optional(), Length(max=20)],
                        description="调整总分填分数（如 168.5）；调整等次填 优秀 / 合格 / 不合格")
    reason = TextAreaField("理由（必填，记录在结果表和操作日志中）",
                           validators=[DataRequired(message=REASON_REQUIRED), Length(max=2000)])


class FixForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField("尚有成绩暂定时仍要定稿的理由", validators=[Optional(), Length(max=2000)])


class UnfixForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(
        "撤销定稿的理由", validators=[DataRequired(message="请填写撤销定稿的理由。"), Length(max=2000)]
    )


class ObjectionForm(FlaskForm):
    text = TextAreaField(
        "异议内容及理由", validators=[DataRequired(message="请写明异议内容和理由。"), Length(max=4000)]
    )


class AnswerForm(FlaskForm):
    version = HiddenField()
    decision = SelectField("答复", choices=[("rejected", "不予采纳"), ("upheld", "异议成立，更正结果")])
    answer = TextAreaField("答复意见（理由）", validators=[DataRequired(message="请填写答复意见。"), Length(max=4000)])
    new_total = StringField("更正后的总分", validators=[Optional(), Length(max=20)])
    new_grade = SelectField("更正后的等次", choices=[("", "（不变）"), ("优秀", "优秀"), ("合格", "合格"),
                                                   ("不合格", "不合格")], validators=[Optional()])
