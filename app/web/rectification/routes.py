"""Rectification (整改) pages: the office's list of a cycle's tasks (open them, review plans),
a task's page (the unit's reporters write the plan; the office returns or accepts it), and a unit's
rectification history (linked from the 「连续两年末位」 flag)."""

from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from app.extensions import get_db
from app.models import Unit
from app.models.rectification import Rectification
from app.security import allow
from app.services import rectification as svc
from app.services import results
from app.services.tasks import Task, task_provider
from app.timefmt import from_local
from app.web.common import attempt, cycle_or_404, flash_form_errors, get_or_404, parse_int, to_current_cycle
from app.web.templating import add_nav

from . import bp
from .forms import OpenForm, PlanForm, ReviewForm

add_nav("office", "整改", "rectification.office_index")


def _may_see(unit_id: int) -> bool:
    return current_user.has("office") or current_user.has("group") or unit_id in current_user.units_for("reporter")


@bp.route("/rectification/")
@allow("office")
def office_index():
    return to_current_cycle("rectification.office_list")


@bp.route("/cycles/<id:cycle_id>/rectification", methods=["GET", "POST"])
@allow("office")
def office_list(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    form = OpenForm()
    if form.is_submitted():
        if form.validate():
            if attempt(svc.open_tasks, dbs, actor_id=current_user.user.id, actor_roles=set(current_user.roles),
                       cycle=cycle, plan_due=from_local(form.plan_due.data),
                       expected_version=parse_int(form.version.data), ok="已下达整改任务。", form=form):
                return redirect(url_for("rectification.office_list", cycle_id=cycle.id))
        else:
            flash_form_errors(form)
    rs = results.get_set(dbs, cycle.id)
    form.version.data = rs.version if rs else ""
    return render_template("rectification/office_list.html", cycle=cycle, form=form, rs=rs,
                           items=svc.of_cycle(dbs, cycle.id))


@bp.route("/rectification/<id:rect_id>", methods=["GET", "POST"])
@allow("office", "group", "reporter")
def detail(rect_id: int):
    dbs = get_db()
    rect = get_or_404(Rectification, rect_id)
    if not _may_see(rect.unit_id):
        abort(403)
    cycle = cycle_or_404(rect.cycle_id)
    unit = dbs.get(Unit, rect.unit_id)
    own = rect.unit_id in current_user.units_for("reporter")
    form = PlanForm()
    if own and form.is_submitted():
        if form.validate():
            if attempt(svc.submit_plan, dbs, actor_id=current_user.user.id,
                       actor_units=set(current_user.units_for("reporter")), rect=rect, causes=form.causes.data,
                       measures=form.measures.data, owner=form.owner.data, complete_by=form.complete_by.data,
                       expected_version=parse_int(form.version.data), ok="整改方案已提交，等待目标办审核。", form=form):
                return redirect(url_for("rectification.detail", rect_id=rect.id))
        else:
            flash_form_errors(form)
    elif not form.is_submitted():
        form.causes.data, form.measures.data, form.owner.data = rect.causes, rect.measures, rect.owner
        form.complete_by.data = rect.complete_by
    form.version.data = rect.version
    review = ReviewForm(prefix="r")
    review.version.data = rect.version
    return render_template("rectification/detail.html", cycle=cycle, unit=unit, rect=rect, form=form,
                           review=review, own=own)


@bp.route("/rectification/<id:rect_id>/accept", methods=["POST"])
@allow("office")
def accept(rect_id: int):
    return _review(rect_id, svc.accept_plan, "整改方案已通过。")


@bp.route("/rectification/<id:rect_id>/return", methods=["POST"])
@allow("office")
def send_back(rect_id: int):
    return _review(rect_id, svc.return_plan, "已退回，单位将收到修改意见。")


def _review(rect_id: int, fn, ok: str):
    rect = get_or_404(Rectification, rect_id)
    form = ReviewForm(prefix="r")
    attempt(fn, get_db(), actor_id=current_user.user.id, actor_roles=set(current_user.roles), rect=rect,
            comment=form.comment.data or "", expected_version=parse_int(form.version.data), ok=ok, form=form)
    return redirect(url_for("rectification.detail", rect_id=rect.id))


@bp.route("/units/<id:unit_id>/rectification")
@allow("office", "group", "reporter")
def unit_history(unit_id: int):
    dbs = get_db()
    unit = get_or_404(Unit, unit_id)
    if not _may_see(unit_id):
        abort(403)
    return render_template("rectification/unit.html", unit=unit, items=svc.of_unit(dbs, unit_id))


@task_provider
def rectification_tasks(db, identity, cycle, timeline) -> list[Task]:
    """A unit's plan to (re)submit, for its reporters."""
    tasks = []
    for rect, unit in svc.pending_for_units(db, set(identity.units_for("reporter"))):
        detail = f"{unit.name}考核等次为{rect.grade}，请分析原因、提出整改措施"
        if rect.status == "returned":
            detail = f"{unit.name}的整改方案被退回：{rect.review_comment or ''}"
        tasks.append(Task(title="提交整改方案", detail=detail, due=rect.plan_due,
                          link=url_for("rectification.detail", rect_id=rect.id), urgent=rect.status == "returned"))
    return tasks
