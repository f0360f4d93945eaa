"""Self-report (自查自评) pages: the reporters' drafts, the office's return and publication,
and the public report pages."""

from flask import Blueprint

bp = Blueprint("report", __name__)

from . import archive, routes  # noqa: E402,F401
