from flask import Blueprint

bp = Blueprint("targets", __name__, url_prefix="/targets")

from . import routes, year_end  # noqa: E402,F401
