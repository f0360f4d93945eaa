from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

REQ = "此项必填。"


class OpenForm(FlaskForm):
    version = HiddenField()  # the result set's version
    plan_due = DateTimeLocalField("整改方案提交截止时间", format="%Y-%m-%dT%H:%M",
                                  validators=[DataRequired(message="请填写有效的截止时间。")])


class PlanForm(FlaskForm):
    version = HiddenField()
    causes = TextAreaField("原因分析", validators=[DataRequired(message=REQ), Length(max=5000)],
                           description="由单位主要负责人查找考核不合格的原因")
    measures = TextAreaField("整改措施", validators=[DataRequired(message=REQ), Length(max=10000)])
    owner = StringField("责任人", validators=[DataRequired(message=REQ), Length(max=100)],
                        description="例如：院长 张某某")
    complete_by = DateField("整改完成时限", validators=[DataRequired(message="请填写有效日期。")])


class ReviewForm(FlaskForm):
    version = HiddenField()
    comment = TextAreaField("审核意见", validators=[Optional(), Length(max=2000)],
                            description="退回时必填，写明需要修改之处")
