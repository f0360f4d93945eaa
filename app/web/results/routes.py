"""Results pages. Who sees what:

* the result sheet (``/cycles/<id>/results``): office and leadership group, any status; opening it
  recomputes proposed results (see app/services/results.py);
* the public page, a unit's detail, the workbook and the JSON: anyone once the results are
  published (公示中 or final); before that only the office (and the group for the sheet data);
* a unit's history: anyone for published cycles; the office sees every cycle.
"""

import dataclasses
import json
import os
from collections import Counter
from decimal import Decimal

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import defer
from sqlmodel import Session, select
from werkzeug.wsgi import wrap_file

from app import charts
from app.extensions import db, get_db, own_transactions
from app.models import Cycle, Unit, User
from app.models.result import OBJECTION_STATUSES, Objection, ResultRow, ResultSet
from app.security import PUBLIC, SIGNED_IN, allow
from app.services import ServiceError, files, objections, results, results_read, stages
from app.web import heavy
from app.web.common import attempt, cycle_or_404, fail, flash_form_errors, get_or_404, parse_int
from app.web.public.routes import PUBLIC_LINKS
from app.web.templating import add_nav

from . import bp, cache
from .forms import AnswerForm, EmptyForm, FixForm, ObjectionForm, OverrideForm, UnfixForm

add_nav("office", "考核结果", "results.index")
add_nav("group", "考核结果", "results.index")
if ("考核结果公示", "results.public") not in PUBLIC_LINKS:
    PUBLIC_LINKS.append(("考核结果公示", "results.public"))


def _is(*roles) -> bool:
    return current_user.is_authenticated and current_user.has(*roles)


def _visible_or_404(cycle_id: int, *, staff=("office",)) -> tuple[Cycle, ResultSet]:
    cycle = cycle_or_404(cycle_id)
    rs = results_read.visible_set(get_db(), cycle.id, office=_is(*staff))
    if rs is None:
        abort(404)
    return cycle, rs


def _level_counts(tables, levels):
    """Per category, the democratic rating's level counts summed over its units."""
    out = []
    for t in tables:
        counts = Counter()
        for r in t["rows"]:
            for group in (r.detail.get("ballots") or {}).values():
                for level, n in group.items():
                    counts[level] += n
        out.append((t["name"], [(lv, counts.get(lv, 0)) for lv in levels]))
    return out


def _charts(rs: ResultSet, tables) -> dict:
    level_colours = ["#2f7d32", "#0b6e99", "#c62828", "#b26a00"]
    out = {"ranking": {}, "components": {}, "levels": {}}
    for t in tables:
        if not t["rows"]:
            continue
        max_total = max([sum((Decimal(c["points"]) for c in t["components"] if c.get("counts", True)), Decimal(0)),
                         *(r.total for r in t["rows"])])
        out["ranking"][t["key"]] = charts.ranking_chart(t["rows"], max_value=max_total, title=f"{t['name']}排名")
        out["components"][t["key"]] = charts.component_chart(t["rows"], t["components"],
                                                             title=f"{t['name']}各部分得分")
    for name, counts in _level_counts(tables, rs.data.get("ballot_levels") or []):
        if sum(n for _, n in counts):
            out["levels"][name] = charts.bar_chart(
                [(lv, n, level_colours[i % len(level_colours)]) for i, (lv, n) in enumerate(counts)],
                title=f"{name}民主测评等次票数", unit="票", label_width=80)
    turnout = rs.data.get("turnout") or []
    if turnout:
        out["turnout"] = charts.stacked_bars(
            [(t["name"], [t["voted"], max(0, t["roll"] - t["voted"])]) for t in turnout],
            [("已投票", "#2f7d32"), ("未投票", "#d9e2ec")], title="民主测评参与情况（人）", label_width=150)
        out["turnout_rows"] = turnout
    return out


def _overrides_by_unit(rs):
    by = {}
    names = {}
    for o in results.overrides_of(get_db(), rs):
        by.setdefault(o.unit_id, []).append(o)
        names.setdefault(o.user_id, None)
    ids = [k for k in names if k]
    users = {u.id: u.display_name for u in get_db().exec(select(User).where(User.id.in_(ids)))} if ids else {}
    return by, users


# ----------------------------------------------------------------------------- index and sheet


@bp.route("/results")
@allow(PUBLIC)
def index():
    """Every cycle with results (published ones for everybody), and a comparison across them."""
    dbs = get_db()
    staff = _is("office", "group")
    # the page shows names, statuses and each row's figures: the snapshots and the rows' details (most
    # of what these tables hold, ten cycles × 250 units of JSON) are not read
    pairs = list(dbs.exec(select(ResultSet, Cycle).join(Cycle, Cycle.id == ResultSet.cycle_id)
                          .options(defer(ResultSet.data), defer(Cycle.scheme_data)).order_by(Cycle.period_start)))
    pairs = [(rs, c) for rs, c in pairs if staff or rs.is_visible]
    all_cycles = list(dbs.exec(select(Cycle).options(defer(Cycle.scheme_data))
                               .order_by(Cycle.period_start.desc()))) if staff else []

    def comparison():  # the same for everybody who sees these sets: rendered once per state of them
        compare = {}
        if pairs:
            rows = dbs.exec(select(ResultRow.result_set_id, ResultRow.unit_id, ResultRow.unit_name, ResultRow.category,
                                   ResultRow.total, ResultRow.rank, ResultRow.grade)
                            .where(ResultRow.result_set_id.in_([rs.id for rs, _ in pairs])))
            by_set = {rs.id: i for i, (rs, _) in enumerate(pairs)}
            for r in rows:
                cat = compare.setdefault(r.category, {})
                cat.setdefault((r.unit_id, r.unit_name), [None] * len(pairs))[by_set[r.result_set_id]] = r
        return render_template("results/_compare.html", pairs=pairs, compare=compare, names=[c.name for _, c in pairs])

    name = f"{'staff' if staff else 'all'}-{cache.state_of_many([(rs, c) for rs, c in pairs])}-compare"
    return render_template("results/index.html", pairs=pairs, all_cycles=all_cycles, staff=staff,
                           compare_html=Markup(cache.fragment(name, comparison)))


def _refreshed(dbs, cycle: Cycle) -> results.Refresh:
    """``results.refresh`` for the sheet. Opening it mostly finds the results current (or fixed):
    then the request stays a reader and the check runs in it. Only a recomputation that writes
    runs in a writer's transaction of its own, so that opening the sheet never holds SQLite's
    write lock while it reads and renders 250 rows (eight people opening it queued one behind
    another, and the vote's writes behind them)."""
    outcome = results.refresh_read_only(dbs, cycle)
    if outcome is not None:
        return outcome
    with Session(db.writer, expire_on_commit=False) as w:
        out = results.refresh(w, cycle=w.get(Cycle, cycle.id), actor_id=current_user.id)
        w.commit()
    dbs.rollback()  # a new read snapshot, which sees what was just written
    return dataclasses.replace(out, result_set=results.get_set(dbs, cycle.id))


@bp.route("/cycles/<id:cycle_id>/results")
@allow("office", "group")
@own_transactions
def sheet(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    outcome = None
    try:
        outcome = _refreshed(dbs, cycle)
    except ServiceError as exc:
        flash(exc.message, "error")
        rs = results.get_set(dbs, cycle.id)
        if rs is None:
            return render_template("results/sheet.html", cycle=cycle, rs=None, tables=[])
    rs = outcome.result_set if outcome else results.get_set(dbs, cycle.id)
    overrides, users = _overrides_by_unit(rs)
    stamp = results_read.export_stamp(dbs, rs)  # the overrides and the objections per status
    tables_html, choices, provisional = _sheet_tables(cycle, rs, overrides, stamp)
    form = OverrideForm(version=rs.version)
    form.unit_id.choices = [tuple(c) for c in choices]
    states = {k: stages.state_of(dbs, cycle.id, k) for k in ("deliberation", "publication")}
    open_objections = dict(stamp[2]).get("open", 0)
    return render_template(
        "results/sheet.html",
        cycle=cycle,
        rs=rs,
        outcome=outcome,
        overrides=overrides,
        users=users,
        form=form,
        fix_form=FixForm(version=rs.version),
        unfix_form=UnfixForm(version=rs.version),
        empty=EmptyForm(),
        states=states,
        tables_html=tables_html,
        provisional=provisional,
        open_objections=open_objections,
    )


def _sheet_tables(cycle: Cycle, rs: ResultSet, overrides: dict, stamp: tuple) -> tuple[Markup, list, bool]:
    """The sheet's result tables and charts (HTML), the override form's unit choices and whether
    any row is provisional: the same for everybody who opens the sheet, so built once per state
    of the set (as the public page's tables: ``cache.state`` with ``stamp``, results_read.export_stamp)."""
    dbs = get_db()
    name = f"{rs.id}-{cache.state(rs, cycle, *stamp)}"
    built = {}

    def tables():
        if "tables" not in built:
            built["tables"] = results_read.category_tables(dbs, rs, full=False)
        return built["tables"]

    def body():
        t = tables()
        return render_template("results/_sheet_tables.html", cycle=cycle, tables=t, overrides=overrides,
                               charts=_charts(rs, t))

    def meta():
        rows = [r for t in tables() for r in t["rows"]]
        return json.dumps({"choices": [(r.unit_id, f"{r.unit_name}（{r.grade}，{r.total}分）") for r in rows],
                           "provisional": any(r.provisional for r in rows)}, ensure_ascii=False)

    html = cache.fragment(f"{name}-sheet", body)
    info = json.loads(cache.fragment(f"{name}-sheetmeta", meta))
    return Markup(html), info["choices"], info["provisional"]


@bp.route("/cycles/<id:cycle_id>/results/recompute", methods=["POST"])
@allow("office")
def recompute(cycle_id: int):
    cycle = cycle_or_404(cycle_id)
    if EmptyForm().validate_on_submit():
        try:
            out = results.refresh(get_db(), cycle=cycle, actor_id=current_user.id,
                                  expected_version=parse_int(request.form.get("version")))
        except ServiceError as exc:
            fail(exc)
        else:
            if out.drift:
                flash("结果已定稿，不再重新计算；当前数据与定稿时的差异见页面提示。", "warning")
            elif out.changed:
                flash(f"已重新计算，有 {len(out.changes)} 处变化。", "success")
            else:
                flash("已重新计算，结果没有变化。", "success")
    return redirect(url_for("results.sheet", cycle_id=cycle_id))


@bp.route("/cycles/<id:cycle_id>/results/override", methods=["POST"])
@allow("group")
def override(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    form = OverrideForm()
    rs = results.get_set(dbs, cycle.id)
    rows = results.rows_of(dbs, rs, with_detail=False) if rs else []
    form.unit_id.choices = [(r.unit_id, r.unit_name) for r in rows]
    if not form.validate_on_submit():
        flash_form_errors(form, "请检查填写内容。")
        return redirect(url_for("results.sheet", cycle_id=cycle_id))
    attempt(
        results.add_override,
        dbs,
        actor_id=current_user.id,
        cycle=cycle,
        unit_id=form.unit_id.data,
        kind=form.kind.data,
        value=(form.value.data or "").strip(),
        reason=form.reason.data,
        expected_version=parse_int(form.version.data),
        ok="调整已记录，理由显示在结果表中。",
    )
    return redirect(url_for("results.sheet", cycle_id=cycle_id))


@bp.route("/cycles/<id:cycle_id>/results/fix", methods=["POST"])
@allow("office")
def fix(cycle_id: int):
    cycle = cycle_or_404(cycle_id)
    form = FixForm()
    if form.validate_on_submit():
        attempt(results.fix, get_db(), actor_id=current_user.id, cycle=cycle,
                expected_version=parse_int(form.version.data),
                accept_provisional_reason=form.reason.data, ok="考核结果已定稿。此后只有记录理由的更正才能改变结果。")
    return redirect(url_for("results.sheet", cycle_id=cycle_id))


@bp.route("/cycles/<id:cycle_id>/results/unfix", methods=["POST"])
@allow("office")
def unfix(cycle_id: int):
    cycle = cycle_or_404(cycle_id)
    form = UnfixForm()
    if not form.validate_on_submit():
        flash_form_errors(form, "请填写撤销定稿的理由。")
    else:
        attempt(results.unfix, get_db(), actor_id=current_user.id, cycle=cycle, reason=form.reason.data,
                expected_version=parse_int(form.version.data),
                ok="已撤销定稿：结果恢复为拟定状态，打开本页或重新计算时按最新数据更新。")
    return redirect(url_for("results.sheet", cycle_id=cycle_id))


@bp.route("/cycles/<id:cycle_id>/results/publish", methods=["POST"])
@allow("office")
def publish(cycle_id: int):
    cycle = cycle_or_404(cycle_id)
    if EmptyForm().validate_on_submit():
        try:
            rs = results.publish(get_db(), actor_id=current_user.id, cycle=cycle,
                                 expected_version=parse_int(request.form.get("version")))
        except ServiceError as exc:
            fail(exc)
        else:
            from app.timefmt import fmt_dt

            flash(f"考核结果已公示，公示期至 {fmt_dt(rs.notice_until)}。", "success")
    return redirect(url_for("results.sheet", cycle_id=cycle_id))


@bp.route("/cycles/<id:cycle_id>/results/finalise", methods=["POST"])
@allow("office")
def finalise(cycle_id: int):
    cycle = cycle_or_404(cycle_id)
    if EmptyForm().validate_on_submit():
        attempt(results.finalise, get_db(), actor_id=current_user.id, cycle=cycle,
                expected_version=parse_int(request.form.get("version")), ok="公示结束，考核结果已最终确定。")
    return redirect(url_for("results.objections_page", cycle_id=cycle_id))


# ----------------------------------------------------------------------------- public page and unit detail


@bp.route("/cycles/<id:cycle_id>/results/public")
@allow(PUBLIC)
def public(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    rs = results_read.visible_set(dbs, cycle.id)
    if rs is None:
        return render_template("results/public.html", cycle=cycle, rs=None, tables=[]), 200

    def body():  # the same for everybody: rendered once per state of the set (250 rows, the charts)
        tables = results_read.category_tables(dbs, rs, full=False)
        overrides, _users = _overrides_by_unit(rs)
        return render_template("results/_public_body.html", cycle=cycle, rs=rs, tables=tables,
                               charts=_charts(rs, tables), overrides=overrides,
                               policy_lines=results_read.policy_lines(rs))

    name = f"{rs.id}-{cache.state(rs, cycle, *results_read.export_stamp(dbs, rs))}-public"
    return render_template("results/public.html", cycle=cycle, rs=rs, body=Markup(cache.fragment(name, body)))


@bp.route("/cycles/<id:cycle_id>/results/units/<id:unit_id>")
@allow(PUBLIC)
def unit_detail(cycle_id: int, unit_id: int):
    dbs = get_db()
    cycle, rs = _visible_or_404(cycle_id, staff=("office", "group"))
    row = dbs.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id, ResultRow.unit_id == unit_id)).first()
    if row is None:
        abort(404)
    overrides, users = _overrides_by_unit(rs)
    objs = results.objections_of(dbs, rs, unit_id) if _is("office") else []
    cat = next((c for c in rs.data.get("categories", []) if c["key"] == row.category), None)
    chart = charts.component_chart([row], cat["components"], title="各部分得分") if cat else None
    can_object = (rs.status == "published" and current_user.is_authenticated
                  and stages.state_of(dbs, cycle.id, "publication").is_open)
    return render_template("results/unit.html", cycle=cycle, rs=rs, row=row, overrides=overrides.get(unit_id, []),
                           users=users, objections=objs, chart=chart, can_object=can_object,
                           objection_form=ObjectionForm(), levels=rs.data.get("ballot_levels") or [],
                           ballots=results_read.ballots_shown(rs, row.detail.get("ballots")))


# ----------------------------------------------------------------------------- objections


@bp.route("/cycles/<id:cycle_id>/results/units/<id:unit_id>/objection", methods=["POST"])
@allow(SIGNED_IN)
def lodge(cycle_id: int, unit_id: int):
    cycle = cycle_or_404(cycle_id)
    form = ObjectionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        attempt(
            objections.lodge,
            get_db(),
            user_id=current_user.id,
            cycle=cycle,
            unit_id=unit_id,
            text=form.text.data,
            ok="异议已提交，目标办将在公示期内答复，答复会通知您。",
        )
    return redirect(url_for("results.unit_detail", cycle_id=cycle_id, unit_id=unit_id))


@bp.route("/cycles/<id:cycle_id>/objections")
@allow("office")
def objections_page(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    rs = results.get_set(dbs, cycle.id)
    items = results.objections_of(dbs, rs) if rs else []
    names = {u.id: u.name for u in dbs.exec(select(Unit))}
    users = {u.id: u.display_name for u in dbs.exec(select(User).where(
        User.id.in_({o.user_id for o in items} | {o.answered_by_id for o in items if o.answered_by_id})))}
    forms = {o.id: AnswerForm(prefix=f"o{o.id}", version=o.version) for o in items if o.status == "open"}
    state = stages.state_of(dbs, cycle.id, "publication")
    return render_template("results/objections.html", cycle=cycle, rs=rs, items=items, names=names, users=users,
                           forms=forms, state=state, empty=EmptyForm(), labels=OBJECTION_STATUSES)


@bp.route("/objections/<id:objection_id>/answer", methods=["POST"])
@allow("office")
def answer(objection_id: int):
    dbs = get_db()
    obj = get_or_404(Objection, objection_id)
    rs = dbs.get(ResultSet, obj.result_set_id)
    form = AnswerForm(prefix=f"o{obj.id}")
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        attempt(objections.answer, dbs, actor_id=current_user.id, objection=obj, decision=form.decision.data,
                answer_text=form.answer.data, new_total=form.new_total.data,
                new_grade=form.new_grade.data,
                expected_version=parse_int(form.version.data), ok="已答复。")
    return redirect(url_for("results.objections_page", cycle_id=rs.cycle_id))


# ----------------------------------------------------------------------------- exports


@bp.route("/cycles/<id:cycle_id>/results.xlsx")
@allow(PUBLIC)
def workbook(cycle_id: int):
    from app.sheets.results import build_workbook

    dbs = get_db()
    cycle, rs = _visible_or_404(cycle_id, staff=("office", "group"))
    # kept per state of the set (like the JSON): a download of a kept workbook does not build the
    # payload (6 MB) at all, and a build is one of the worker's heavy exports
    state = cache.state(rs, cycle, *results_read.export_stamp(dbs, rs))
    try:
        fh = cache.cached_file(f"{rs.id}-{state}-xlsx",
                               lambda: build_workbook(results_read.export_payload(dbs, rs, cycle)), large=True)
    except heavy.Busy:
        return heavy.busy_response()
    resp = send_file(fh, as_attachment=True, download_name=f"{cycle.name}考核结果.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp.content_length = os.fstat(fh.fileno()).st_size
    return resp


@bp.route("/cycles/<id:cycle_id>/results/reward-pay.xlsx")
@allow("office")
def reward_pay(cycle_id: int):
    import io

    from app.services import reward_pay as reward_svc
    from app.sheets.reward_pay import build_reward_workbook

    cycle = cycle_or_404(cycle_id)
    try:
        rows = reward_svc.reward_rows(get_db(), cycle=cycle, actor_roles=set(current_user.roles))
    except ServiceError as exc:
        fail(exc)
        return redirect(url_for("results.sheet", cycle_id=cycle.id))
    data = files.kept("reward-pay", (cycle.name, rows), lambda: build_reward_workbook(cycle.name, rows))
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"{cycle.name}奖励性绩效工资名单.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/api/cycles/<id:cycle_id>/results.json")
@allow(PUBLIC)
def api_json(cycle_id: int):
    cycle = get_db().get(Cycle, cycle_id)
    if cycle is None:
        return jsonify({"error": "not_found", "message": "周期不存在。"}), 404
    rs = results_read.visible_set(get_db(), cycle.id, office=_is("office"))
    if rs is None:
        return jsonify({"error": "not_published", "message": "该周期的考核结果尚未公示。"}), 404
    details = request.args.get("details", "1") != "0"
    # serialised once per state of the set into the instance folder and sent from there: the same
    # bytes as jsonify gives, without building the payload (6 MB at 250 units) on every request
    name = f"{rs.id}-{cache.state(rs, cycle, *results_read.export_stamp(get_db(), rs))}-{int(details)}.json"
    try:
        fh = cache.cached_file(name, lambda: jsonify(results_read.export_payload(
            get_db(), rs, cycle, with_details=details)).get_data(), large=True)
    except heavy.Busy:
        return heavy.busy_response(as_json=True)
    resp = current_app.response_class(wrap_file(request.environ, fh), mimetype="application/json",
                                      direct_passthrough=True)
    resp.content_length = os.fstat(fh.fileno()).st_size
    return resp


# ----------------------------------------------------------------------------- history


@bp.route("/units/<id:unit_id>/history")
@allow(PUBLIC)
def unit_history(unit_id: int):
    dbs = get_db()
    unit = get_or_404(Unit, unit_id)
    items = results_read.unit_history(dbs, unit_id, include_unpublished=_is("office"),
                                      counts_memo=current_app.extensions.setdefault("results_counts", {}))
    chart = None
    if items:
        chart = charts.line_chart([(i["cycle"].name, i["row"].total) for i in items],
                                  max_value=200, min_value=100 if all(i["row"].total >= 100 for i in items) else 0,
                                  title=f"{unit.name}历年总分",
                                  notes=[f"第{i['row'].rank}名/{i['of']} {i['row'].grade}" for i in items])
    mine = _is("reporter") and unit_id in current_user.units_for("reporter")
    return render_template("results/history.html", unit=unit, items=items, chart=chart, mine=mine)

