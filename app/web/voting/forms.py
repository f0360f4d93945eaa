from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.web.fields import SelectField

REQ = "此项必填。"


class GroupForm(FlaskForm):
    group_id = HiddenField()
    key = StringField("类别代码", validators=[Optional(), Length(max=32)], description="字母、数字，如 cadre、staff")
    name = StringField("类别名称", validators=[DataRequired(message=REQ), Length(max=64)])
    weight = DecimalField("权重", validators=[Optional(), NumberRange(min=0, max=100)],
                          description="留空：各类别不加权，按全部选票平均")


class AccountsForm(FlaskForm):
    group_id = SelectField("测评人员类别", coerce=int)


class CodesForm(FlaskForm):
    group_id = SelectField("测评人员类别", coerce=int)
    count = IntegerField("数量", validators=[DataRequired(message=REQ), NumberRange(min=1, max=5000)])
    unit_id = SelectField("持票人所在单位", coerce=int, description="选定后，这批测评码的选票不含该单位（不评本单位）")
    batch = StringField("批次名称", validators=[Optional(), Length(max=40)], description="例如：教职工代表大会 第1组")


class VoidForm(FlaskForm):
    reason = StringField("作废原因", validators=[DataRequired(message="请填写作废原因。"), Length(max=200)])


class EmptyForm(FlaskForm):
    pass
