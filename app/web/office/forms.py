from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.models import SUBTYPES
from app.services.cycle_plan import SHIFT_MODES
from app.web.fields import SelectField

REQ = "此项必填。"


class CycleForm(FlaskForm):
    name = StringField("周期名称", validators=[DataRequired(message=REQ), Length(max=100)],
                       description="例如：2018-2019学年")
    period_start = DateField("考核期间开始", validators=[DataRequired(message="请填写有效日期。")])
    period_end = DateField("考核期间结束", validators=[DataRequired(message="请填写有效日期。")])
    scheme_id = SelectField("考核方案", coerce=int, validators=[Optional()])


class StageTimesForm(FlaskForm):
    stage_id = HiddenField()
    version = HiddenField()
    opens_at = DateTimeLocalField("开始时间", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField("结束时间", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    reminder_hours = StringField("截止前提醒（小时，逗号分隔）", validators=[Optional(), Length(max=100)])


class OverrideForm(FlaskForm):
    # a select the template fills with the cycle's stages and their states; not a HiddenField, so that
    # hidden_tag() does not post a second, empty stage_id ahead of the select (the browser sent both)
    stage_id = SelectField("阶段", validate_choice=False)
    action = SelectField("操作", choices=[("reopen", "重新开放"), ("close", "立即结束")])
    until = DateTimeLocalField("重新开放至", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    reason = TextAreaField("原因", validators=[DataRequired(message="请填写原因。"), Length(max=1000)])


class UnitForm(FlaskForm):
    version = HiddenField()  # org.unit_stamp of the unit edited
    name = StringField("单位名称", validators=[DataRequired(message=REQ), Length(max=100)])
    short_name = StringField("简称", validators=[Optional(), Length(max=40)])
    category = SelectField("类别", choices=[("college", "院部"), ("department", "部门")])
    subtype = SelectField("单位类型", choices=[(s, s) for subs in SUBTYPES.values() for s in subs])
    position = IntegerField("排序", default=0, validators=[Optional(), NumberRange(min=0, max=9999)])
    active = BooleanField("在用", default=True)
    reason = StringField("变更原因（撤销单位时必填）", validators=[Optional(), Length(max=500)])


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(message=REQ), Length(max=64)])
    display_name = StringField("姓名", validators=[DataRequired(message=REQ), Length(max=64)])
    email = StringField(
        "电子邮箱",
        validators=[Optional(), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="邮箱格式不正确。"), Length(max=255)],
    )
    employee_no = StringField("工号", validators=[Optional(), Length(max=32, message="工号最多 32 个字符。")],
                           description="统一身份认证（LDAP/CAS）按工号对应到本账号。")
    unit_id = SelectField("所在单位", coerce=int, validators=[Optional()])
    password = PasswordField(
        "初始密码", validators=[DataRequired(message=REQ), Length(min=8, max=256, message="密码至少 8 位。")]
    )


class ProfileForm(FlaskForm):
    version = HiddenField()  # accounts.profile_stamp
    display_name = StringField("姓名", validators=[DataRequired(message=REQ), Length(max=64)])
    email = UserForm.email
    employee_no = UserForm.employee_no


class RoleForm(FlaskForm):
    role = SelectField("角色", choices=[])
    unit_id = SelectField("绑定单位（填报员、评分员）", coerce=int, validators=[Optional()])
    leader_rank = SelectField("校领导职别", choices=[("", "—"), ("principal", "正职"), ("deputy", "副职")],
                              validators=[Optional()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "新密码", validators=[DataRequired(message=REQ), Length(min=8, max=256, message="密码至少 8 位。")]
    )


class ActiveForm(FlaskForm):
    active = HiddenField()
    reason = StringField("原因", validators=[DataRequired(message="请填写原因。"), Length(max=500)])


class EmptyForm(FlaskForm):
    """CSRF only."""


class OrgUploadForm(FlaskForm):
    """CSRF only; the workbook comes as the ``file`` part."""


class OrgConfirmForm(FlaskForm):
    token = HiddenField()
    fingerprint = HiddenField()


class CycleCopyForm(FlaskForm):
    """A new cycle from an earlier one (:func:`app.services.cycle_plan.copy_cycle`)."""

    source_id = SelectField("沿用的周期", coerce=int)
    name = CycleForm.name
    period_start = CycleForm.period_start
    period_end = CycleForm.period_end
    shift = SelectField("阶段时间顺延一年的方式", choices=list(SHIFT_MODES.items()), default="weekday")
    scheme_id = SelectField("考核方案", coerce=int, validators=[Optional()])
