"""The evaluation office's pages of the democratic rating: rater groups, roll, codes and slips,
turnout, tally, Excel export, publication."""

from flask import Blueprint

bp = Blueprint("voting", __name__, url_prefix="/voting")

from . import codes_batch, routes  # noqa: E402,F401
