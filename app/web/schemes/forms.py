from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms.validators import DataRequired

from app.web.fields import SelectField


class UploadForm(FlaskForm):
    file = FileField("修改好的方案工作簿（.xlsx）", validators=[FileRequired(message="请选择文件。")])


class AssignForm(FlaskForm):
    cycle_id = SelectField("用于尚未开始的周期", coerce=int, validators=[DataRequired(message="请选择周期。")])


class EmptyForm(FlaskForm):
    """Only the CSRF token (the draft form's fields are per component and read by name)."""
