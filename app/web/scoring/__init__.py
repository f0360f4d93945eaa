"""Target scoring (目标考核评分): owners' grids, the cell page with live preview, the office's
progress view, and the Excel template round trip."""

from flask import Blueprint

bp = Blueprint("scoring", __name__, url_prefix="/scoring")

from . import routes  # noqa: E402,F401
