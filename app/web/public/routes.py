"""The intranet reader's pages: no sign-in needed."""

from flask import render_template

from app.extensions import get_db
from app.security import PUBLIC, allow
from app.services import stages

from . import bp

# Links on the public front page, (label, endpoint): each blueprint appends its own when imported.
PUBLIC_LINKS: list[tuple[str, str]] = []


@bp.route("/")
@allow(PUBLIC)
def index():
    db = get_db()
    cycle = stages.current_cycle(db, with_scheme=False)  # the page shows its name, dates and stages
    timeline = stages.cycle_timeline(db, cycle) if cycle else []
    return render_template("public/index.html", cycle=cycle, timeline=timeline, links=PUBLIC_LINKS)
