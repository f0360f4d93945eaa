from flask import Blueprint

bp = Blueprint("rectification", __name__)

from . import routes  # noqa: E402,F401
