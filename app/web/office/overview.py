"""The office's overview of the current cycle: every stage's figures on one page (see app.services.overview)."""

from flask import render_template

from app.extensions import get_db
from app.models.base import utcnow
from app.security import allow
from app.services.overview import cycle_overview
from app.web.common import cycle_or_404, to_current_cycle
from app.web.templating import add_nav

from . import bp

add_nav("office", "工作总览", "office.overview_index")


@bp.route("/overview")
@allow("office")
def overview_index():
    return to_current_cycle("office.overview", message="目前没有考核周期。", fallback="office.cycles")


@bp.route("/cycles/<id:cycle_id>/overview")
@allow("office")
def overview(cycle_id: int):
    cycle = cycle_or_404(cycle_id)
    return render_template("office/overview.html", ov=cycle_overview(get_db(), cycle), now=utcnow())
