from flask_wtf import FlaskForm
from wtforms import HiddenField


class SheetForm(FlaskForm):
    """CSRF and the sheet version; the per-unit fields (score_<id>, comment_<id>) are read for
    the server's own list of units, never for ids sent by the client."""

    version = HiddenField()
