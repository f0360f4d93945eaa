from flask import Blueprint

bp = Blueprint("office", __name__, url_prefix="/office")

from . import firstrun, orgimport, overview, plan, routes, settings  # noqa: E402,F401
