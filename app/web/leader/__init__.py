from flask import Blueprint

bp = Blueprint("leader", __name__, url_prefix="/leader")

from . import routes  # noqa: E402,F401
