"""Results: the sheet for the office and the leadership group, publication and objections, the
public results page, exports (Excel, JSON) and history."""

from flask import Blueprint

bp = Blueprint("results", __name__)

from . import routes  # noqa: E402,F401
