"""Forms of the self-report pages: evidence (a file or a link), the office's return and
withdrawal of publication. The draft itself is posted as plain fields (see ``routes.py``)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class EvidenceForm(FlaskForm):
    """A file (read from ``request.files['file']``) or a link for an indicator (``code``) or
    for the report as a whole (empty code)."""

    code = HiddenField()
    title = StringField("材料名称", validators=[Optional(), Length(max=200)])
    url = StringField("链接", validators=[Optional(), Length(max=1000)])


class ReturnForm(FlaskForm):
    version = HiddenField()
    comment = TextAreaField("退回意见", validators=[DataRequired(message="请填写退回修改的意见。"), Length(max=4000)])


class UnpublishForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(
        "撤回公示的原因", validators=[DataRequired(message="请填写撤回公示的原因。"), Length(max=1000)]
    )
