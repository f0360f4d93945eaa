"""Vote codes for several rater groups at once: one form (a count per group), a confirmation page
that names every batch to be generated, then all or nothing
(:func:`app.services.voting.issue_codes_for_groups`)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import get_db
from app.models.base import utcnow
from app.security import allow
from app.services import ServiceError, voting
from app.services.org import active_units
from app.web.common import EXPIRED, cycle_or_404, fail, parse_int

from . import bp


def _read(groups):
    """(counts by group id, names by group id, unit id, batch, errors) from the posted form."""
    counts, names, errors = {}, {}, []
    for g in groups:
        raw = (request.form.get(f"count-{g.id}") or "").strip()
        if not raw:
            continue
        n = parse_int(raw, minimum=0, maximum=voting.MAX_CODES_PER_BATCH)
        if n is None:
            errors.append(f"「{g.name}」的数量应为 0 至 {voting.MAX_CODES_PER_BATCH} 之间的整数。")
            continue
        counts[g.id] = n
        names[g.id] = request.form.get(f"name-{g.id}", g.name)
    unit_id = parse_int(request.form.get("unit_id") or "0") or None
    batch = (request.form.get("batch") or "").strip()[:30]
    return counts, names, unit_id, batch, errors


@bp.route("/cycles/<id:cycle_id>/codes/groups", methods=["GET", "POST"])
@allow("office")
def codes_groups(cycle_id: int):
    """GET: the form; POST: the confirmation page (nothing generated yet)."""
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    groups = voting.groups_of(dbs, cycle_id)
    units = active_units(dbs)
    if not groups:
        flash("请先设置测评人员类别。", "error")
        return redirect(url_for("voting.dashboard", cycle_id=cycle_id))
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            flash(EXPIRED, "error")
        else:
            counts, names, unit_id, batch, errors = _read(groups)
            if not errors and not any(counts.values()):
                errors.append("请至少为一个测评人员类别填写生成数量。")
            if errors:
                for e in errors:
                    flash(e, "error")
            else:
                batch = batch or utcnow().strftime("批次%Y%m%d%H%M%S")
                chosen = [(g, counts[g.id], voting.batch_label(batch, g)) for g in groups if counts.get(g.id)]
                unit = next((u for u in units if u.id == unit_id), None)
                return render_template("voting/codes_groups_confirm.html", cycle=cycle, chosen=chosen, unit=unit,
                                       batch=batch, form=FlaskForm(), total=sum(n for _, n, _ in chosen))
    return render_template("voting/codes_groups.html", cycle=cycle, groups=groups, units=units, form=FlaskForm(),
                           posted=request.form, max_codes=voting.MAX_CODES_PER_BATCH)


@bp.route("/cycles/<id:cycle_id>/codes/groups/run", methods=["POST"])
@allow("office")
def codes_groups_run(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    if not FlaskForm().validate_on_submit():
        flash(EXPIRED, "error")
        return redirect(url_for("voting.codes_groups", cycle_id=cycle_id))
    counts, names, unit_id, batch, errors = _read(voting.groups_of(dbs, cycle_id))
    try:
        if errors:
            raise ServiceError(errors[0])
        made = voting.issue_codes_for_groups(dbs, actor_id=current_user.id, cycle=cycle, counts=counts, names=names,
                                             unit_id=unit_id, batch=batch)
    except ServiceError as exc:
        fail(exc)
        return redirect(url_for("voting.dashboard", cycle_id=cycle_id))
    flash("已生成测评码：" + "；".join(f"批次「{b}」{n} 个" for b, n in made)
          + "。可在「已生成的批次」中打印测评票。", "success")
    return redirect(url_for("voting.dashboard", cycle_id=cycle_id))
