"""Contribution award and excellence eligibility: the units' applications, the office's
pre-check, excellence decisions on the group's behalf, vetoes, decisions, the public list and
evidence files."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import get_db
from app.models import Unit
from app.models.award import AttachedFile, AwardApplication, ExcellenceApplication, Veto
from app.security import PUBLIC, allow
from app.services import ServiceError, attachments, files, inputs, org, stages, tasks
from app.services import awards as award_svc
from app.services import eligibility as elig_svc
from app.web.common import EXPIRED, attempt, cycle_or_404, fail, flash_form_errors, get_or_404, parse_int, safe_next
from app.web.public.routes import PUBLIC_LINKS
from app.web.templating import add_nav

from . import bp
from .forms import AwardForm, DecideForm, EmptyForm, ExcellenceForm, PrecheckForm, VetoForm, WithdrawForm

add_nav("reporter", "评奖评优申报", "award.mine")
add_nav("office", "突出贡献奖初审", "award.office_index")
add_nav("office", "评优资格与否决", "award.office_excellence_index")
if ("突出贡献奖获奖单位", "award.public_list") not in PUBLIC_LINKS:
    PUBLIC_LINKS.append(("突出贡献奖获奖单位", "award.public_list"))


@tasks.task_provider
def reporter_task(dbs, identity, cycle, timeline) -> list:
    if "reporter" not in identity.roles:
        return []
    state = next((st for s, st in timeline if s.kind == "award"), None)
    if state is None or not state.is_open:
        return []
    units = identity.units_for("reporter")
    apps = award_svc.applications(dbs, cycle, unit_ids=units)
    returned = [a for a, _ in apps if a.status == "returned"]
    out = [tasks.Task(title="申报突出贡献奖、优秀格次（自愿）",
                      detail=f"{cycle.name} · 已申报突出贡献奖 {len(apps)} 项", due=state.until,
                      link=url_for("award.mine", cycle_id=cycle.id), done=bool(apps) and not returned)]
    for a in returned:
        out.append(
            tasks.Task(
                title=f"修改被退回的申报「{a.title}」",
                detail=f"退回原因：{a.return_reason}",
                due=state.until,
                link=url_for("award.edit", application_id=a.id),
                urgent=True,
            )
        )
    return out


def _current_cycle_id() -> int | None:
    cycle = stages.current_cycle(get_db())
    return cycle.id if cycle else None


def _my_units() -> set[int]:
    return current_user.units_for("reporter")


def _unit_choices(unit_ids) -> list[tuple[int, str]]:
    if not unit_ids:
        return []
    from sqlmodel import select

    return [(u.id, u.name) for u in get_db().exec(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.id))]


def _own_application(application_id: int) -> AwardApplication:
    """The reporter's own unit's application; another unit's is 404 (it does not exist for them)."""
    app_ = get_db().get(AwardApplication, application_id)
    if app_ is None or app_.unit_id not in _my_units():
        abort(404)
    return app_


def _attach_files(dbs, form_field, owner: str, owner_id: int, cycle_id: int) -> int:
    n = 0
    for storage in form_field.data or []:
        if not getattr(storage, "filename", ""):
            continue
        attachments.attach(dbs, actor_id=current_user.id, owner=owner, owner_id=owner_id, cycle_id=cycle_id,
                           filename=storage.filename, data=files.read(storage))
        n += 1
    return n


def _version(form) -> int:
    n = parse_int(form.version.data or "0")
    return -1 if n is None else n  # not a number: stale, the service refuses it


# ---------------------------------------------------------------- the unit's applications
def _award_fields(form) -> dict:
    """What an award application form says, as the award service takes it."""
    return {"title": form.title.data, "level": form.level.data, "achieved_on": form.achieved_on.data,
            "issuer": form.issuer.data, "description": form.description.data,
            "links": inputs.parse_links(form.links.data)}


@bp.route("/")
@bp.route("/cycles/<id:cycle_id>")
@allow("reporter")
def mine(cycle_id: int | None = None):
    dbs = get_db()
    cycle_id = cycle_id or _current_cycle_id()
    if cycle_id is None:
        flash("目前没有进行中的考核周期。", "info")
        return redirect(url_for("home.index"))
    cycle = cycle_or_404(cycle_id)
    units = _my_units()
    apps = award_svc.applications(dbs, cycle, unit_ids=units)
    excellence = [(elig_svc.application_of(dbs, cycle.id, uid), uid) for uid in sorted(units)]
    files = {a.id: attachments.files_of(dbs, "award", a.id) for a, _ in apps}
    decisions = {d["application_id"]: d for d in award_svc.award_decisions(dbs, cycle)
                 if d["unit_id"] in units} if award_svc.stage_closed(dbs, cycle.id) else {}
    return render_template("award/mine.html", cycle=cycle, apps=apps, files=files, excellence=excellence,
                           unit_names=dict(_unit_choices(units)), state=stages.state_of(dbs, cycle.id, "award"),
                           decisions=decisions)


@bp.route("/cycles/<id:cycle_id>/new", methods=["GET", "POST"])
@allow("reporter")
def new(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    form = AwardForm()
    form.unit_id.choices = _unit_choices(_my_units())
    if form.validate_on_submit():
        try:
            app_ = award_svc.apply(dbs, actor_id=current_user.id, actor_units=_my_units(), cycle=cycle,
                                   unit_id=form.unit_id.data, **_award_fields(form))
            _attach_files(dbs, form.files, "award", app_.id, cycle.id)
        except ServiceError as exc:
            fail(exc, form)
        else:
            flash("已提交申报，等待目标办初审。", "success")
            return redirect(url_for("award.mine", cycle_id=cycle.id))
    elif request.method == "POST":
        flash_form_errors(form, EXPIRED)
    return render_template("award/edit.html", cycle=cycle, form=form, application=None, files=[])


@bp.route("/applications/<id:application_id>/edit", methods=["GET", "POST"])
@allow("reporter")
def edit(application_id: int):
    dbs = get_db()
    app_ = _own_application(application_id)
    cycle = cycle_or_404(app_.cycle_id)
    form = AwardForm(obj=app_) if request.method == "GET" else AwardForm()
    form.unit_id.choices = _unit_choices({app_.unit_id})
    if request.method == "GET":
        form.links.data = "\n".join(app_.links or [])
        form.version.data = app_.version
    if form.validate_on_submit():
        try:
            award_svc.revise(dbs, actor_id=current_user.id, actor_units=_my_units(), application=app_,
                             expected_version=_version(form), **_award_fields(form))
            _attach_files(dbs, form.files, "award", app_.id, cycle.id)
        except ServiceError as exc:
            fail(exc, form)
        else:
            flash("已保存修改并重新提交，等待目标办初审。", "success")
            return redirect(url_for("award.mine", cycle_id=cycle.id))
    elif request.method == "POST":
        flash_form_errors(form, EXPIRED)
    return render_template("award/edit.html", cycle=cycle, form=form, application=app_,
                           files=attachments.files_of(dbs, "award", app_.id))


@bp.route("/cycles/<id:cycle_id>/excellence/<id:unit_id>", methods=["GET", "POST"])
@allow("reporter")
def excellence(cycle_id: int, unit_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    if unit_id not in _my_units():
        abort(404)
    existing = elig_svc.application_of(dbs, cycle.id, unit_id)
    form = ExcellenceForm(obj=existing) if request.method == "GET" and existing else ExcellenceForm()
    form.unit_id.choices = _unit_choices({unit_id})
    if request.method == "GET":
        form.version.data = existing.version if existing else 0
        if existing:
            form.links.data = "\n".join(existing.links or [])
    if form.validate_on_submit():
        try:
            app_ = elig_svc.submit_application(
                dbs, actor_id=current_user.id, actor_units=_my_units(), cycle=cycle, unit_id=unit_id,
                condition=form.condition.data, title=form.title.data, description=form.description.data,
                links=inputs.parse_links(form.links.data),
                expected_version=_version(form) if existing else None)
            _attach_files(dbs, form.files, "excellence", app_.id, cycle.id)
        except ServiceError as exc:
            fail(exc, form)
        else:
            flash("已提交优秀格次申报，等待领导小组认定。", "success")
            return redirect(url_for("award.mine", cycle_id=cycle.id))
    elif request.method == "POST":
        flash_form_errors(form, EXPIRED)
    return render_template("award/excellence.html", cycle=cycle, form=form, application=existing,
                           unit_name=dict(_unit_choices({unit_id})).get(unit_id),
                           files=attachments.files_of(dbs, "excellence", existing.id) if existing else [])


# ---------------------------------------------------------------- files
def _file_owner_unit(dbs, row: AttachedFile) -> int | None:
    model = {"award": AwardApplication, "excellence": ExcellenceApplication, "veto": Veto}.get(row.owner)
    obj = dbs.get(model, row.owner_id) if model else None
    return obj.unit_id if obj else None


@bp.route("/files/<id:file_id>")
@allow("reporter", "office", "group")
def file_download(file_id: int):
    dbs = get_db()
    row = get_or_404(AttachedFile, file_id)
    if not current_user.has("office", "group"):
        # a reporter reaches only the files of their own unit's applications (never vetoes)
        if row.owner == "veto" or _file_owner_unit(dbs, row) not in _my_units():
            abort(404)
    return files.open_for_download(attachments.SUBDIR, row.stored_name, row.original_name)


@bp.route("/files/<id:file_id>/delete", methods=["POST"])
@allow("reporter", "office")
def file_delete(file_id: int):
    dbs = get_db()
    row = get_or_404(AttachedFile, file_id)
    back = safe_next(request.form.get("next"), url_for("home.index"))
    if row.owner == "veto":
        if not current_user.has("office"):
            abort(404)
    elif _file_owner_unit(dbs, row) not in _my_units():
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        kind = "deliberation" if row.owner == "veto" else "award"
        if row.owner == "veto":
            elig_svc.require_vetoes_writable(dbs, row.cycle_id)
        else:
            stages.require_open(dbs, row.cycle_id, kind)
            owner = dbs.get(AwardApplication if row.owner == "award" else ExcellenceApplication, row.owner_id)
            if owner.status == "accepted":
                raise ServiceError("申报已受理或认定，佐证文件不能再删除。")
        attachments.remove(dbs, actor_id=current_user.id, row=row)
    except ServiceError as exc:
        fail(exc)
    else:
        flash("已删除文件。", "success")
    return redirect(back)


# ---------------------------------------------------------------- office: pre-check
@bp.route("/office")
@allow("office")
def office_index():
    cycle_id = _current_cycle_id()
    if cycle_id is None:
        return redirect(url_for("office.cycles"))
    return redirect(url_for("award.office_list", cycle_id=cycle_id))


@bp.route("/office/cycles/<id:cycle_id>")
@allow("office")
def office_list(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    apps = award_svc.applications(dbs, cycle)
    forms = {}
    for a, _ in apps:
        f = PrecheckForm(prefix=f"a{a.id}")
        f.version.data = a.version
        forms[a.id] = f
    return render_template("award/office.html", cycle=cycle, apps=apps, forms=forms,
                           files={a.id: attachments.files_of(dbs, "award", a.id) for a, _ in apps},
                           decisions={d["application_id"]: d for d in award_svc.award_decisions(dbs, cycle)},
                           state=stages.state_of(dbs, cycle.id, "award"), rule=award_svc.award_rule(cycle)[1])


@bp.route("/office/applications/<id:application_id>/precheck", methods=["POST"])
@allow("office")
def precheck(application_id: int):
    dbs = get_db()
    app_ = get_or_404(AwardApplication, application_id)
    form = PrecheckForm(prefix=f"a{app_.id}")
    if form.validate_on_submit():
        attempt(
            award_svc.precheck,
            dbs,
            actor_id=current_user.id,
            application=app_,
            accept=form.decision.data == "accept",
            reason=form.reason.data,
            expected_version=_version(form),
            ok="已受理，提交领导小组评审。" if form.decision.data == "accept" else "已退回单位修改。",
        )
    else:
        flash_form_errors(form, EXPIRED)
    return redirect(url_for("award.office_list", cycle_id=app_.cycle_id) + f"#a{app_.id}")


# ---------------------------------------------------------------- decisions (office and group)
@bp.route("/cycles/<id:cycle_id>/decisions")
@allow("office", "group")
def decisions(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    return render_template("award/decisions.html", cycle=cycle, decisions=award_svc.award_decisions(dbs, cycle),
                           rule=award_svc.award_rule(cycle)[1], state=stages.state_of(dbs, cycle.id, "award"))


@bp.route("/public/cycles/<id:cycle_id>")
@allow(PUBLIC)
def public_list(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    closed = award_svc.stage_closed(dbs, cycle.id)
    return render_template("award/public.html", cycle=cycle, closed=closed,
                           items=award_svc.awarded(dbs, cycle) if closed else [])


# ---------------------------------------------------------------- office: excellence and vetoes
@bp.route("/office/excellence")
@allow("office")
def office_excellence_index():
    cycle_id = _current_cycle_id()
    if cycle_id is None:
        return redirect(url_for("office.cycles"))
    return redirect(url_for("award.office_excellence", cycle_id=cycle_id))


def _veto_form(dbs, cycle) -> VetoForm:
    form = VetoForm()
    form.unit_id.choices = [(u.id, u.name) for u in org.active_units(dbs)]
    form.condition.choices = elig_svc.veto_conditions(cycle) + [(elig_svc.OTHER, "其他（请说明）")]
    return form


@bp.route("/office/cycles/<id:cycle_id>/excellence")
@allow("office")
def office_excellence(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    return excellence_page(dbs, cycle, "award/office_excellence.html", veto_form=_veto_form(dbs, cycle))


def excellence_page(dbs, cycle, template: str, **extra):
    """The excellence applications and vetoes of ``cycle`` with their forms and files, rendered
    with ``template`` (the office's page here, the leadership group's in ``app.web.group``)."""
    apps = elig_svc.applications(dbs, cycle)
    decide_forms = {}
    for a, _ in apps:
        f = DecideForm(prefix=f"e{a.id}")
        f.version.data = a.version
        decide_forms[a.id] = f
    vetoes = elig_svc.vetoes(dbs, cycle)
    withdraw_forms = {}
    for v, _ in vetoes:
        f = WithdrawForm(prefix=f"v{v.id}")
        f.version.data = v.version
        withdraw_forms[v.id] = f
    owners = [("excellence", a.id) for a, _ in apps] + [("veto", v.id) for v, _ in vetoes]
    files = {key: attachments.files_of(dbs, *key) for key in owners}
    veto_labels = {v.id: elig_svc.veto_label(cycle, v) for v, _ in vetoes}
    return render_template(template, cycle=cycle, apps=apps, decide_forms=decide_forms, vetoes=vetoes,
                           veto_labels=veto_labels, withdraw_forms=withdraw_forms, files=files, **extra)


@bp.route("/office/cycles/<id:cycle_id>/vetoes", methods=["POST"])
@allow("office")
def veto_new(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    form = _veto_form(dbs, cycle)
    if form.validate_on_submit():
        try:
            veto = elig_svc.record_veto(dbs, actor_id=current_user.id, cycle=cycle, unit_id=form.unit_id.data,
                                        condition=form.condition.data, other_text=form.other_text.data,
                                        reason=form.reason.data, links=inputs.parse_links(form.links.data))
            _attach_files(dbs, form.files, "veto", veto.id, cycle.id)
        except ServiceError as exc:
            fail(exc)
        else:
            flash("已记录一票否决情形。", "success")
    else:
        flash_form_errors(form, EXPIRED)
    return redirect(url_for("award.office_excellence", cycle_id=cycle.id) + "#vetoes")


@bp.route("/office/vetoes/<id:veto_id>/withdraw", methods=["POST"])
@allow("office")
def veto_withdraw(veto_id: int):
    dbs = get_db()
    veto = get_or_404(Veto, veto_id)
    form = WithdrawForm(prefix=f"v{veto.id}")
    if form.validate_on_submit():
        attempt(elig_svc.withdraw_veto, dbs, actor_id=current_user.id, veto=veto, reason=form.reason.data,
                expected_version=_version(form), ok="已撤销该情形，理由已记录。")
    else:
        flash_form_errors(form, EXPIRED)
    return redirect(url_for("award.office_excellence", cycle_id=veto.cycle_id) + "#vetoes")


@bp.route("/excellence/<id:application_id>/decide", methods=["POST"])
@allow("office", "group")
def excellence_decide(application_id: int):
    dbs = get_db()
    app_ = get_or_404(ExcellenceApplication, application_id)
    form = DecideForm(prefix=f"e{app_.id}")
    if form.validate_on_submit():
        attempt(
            elig_svc.decide_application,
            dbs,
            actor_id=current_user.id,
            actor_roles=set(current_user.roles),
            application=app_,
            accept=form.decision.data == "accept",
            reason=form.reason.data,
            expected_version=_version(form),
            ok="已认定。" if form.decision.data == "accept" else "已记录不予认定。",
        )
    else:
        flash_form_errors(form, EXPIRED)
    back = "group.excellence" if request.form.get("from") == "group" and current_user.has("group") \
        else "award.office_excellence"
    return redirect(url_for(back, cycle_id=app_.cycle_id) + f"#e{app_.id}")
