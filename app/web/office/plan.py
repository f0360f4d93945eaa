"""The stage plan as a whole: start a cycle from an earlier one, and set all stage times of a cycle
on one page with one save (:mod:`app.services.cycle_plan`)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import select

from app.extensions import get_db
from app.models import Cycle, Scheme
from app.security import allow
from app.services import ServiceError, StaleData, cycle_plan
from app.services.stages import STAGE_LABELS, stage_label
from app.timefmt import fmt_input, from_local
from app.web.common import EXPIRED, cycle_or_404, fail, int_arg, parse_int, posted_version

from . import bp
from .forms import CycleCopyForm


def _scheme_choices(dbs):
    schemes = list(dbs.exec(select(Scheme).order_by(Scheme.code, Scheme.version.desc())))
    return [(0, "沿用原周期的方案版本")] + [(s.id, f"{s.name} · 第 {s.version} 版") for s in schemes]


@bp.route("/cycles/copy", methods=["GET", "POST"])
@allow("office")
def cycle_copy():
    dbs = get_db()
    cycles = list(dbs.exec(select(Cycle).order_by(Cycle.period_start.desc())))
    form = CycleCopyForm()
    form.source_id.choices = [(c.id, c.name) for c in cycles]
    form.scheme_id.choices = _scheme_choices(dbs)
    if not cycles:
        flash("还没有可以沿用的周期，请先新建周期。", "info")
        return redirect(url_for("office.cycle_new"))
    source = dbs.get(Cycle, int_arg("from", cycles[0].id, label="原周期") if request.method == "GET"
                     else (form.source_id.data or 0)) or cycles[0]
    if request.method == "GET":
        form.source_id.data = source.id
        shift = request.args.get("shift")
        form.shift.data = shift if shift in cycle_plan.SHIFT_MODES else "weekday"
        form.name.data = cycle_plan.next_name(source.name)
        form.period_start.data = cycle_plan.plus_one_year(source.period_start)
        form.period_end.data = cycle_plan.plus_one_year(source.period_end)
    elif form.validate_on_submit():
        scheme = dbs.get(Scheme, form.scheme_id.data) if form.scheme_id.data else None
        try:
            cycle = cycle_plan.copy_cycle(dbs, actor_id=current_user.id, source=source, name=form.name.data,
                                          period_start=form.period_start.data, period_end=form.period_end.data,
                                          scheme=scheme, shift=form.shift.data)
        except ServiceError as exc:
            fail(exc, form)
        else:
            flash(f"已按「{source.name}」创建周期「{cycle.name}」：阶段时间已顺延一年，测评人员类别、测评规则和考核方案已沿用，"
                  "请核对各阶段时间。", "success")
            return redirect(url_for("office.cycle_plan_edit", cycle_id=cycle.id))
    elif not form.errors:
        flash(EXPIRED, "error")
    from app.services.voting import groups_of, state

    preview = [(k, p, cycle_plan.shift_time(p.opens_at, form.shift.data or "weekday"),
                cycle_plan.shift_time(p.closes_at, form.shift.data or "weekday"))
               for k, p in _ordered(cycle_plan.current_plan(dbs, source))]
    return render_template("office/cycle_copy.html", form=form, source=source, preview=preview,
                           groups=groups_of(dbs, source.id), share=state(dbs, source.id).max_excellent_share)


def _ordered(plan):
    return [(k, plan[k]) for k in STAGE_LABELS if k in plan]


def _parse_hours(text: str, kind: str) -> tuple[int, ...]:
    parts = [h.strip() for h in (text or "").replace("，", ",").split(",") if h.strip()]
    hours = [parse_int(h, minimum=1, maximum=24 * 366) for h in parts]
    if any(h is None for h in hours):
        raise ServiceError(f"「{stage_label(kind)}」的提醒时间须为截止前的正整数小时，用逗号分隔，例如 72,24。",
                           field=kind)
    return tuple(hours)


def _parse_time(raw: str | None, kind: str, label: str):
    from datetime import datetime

    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return from_local(datetime.strptime(raw, "%Y-%m-%dT%H:%M"))
    except ValueError:
        raise ServiceError(f"「{stage_label(kind)}」的{label}格式不正确，请按“年-月-日 时:分”填写。",
                           field=kind) from None


@bp.route("/cycles/<id:cycle_id>/plan", methods=["GET", "POST"])
@allow("office")
def cycle_plan_edit(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    stages = cycle_plan.stages_of(dbs, cycle)
    posted, error_kind, status = None, None, 200
    if request.method == "POST":
        posted = request.form
        if not FlaskForm().validate_on_submit():
            flash(EXPIRED, "error")
        else:
            try:
                plan, versions = {}, {}
                for kind in stages:
                    plan[kind] = cycle_plan.StagePlan(
                        _parse_time(posted.get(f"{kind}-opens_at"), kind, "开始时间"),
                        _parse_time(posted.get(f"{kind}-closes_at"), kind, "结束时间"),
                        _parse_hours(posted.get(f"{kind}-reminder_hours", ""), kind))
                    versions[kind] = posted_version(posted.get(f"{kind}-version"))
                changed = cycle_plan.set_plan(dbs, actor_id=current_user.id, cycle=cycle, plan=plan, versions=versions)
            except ServiceError as exc:
                fail(exc)
                error_kind, status = exc.field, 409 if isinstance(exc, StaleData) else 422
            else:
                flash(f"已保存全部阶段时间（{changed} 个阶段有改动）。" if changed else "阶段时间没有改动。", "success")
                return redirect(url_for("office.cycle_plan_edit", cycle_id=cycle.id))
    rows = []
    for kind, stage in _ordered(stages):
        rows.append({
            "kind": kind, "label": stage_label(kind), "version": stage.version, "error": kind == error_kind,
            "opens_at": posted.get(f"{kind}-opens_at") if posted else fmt_input(stage.opens_at),
            "closes_at": posted.get(f"{kind}-closes_at") if posted else fmt_input(stage.closes_at),
            "reminder_hours": posted.get(f"{kind}-reminder_hours") if posted
            else ",".join(str(h) for h in stage.reminder_hours or []),
        })
    return render_template("office/cycle_plan.html", cycle=cycle, rows=rows, form=FlaskForm()), status
