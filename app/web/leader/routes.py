"""Leader evaluation (领导班子评价): the leaders' rating page and the office's progress page."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db, get_db
from app.security import allow
from app.services import ServiceError, org, reports, stages, tasks
from app.services import leader_eval as svc
from app.web.common import cycle_or_404, fail, parse_int, to_current_cycle
from app.web.templating import add_nav

from . import bp
from .forms import SheetForm

add_nav("leader", "领导班子评价", "leader.index")
add_nav("office", "领导评价进度", "leader.office_index")


@tasks.task_provider
def leader_task(dbs, identity, cycle, timeline) -> list:
    if "leader" not in identity.roles:
        return []
    state = next((st for s, st in timeline if s.kind == "leader"), None)
    if state is None or not state.is_open:
        return []
    sheet = svc.sheet_of(dbs, cycle.id, identity.id)
    total = len(org.active_units(dbs))
    rated = len(svc.ratings_of(dbs, sheet))
    done = bool(sheet and sheet.finished)
    return [tasks.Task(title="为各单位评分（领导班子评价）", detail=f"{cycle.name} · 已评 {rated}/{total} 个单位"
                       + ("，已标记完成" if done else ""), due=state.until, done=done,
                       link=url_for("leader.rate", cycle_id=cycle.id))]


def report_links(cycle_id: int, units) -> dict[int, str]:
    """Links to the units' public self-reports."""
    return {u.id: url_for("report.public_report", cycle_id=cycle_id, unit_id=u.id) for u in units}


def report_summaries(dbs, cycle_id: int) -> dict[int, str]:
    """The first lines of each unit's submitted self-report summary."""
    out = {}
    for unit_id, r in reports.reports_of_cycle(dbs, cycle_id).items():
        text = ((r.submitted_texts or {}).get("summary") or "").strip() if r.submitted_at else ""
        if text:
            out[unit_id] = text[:140] + ("…" if len(text) > 140 else "")
    return out


@bp.route("/")
@allow("leader")
def index():
    return to_current_cycle("leader.rate")


@bp.route("/cycles/<id:cycle_id>/ratings", methods=["GET", "POST"])
@allow("leader")
def rate(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    units = org.active_units(dbs)
    sheet = svc.sheet_of(dbs, cycle.id, current_user.id)
    form = SheetForm()
    errors: dict[int, str] = {}
    saved = svc.ratings_of(dbs, sheet)
    values = {uid: (str(r.score), r.comment) for uid, r in saved.items()}
    if request.method == "POST" and form.validate_on_submit():
        entries = [svc.Entry(unit_id=u.id, score=request.form.get(f"score_{u.id}", ""),
                             comment=request.form.get(f"comment_{u.id}", "")) for u in units]
        finish = request.form.get("action") == "finish"
        version = parse_int(form.version.data or "0")
        version = -1 if version is None else version  # not a number: stale, the service refuses it
        try:
            svc.save_ratings(dbs, actor_id=current_user.id, rank=current_user.leader_rank, cycle=cycle,
                             entries=entries, expected_version=version, finish=finish)
        except svc.RatingErrors as exc:
            db.rollback()
            errors = exc.errors
            flash(exc.message, "error")
            values = {e.unit_id: (e.score, e.comment) for e in entries}
        except ServiceError as exc:
            fail(exc)
            if not isinstance(exc, svc.StaleData):
                values = {e.unit_id: (e.score, e.comment) for e in entries}
        else:
            message = "已保存并标记完成，谢谢！阶段结束前仍可修改。" if finish else "已保存。可随时回来继续评分。"
            flash(message, "success")
            return redirect(url_for("leader.rate", cycle_id=cycle.id))
        sheet = svc.sheet_of(dbs, cycle.id, current_user.id)
    elif request.method == "POST":
        flash("页面已过期，请刷新后重试。", "error")
    state = stages.state_of(dbs, cycle.id, "leader")
    form.version.data = sheet.version if sheet else 0
    rated = sum(1 for u in units if (values.get(u.id) or ("",))[0].strip())
    return render_template("leader/rate.html", cycle=cycle, units=units, sheet=sheet, form=form, values=values,
                           errors=errors, state=state, rated=rated, rank=current_user.leader_rank,
                           links=report_links(cycle.id, units), summaries=report_summaries(dbs, cycle.id))


@bp.route("/office")
@allow("office")
def office_index():
    return to_current_cycle("leader.office_progress", message="目前没有考核周期。", fallback="office.cycles")


@bp.route("/office/cycles/<id:cycle_id>")
@allow("office")
def office_progress(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    state = stages.state_of(dbs, cycle.id, "leader")
    closed = svc.stage_closed(dbs, cycle)
    means = svc.unit_means(dbs, cycle) if closed else None
    history = svc.rating_history(dbs, cycle) if closed and request.args.get("history") else None
    unit_names = {u.id: u.name for u in org.active_units(dbs)}
    return render_template("leader/office.html", cycle=cycle, state=state, closed=closed,
                           progress=svc.progress(dbs, cycle), means=means, history=history, unit_names=unit_names)
