from flask import Blueprint

bp = Blueprint("award", __name__, url_prefix="/award")

from . import routes  # noqa: E402,F401
