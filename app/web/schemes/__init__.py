from flask import Blueprint

bp = Blueprint("schemes", __name__, url_prefix="/office/schemes")

from . import routes  # noqa: E402,F401
