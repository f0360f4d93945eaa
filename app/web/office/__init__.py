from flask import Blueprint

bp = Blueprint("office", __name__, url_prefix="/office")

from . import routes, settings  # noqa: E402,F401
