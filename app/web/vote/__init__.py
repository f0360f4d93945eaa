"""The ballot: by one-time code (no sign-in) or by a voter account; the public results and
receipt list after publication; and ``/healthz``."""

from flask import Blueprint

bp = Blueprint("vote", __name__)

from . import routes  # noqa: E402,F401
