from flask import redirect, render_template, url_for
from flask_login import current_user

from app.extensions import get_db, writes
from app.security import PUBLIC, SIGNED_IN, allow
from app.services import notices as notice_svc
from app.services import org_import, stages, tasks
from app.services.overview import cycle_overview
from app.web.templating import add_nav

from . import bp

add_nav("*", "我的待办", "home.index")
add_nav("*", "通知", "home.notices")


@bp.route("/")
@allow(PUBLIC)
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("public.index"))
    db = get_db()
    cycle = stages.current_cycle(db)
    timeline = stages.cycle_timeline(db, cycle) if cycle else []
    todo = tasks.tasks_for(db, current_user, cycle)
    latest = notice_svc.recent(db, current_user.id, limit=5)
    first_run = current_user.has("office") and org_import.organisation_empty(db)
    ov = cycle_overview(db, cycle) if cycle and current_user.has("office") else None
    return render_template("home/index.html", cycle=cycle, timeline=timeline, tasks=todo, notices=latest,
                           first_run=first_run, overview=ov)


@bp.route("/notices")
@allow(SIGNED_IN)
@writes
def notices():
    db = get_db()
    items = notice_svc.recent(db, current_user.id, limit=200)
    unread_ids = {n.id for n in items if n.read_at is None}
    notice_svc.mark_read(db, user_id=current_user.id)
    return render_template("home/notices.html", items=items, unread_ids=unread_ids)
