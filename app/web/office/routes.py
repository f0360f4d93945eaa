"""The evaluation office (目标办): cycles and stages, units, users, audit trail."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import func, select

from app.extensions import get_db
from app.models import ROLE_LABELS, AuditEntry, Cycle, RoleMembership, Scheme, Stage, Unit, User
from app.security import allow
from app.services import ServiceError, StaleData, accounts, org, stages
from app.services import schemes as scheme_svc
from app.timefmt import from_local
from app.web.common import (
    attempt,
    fail,
    flash_form_errors,
    form_errors,
    get_or_404,
    int_arg,
    local_naive,
    parse_int,
    posted_version,
)
from app.web.templating import add_nav

from . import bp
from .forms import (
    ActiveForm,
    CycleForm,
    OverrideForm,
    ProfileForm,
    ResetPasswordForm,
    RoleForm,
    StageTimesForm,
    UnitForm,
    UserForm,
)

add_nav("office", "考核周期", "office.cycles")
add_nav("office", "单位", "office.units")
add_nav("office", "用户与角色", "office.users")
add_nav("office", "操作日志", "office.audit")


# ---------------------------------------------------------------- cycles
@bp.route("/cycles")
@allow("office")
def cycles():
    dbs = get_db()
    items = list(dbs.exec(select(Cycle).order_by(Cycle.period_start.desc())))
    current = stages.current_cycle(dbs)
    return render_template("office/cycles.html", cycles=items, current_id=current.id if current else None,
                           scheme_names=scheme_svc.scheme_names(dbs))


@bp.route("/cycles/new", methods=["GET", "POST"])
@allow("office")
def cycle_new():
    dbs = get_db()
    schemes = list(dbs.exec(select(Scheme).order_by(Scheme.code, Scheme.version.desc())))
    form = CycleForm()
    form.scheme_id.choices = [(0, "（暂不指定）")] + [(s.id, f"{s.name} · 第 {s.version} 版") for s in schemes]
    if form.validate_on_submit():
        scheme = dbs.get(Scheme, form.scheme_id.data) if form.scheme_id.data else None
        try:
            cycle = stages.create_cycle(dbs, actor_id=current_user.id, name=form.name.data,
                                        period_start=form.period_start.data, period_end=form.period_end.data,
                                        scheme=scheme)
        except ServiceError as exc:
            fail(exc, form)
        else:
            flash(f"已创建周期「{cycle.name}」，请设置各阶段时间。", "success")
            return redirect(url_for("office.cycle_detail", cycle_id=cycle.id))
    return render_template("office/cycle_new.html", form=form)


@bp.route("/cycles/<id:cycle_id>")
@allow("office")
def cycle_detail(cycle_id: int):
    dbs = get_db()
    cycle = get_or_404(Cycle, cycle_id)
    timeline = stages.cycle_timeline(dbs, cycle)
    overrides = {s.id: stages.overrides_for(dbs, s.id) for s, _ in timeline}
    forms = {}
    for stage, _state in timeline:
        f = StageTimesForm(prefix=f"s{stage.id}")
        f.stage_id.data = stage.id
        f.version.data = stage.version
        f.opens_at.data = local_naive(stage.opens_at)
        f.closes_at.data = local_naive(stage.closes_at)
        f.reminder_hours.data = ",".join(str(h) for h in stage.reminder_hours or [])
        forms[stage.id] = f
    override_form = OverrideForm()
    return render_template("office/cycle_detail.html", cycle=cycle, timeline=timeline, forms=forms,
                           overrides=overrides, override_form=override_form, archive_form=ActiveForm(),
                           span=_timeline_span(timeline),
                           stamps={s.id: stages.stage_stamp(dbs, s) for s, _ in timeline})


def _timeline_span(timeline):
    times = [t for s, _ in timeline for t in (s.opens_at, s.closes_at) if t]
    if not times:
        return None
    start, end = min(times), max(times)
    total = (end - start).total_seconds() or 1
    bars = {}
    for s, _ in timeline:
        if s.opens_at and s.closes_at:
            left = (s.opens_at - start).total_seconds() / total * 100
            width = max(1.5, (s.closes_at - s.opens_at).total_seconds() / total * 100)
            bars[s.id] = (round(left, 2), round(min(width, 100 - left), 2))
    return {"start": start, "end": end, "bars": bars}


@bp.route("/cycles/<id:cycle_id>/archive", methods=["POST"])
@allow("office")
def cycle_archive(cycle_id: int):
    cycle = get_or_404(Cycle, cycle_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        flash_form_errors(form, "请填写原因。")
        return redirect(url_for("office.cycle_detail", cycle_id=cycle_id))
    archived = form.active.data != "1"
    attempt(
        stages.set_archived,
        get_db(),
        actor_id=current_user.id,
        cycle=cycle,
        archived=archived,
        reason=form.reason.data,
        ok=f"周期「{cycle.name}」已{'归档' if archived else '恢复为可用周期'}。",
    )
    return redirect(url_for("office.cycle_detail", cycle_id=cycle_id))


@bp.route("/cycles/<id:cycle_id>/stages/<id:stage_id>", methods=["POST"])
@allow("office")
def stage_times(cycle_id: int, stage_id: int):
    dbs = get_db()
    stage = get_or_404(Stage, stage_id)
    if stage.cycle_id != cycle_id:
        abort(404)
    form = StageTimesForm(prefix=f"s{stage.id}")
    if not form.validate_on_submit():
        flash("时间格式不正确：" + form_errors(form), "error")
        return redirect(url_for("office.cycle_detail", cycle_id=cycle_id))
    try:
        hours = [int(h) for h in (form.reminder_hours.data or "").replace("，", ",").split(",") if h.strip()]
    except ValueError:
        flash("提醒时间须为整数小时，用逗号分隔，例如 72,24。", "error")
        return redirect(url_for("office.cycle_detail", cycle_id=cycle_id))
    attempt(stages.set_stage_times, dbs, actor_id=current_user.id, stage=stage, opens_at=from_local(form.opens_at.data),
            closes_at=from_local(form.closes_at.data), reminder_hours=hours,
            expected_version=posted_version(form.version.data),
            ok=f"已保存「{stages.stage_label(stage.kind)}」的时间。")
    return redirect(url_for("office.cycle_detail", cycle_id=cycle_id))


@bp.route("/cycles/<id:cycle_id>/override", methods=["POST"])
@allow("office")
def stage_override(cycle_id: int):
    dbs = get_db()
    form = OverrideForm()
    stage_id = parse_int(form.stage_id.data)
    stage = dbs.get(Stage, stage_id) if stage_id is not None else None
    if stage is None or stage.cycle_id != cycle_id:
        abort(404)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("office.cycle_detail", cycle_id=cycle_id))
    attempt(
        stages.override_stage,
        dbs,
        actor_id=current_user.id,
        stage=stage,
        action=form.action.data,
        reason=form.reason.data,
        until=from_local(form.until.data),
        expected_stamp=request.form.get(f"stamp_{stage.id}") or None,
        ok=f"「{stages.stage_label(stage.kind)}」已{'重新开放' if form.action.data == 'reopen' else '结束'}，"
        "原因已记录。",
    )
    return redirect(url_for("office.cycle_detail", cycle_id=cycle_id))


# ---------------------------------------------------------------- units
@bp.route("/units")
@allow("office")
def units():
    items = list(get_db().exec(select(Unit).order_by(Unit.category, Unit.position, Unit.id)))
    return render_template("office/units.html", units=items, form=UnitForm())


@bp.route("/units/new", methods=["POST"])
@allow("office")
def unit_new():
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = org.create_unit(get_db(), actor_id=current_user.id, name=form.name.data, category=form.category.data,
                                   subtype=form.subtype.data, short_name=form.short_name.data or "",
                                   position=form.position.data or 0)
        except ServiceError as exc:
            fail(exc)
        else:
            flash(f"已添加单位「{unit.name}」。", "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("office.units"))


@bp.route("/units/<id:unit_id>", methods=["GET", "POST"])
@allow("office")
def unit_edit(unit_id: int):
    unit = get_or_404(Unit, unit_id)
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        try:
            org.update_unit(get_db(), actor_id=current_user.id, unit=unit, name=form.name.data,
                            category=form.category.data, subtype=form.subtype.data,
                            short_name=form.short_name.data or "", position=form.position.data or 0,
                            active=form.active.data, reason=form.reason.data,
                            expected_stamp=form.version.data or None)
        except StaleData as exc:
            fail(exc)
            return redirect(url_for("office.unit_edit", unit_id=unit.id))  # the page as it is now
        except ServiceError as exc:
            fail(exc, form)
        else:
            flash("已保存。", "success")
            return redirect(url_for("office.units"))
    if request.method == "GET":
        form.version.data = org.unit_stamp(unit)
    return render_template("office/unit_edit.html", unit=unit, form=form)


# ---------------------------------------------------------------- users
def _unit_choices(category: str | None = None):
    return [(u.id, u.name) for u in org.active_units(get_db(), category)]


@bp.route("/users")
@allow("office")
def users():
    dbs = get_db()
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role") or ""
    stmt = select(User).order_by(User.id)
    if q:
        stmt = stmt.where((User.username.contains(q)) | (User.display_name.contains(q)) | (User.employee_no == q))
    if role:
        stmt = stmt.where(User.id.in_(select(RoleMembership.user_id).where(RoleMembership.role == role)))
    page = int_arg("page", 1, label="页码", minimum=1, maximum=1_000_000)
    total = dbs.exec(select(func.count()).select_from(stmt.subquery())).one()
    items = list(dbs.exec(stmt.offset((page - 1) * 50).limit(50)))
    memberships = {}
    for m in dbs.exec(select(RoleMembership).where(RoleMembership.user_id.in_([u.id for u in items]))):
        memberships.setdefault(m.user_id, []).append(m)
    unit_names = {u.id: u.name for u in dbs.exec(select(Unit))}
    form = UserForm()
    form.unit_id.choices = [(0, "（无）")] + _unit_choices()
    return render_template("office/users.html", users=items, memberships=memberships, unit_names=unit_names,
                           form=form, q=q, role=role, page=page, pages=max(1, (total + 49) // 50), total=total)


@bp.route("/users/new", methods=["POST"])
@allow("office")
def user_new():
    form = UserForm()
    form.unit_id.choices = [(0, "（无）")] + _unit_choices()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(get_db(), actor_id=current_user.id, username=form.username.data,
                                        display_name=form.display_name.data, password=form.password.data,
                                        unit_id=form.unit_id.data or None, email=form.email.data,
                                        employee_no=form.employee_no.data)
        except ServiceError as exc:
            fail(exc)
        else:
            flash(f"已创建用户「{user.username}」，请为其分配角色。", "success")
            return redirect(url_for("office.user_edit", user_id=user.id))
    else:
        flash_form_errors(form)
    return redirect(url_for("office.users"))


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
@allow("office")
def user_edit(user_id: int):
    dbs = get_db()
    user = get_or_404(User, user_id)
    role_form = RoleForm()
    role_form.role.choices = list(ROLE_LABELS.items())
    role_form.unit_id.choices = [(0, "（无）")] + _unit_choices()
    if role_form.validate_on_submit():
        try:
            accounts.add_role(dbs, actor_id=current_user.id, user=user, role=role_form.role.data,
                              unit_id=role_form.unit_id.data or None, leader_rank=role_form.leader_rank.data or None)
        except ServiceError as exc:
            fail(exc)
        else:
            flash(f"已添加角色「{ROLE_LABELS[role_form.role.data]}」。", "success")
            return redirect(url_for("office.user_edit", user_id=user.id))
    memberships = accounts.roles_of(dbs, user.id)
    unit_names = {u.id: u.name for u in dbs.exec(select(Unit))}
    return render_template("office/user_edit.html", user=user, memberships=memberships, unit_names=unit_names,
                           role_form=role_form, reset_form=ResetPasswordForm(), active_form=ActiveForm(),
                           profile_form=ProfileForm(obj=user, version=accounts.profile_stamp(user)))


@bp.route("/users/<int:user_id>/profile", methods=["POST"])
@allow("office")
def user_profile(user_id: int):
    form = ProfileForm()
    if form.validate_on_submit():
        attempt(
            accounts.update_profile,
            get_db(),
            actor_id=current_user.id,
            user_id=user_id,
            display_name=form.display_name.data,
            email=form.email.data,
            employee_no=form.employee_no.data,
            expected_stamp=form.version.data or None,
            ok="已保存。",
        )
    else:
        flash_form_errors(form)
    return redirect(url_for("office.user_edit", user_id=user_id))


@bp.route("/users/<id:user_id>/roles/<id:membership_id>/delete", methods=["POST"])
@allow("office")
def role_delete(user_id: int, membership_id: int):
    membership = get_or_404(RoleMembership, membership_id)
    if membership.user_id != user_id:
        abort(404)
    from .forms import EmptyForm

    if EmptyForm().validate_on_submit():
        attempt(
            accounts.remove_role, get_db(), actor_id=current_user.id, membership_id=membership_id, ok="已移除角色。"
        )
    return redirect(url_for("office.user_edit", user_id=user_id))


@bp.route("/users/<id:user_id>/password", methods=["POST"])
@allow("office")
def user_reset_password(user_id: int):
    form = ResetPasswordForm()
    if form.validate_on_submit():
        attempt(
            accounts.reset_password,
            get_db(),
            actor_id=current_user.id,
            user_id=user_id,
            password=form.password.data,
            ok="密码已重置，该用户下次登录须修改密码。",
        )
    else:
        flash_form_errors(form)
    return redirect(url_for("office.user_edit", user_id=user_id))


@bp.route("/users/<id:user_id>/active", methods=["POST"])
@allow("office")
def user_active(user_id: int):
    form = ActiveForm()
    if form.validate_on_submit():
        attempt(
            accounts.set_active,
            get_db(),
            actor_id=current_user.id,
            user_id=user_id,
            active=form.active.data == "1",
            reason=form.reason.data,
            ok="已保存。",
        )
    else:
        flash_form_errors(form)
    return redirect(url_for("office.user_edit", user_id=user_id))


# ---------------------------------------------------------------- audit trail
@bp.route("/audit")
@allow("office")
def audit():
    dbs = get_db()
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    entity = request.args.get("entity") or ""
    cycle_id = int_arg("cycle_id", label="考核周期")
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if cycle_id:
        stmt = stmt.where(AuditEntry.cycle_id == cycle_id)
    page = int_arg("page", 1, label="页码", minimum=1, maximum=1_000_000)
    items = list(dbs.exec(stmt.offset((page - 1) * 100).limit(101)))
    has_next = len(items) > 100
    user_ids = {e.user_id for e in items if e.user_id}
    users_by_id = {u.id: u.display_name for u in dbs.exec(select(User).where(User.id.in_(user_ids)))}
    entities = sorted(set(dbs.exec(select(AuditEntry.entity).distinct())))
    return render_template("office/audit.html", entries=items[:100], users_by_id=users_by_id, entity=entity,
                           entities=entities, page=page, has_next=has_next, cycle_id=cycle_id,
                           failures=accounts.repeated_failures(dbs) if page == 1 else [])
