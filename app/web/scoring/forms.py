"""Fixed forms of the scoring pages; the cell inputs are built from the rule's fields."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class ImportForm(FlaskForm):
    file = FileField("填好的评分模板（.xlsx）", validators=[FileRequired(message="请选择文件。")])
