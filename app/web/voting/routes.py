"""The office's pages of the democratic rating. During the vote the office sees turnout per rater
group, never choices; the tally opens once the stage has closed."""

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlmodel import select

from app.extensions import after_commit, db, get_db
from app.models import Cycle, Unit
from app.security import allow
from app.services import ServiceError, voting
from app.services.org import active_units
from app.services.schemes import SchemeUnavailable
from app.services.stages import state_of
from app.web.common import attempt, cycle_or_404, fail, parse_int, to_current_cycle
from app.web.templating import add_nav

from . import bp
from .forms import AccountsForm, CodesForm, EmptyForm, GroupForm, VoidForm

add_nav("office", "民主测评", "voting.index")


_fail = fail
_cycle = cycle_or_404


def _back(cycle_id: int):
    return redirect(url_for("voting.dashboard", cycle_id=cycle_id))


def _group_choices(cycle_id: int):
    return [(g.id, g.name) for g in voting.groups_of(get_db(), cycle_id)]


def _stage(cycle_id: int):
    try:
        return state_of(get_db(), cycle_id, voting.KIND)
    except ServiceError:
        return None


@bp.route("/")
@allow("office")
def index():
    return to_current_cycle("voting.dashboard", message="还没有进行中的考核周期。", fallback="office.cycles")


@bp.route("/cycles/<id:cycle_id>")
@allow("office")
def dashboard(cycle_id: int):
    dbs = get_db()
    cycle = _cycle(cycle_id)
    groups = voting.groups_of(dbs, cycle_id)
    units = active_units(dbs)
    try:
        rules, no_rules = voting.cycle_rules(dbs, cycle), ""
    except SchemeUnavailable as exc:  # no scheme assigned, or an invalid snapshot: no ballot can be cast
        rules, no_rules = None, exc.message
    codes_form = CodesForm()
    codes_form.group_id.choices = _group_choices(cycle_id)
    codes_form.unit_id.choices = [(0, "（不限定，所有单位都评）")] + [(u.id, u.name) for u in units]
    accounts_form = AccountsForm()
    accounts_form.group_id.choices = _group_choices(cycle_id)
    st = voting.state(dbs, cycle_id)
    return render_template(
        "voting/dashboard.html", cycle=cycle, groups=groups, group_form=GroupForm(), codes_form=codes_form,
        accounts_form=accounts_form, turnout=voting.turnout(dbs, cycle), batches=voting.batches(dbs, cycle_id),
        unit_names={u.id: u.name for u in units}, stage=_stage(cycle_id), rules=rules, no_rules=no_rules,
        accounts=voting.account_entries(dbs, cycle_id), empty=EmptyForm(), state=st, min_group=voting.MIN_GROUP,
        locked_addresses=voting.locked_addresses(dbs), stamp=voting.setup_stamp(dbs, cycle_id))


@bp.route("/cycles/<id:cycle_id>/code-locks/lift", methods=["POST"])
@allow("office")
def code_locks_lift(cycle_id: int):
    cycle = _cycle(cycle_id)
    if EmptyForm().validate_on_submit():
        attempt(voting.lift_code_locks, get_db(), actor_id=current_user.id, cycle=cycle,
                ok="已解除锁定：这些网络地址可以立即重新输入测评码。")
    else:
        flash("页面已过期，请刷新后重试。", "error")
    return _back(cycle_id)


@bp.route("/cycles/<id:cycle_id>/turnout.json")
@allow("office")
def turnout_json(cycle_id: int):
    cycle = _cycle(cycle_id)
    rows = voting.turnout(get_db(), cycle)
    return {"groups": [{"key": g.key, "name": g.name, "roll": g.roll, "voted": g.voted} for g in rows],
            "roll": sum(g.roll for g in rows), "voted": sum(g.voted for g in rows)}


@bp.route("/cycles/<id:cycle_id>/groups", methods=["POST"])
@allow("office")
def group_save(cycle_id: int):
    cycle = _cycle(cycle_id)
    form = GroupForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
        return _back(cycle_id)
    attempt(voting.save_group, get_db(), actor_id=current_user.id, cycle=cycle, key=form.key.data or "",
            name=form.name.data, weight=form.weight.data,
            group_id=parse_int(form.group_id.data), expected_stamp=request.form.get("version") or None,
            position=len(voting.groups_of(get_db(), cycle_id)) + 1, ok="已保存测评人员类别。")
    return _back(cycle_id)


@bp.route("/cycles/<id:cycle_id>/groups/defaults", methods=["POST"])
@allow("office")
def group_defaults(cycle_id: int):
    cycle = _cycle(cycle_id)
    if EmptyForm().validate_on_submit():
        try:
            made = voting.create_default_groups(get_db(), actor_id=current_user.id, cycle=cycle)
        except ServiceError as exc:
            _fail(exc)
        else:
            flash(f"已创建 {len(made)} 个测评人员类别。", "success")
    return _back(cycle_id)


@bp.route("/cycles/<id:cycle_id>/share", methods=["POST"])
@allow("office")
def share(cycle_id: int):
    from decimal import Decimal, InvalidOperation

    cycle = _cycle(cycle_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    # one unit throughout: the field, this check and the value shown back are all percent (30 = 30%)
    raw = (request.form.get("share") or "").strip().rstrip("%％").strip()
    try:
        percent = None if raw == "" else Decimal(raw)
    except InvalidOperation:
        percent = Decimal("NaN")
    if percent is not None and not percent.is_finite():
        flash("请填写百分比数字，例如 30 表示 30%。", "error")
        return _back(cycle_id)
    if percent is not None and not (0 <= percent <= 100):
        flash(f"填写的 {raw} 超出范围：请填写 0 到 100 之间的百分比（例如 30 表示 30%，100 表示不限）。", "error")
        return _back(cycle_id)
    if percent is not None and 0 < percent < 1:
        flash(f"填写的是百分比：{raw} 表示 {raw}%，不足一个单位。如指 {percent * 100:g}%，请填写 {percent * 100:g}。",
              "error")
        return _back(cycle_id)
    value = None if percent is None else percent / 100
    attempt(voting.set_excellent_share, get_db(), actor_id=current_user.id, cycle=cycle, share=value,
            expected_stamp=request.form.get("version") or None,
            ok="已保存本周期的优秀票比例上限。" if value is not None else "已恢复为考核方案的规则。")
    return _back(cycle_id)


@bp.route("/cycles/<id:cycle_id>/accounts", methods=["POST"])
@allow("office")
def accounts_add(cycle_id: int):
    cycle = _cycle(cycle_id)
    form = AccountsForm()
    form.group_id.choices = _group_choices(cycle_id)
    if not form.validate_on_submit():
        flash("请先设置测评人员类别。", "error")
        return _back(cycle_id)
    try:
        n = voting.add_accounts(get_db(), actor_id=current_user.id, cycle=cycle, group_id=form.group_id.data)
    except ServiceError as exc:
        _fail(exc)
    else:
        flash(f"已将 {n} 个测评投票人账号加入名册。" if n else "没有新的测评投票人账号需要加入。", "success")
    return _back(cycle_id)


@bp.route("/cycles/<id:cycle_id>/entries/<id:entry_id>/remove", methods=["POST"])
@allow("office")
def entry_remove(cycle_id: int, entry_id: int):
    cycle = _cycle(cycle_id)
    if EmptyForm().validate_on_submit():
        attempt(voting.remove_entry, get_db(), actor_id=current_user.id, cycle=cycle, entry_id=entry_id,
                ok="已从名册移除。")
    return _back(cycle_id)


@bp.route("/cycles/<id:cycle_id>/codes", methods=["POST"])
@allow("office")
def codes_issue(cycle_id: int):
    cycle = _cycle(cycle_id)
    form = CodesForm()
    form.group_id.choices = _group_choices(cycle_id)
    form.unit_id.choices = [(0, "")] + [(u.id, u.name) for u in get_db().exec(select(Unit))]
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs) or "请先设置测评人员类别。", "error")
        return _back(cycle_id)
    try:
        batch, n = voting.issue_codes(get_db(), actor_id=current_user.id, cycle=cycle, group_id=form.group_id.data,
                                      count=form.count.data, unit_id=form.unit_id.data or None, batch=form.batch.data)
    except ServiceError as exc:
        _fail(exc)
        return _back(cycle_id)
    flash(f"已生成 {n} 个测评码（批次「{batch}」），可打印测评票。", "success")
    return redirect(url_for("voting.codes", cycle_id=cycle_id, batch=batch))


@bp.route("/cycles/<id:cycle_id>/codes")
@allow("office")
def codes(cycle_id: int):
    cycle = _cycle(cycle_id)
    batch = request.args.get("batch", "").strip()
    if not batch:
        flash("请在「已生成的批次」中选择一个批次，查看其测评码。", "info")
        return _back(cycle_id)
    entries = voting.codes_of_batch(get_db(), cycle_id, batch, include_void=True)
    if not entries:
        flash(f"没有名为「{batch}」的测评码批次。", "error")
        return _back(cycle_id)
    return render_template("voting/codes.html", cycle=cycle, batch=batch, entries=entries, void_form=VoidForm(),
                           pretty=voting.pretty_code)


@bp.route("/cycles/<id:cycle_id>/codes/<id:entry_id>/void", methods=["POST"])
@allow("office")
def code_void(cycle_id: int, entry_id: int):
    cycle = _cycle(cycle_id)
    form = VoidForm()
    batch = request.args.get("batch", "")
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
    else:
        try:
            new = voting.void_and_replace(get_db(), actor_id=current_user.id, cycle=cycle, entry_id=entry_id,
                                          reason=form.reason.data)
        except ServiceError as exc:
            _fail(exc)
        else:
            flash(f"已作废，并生成替换测评码 {voting.pretty_code(new.code)}。", "success")
    return redirect(url_for("voting.codes", cycle_id=cycle_id, batch=batch))


def slip_base_url() -> str:
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("vote.entry")


def local_only_address(url: str) -> bool:
    """Whether ``url`` names this computer only (127.x, localhost, ::1): phones cannot open it."""
    from ipaddress import ip_address
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ip_address(host).is_loopback or ip_address(host).is_unspecified
    except ValueError:
        return False


@bp.route("/cycles/<id:cycle_id>/slips")
@allow("office")
def slips(cycle_id: int):
    """Printable A4 sheets of slips (8 per page): QR code (inline SVG, made here with segno), the
    short code to type, the address and instructions."""
    import segno

    cycle = _cycle(cycle_id)
    batch = request.args.get("batch", "")
    entries = [e for e in voting.codes_of_batch(get_db(), cycle_id, batch) if not e.voted]
    if not entries:
        abort(404)
    base = slip_base_url()
    items = []
    for e in entries:
        url = f"{base}#{e.code}"
        svg = segno.make_qr(url, error="m").svg_inline(scale=3, border=2, omitsize=True)
        items.append({"code": voting.pretty_code(e.code), "url": url, "svg": svg})
    pages = [items[i:i + 8] for i in range(0, len(items), 8)]
    return render_template("voting/slips.html", cycle=cycle, batch=batch, pages=pages, entry_url=base,
                           local_only=local_only_address(base))


def _tally_or_redirect(cycle: Cycle):
    stage = _stage(cycle.id)
    if stage is not None and stage.is_open:
        flash("民主测评进行中：投票期间只显示投票率，结束后才能计票。", "warning")
        return None, _back(cycle.id)
    try:
        t = voting.tally(get_db(), cycle)
    except ServiceError as exc:
        flash(exc.message, "error")
        return None, _back(cycle.id)
    if 0 < t.ballots < voting.MIN_GROUP:
        flash(f"有效选票不足 {voting.MIN_GROUP} 张，不显示计票结果（会暴露个人选择）。", "warning")
        return None, _back(cycle.id)
    return t, None


@bp.route("/cycles/<id:cycle_id>/tally")
@allow("office")
def tally(cycle_id: int):
    cycle = _cycle(cycle_id)
    t, resp = _tally_or_redirect(cycle)
    if resp is not None:
        return resp
    return render_template("voting/tally.html", cycle=cycle, tally=t, state=voting.state(get_db(), cycle_id),
                           empty=EmptyForm(), min_group=voting.MIN_GROUP,
                           stamp=voting.setup_stamp(get_db(), cycle_id, with_ballots=True))


@bp.route("/cycles/<id:cycle_id>/tally.xlsx")
@allow("office")
def tally_xlsx(cycle_id: int):
    from app.sheets.voting import tally_workbook

    cycle = _cycle(cycle_id)
    t, resp = _tally_or_redirect(cycle)
    if resp is not None:
        return resp
    data = tally_workbook(t)
    return send_file(data, as_attachment=True, download_name=f"民主测评计票_{cycle.name}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/cycles/<id:cycle_id>/publish", methods=["POST"])
@allow("office")
def publish(cycle_id: int):
    cycle = _cycle(cycle_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        voting.publish(get_db(), actor_id=current_user.id, cycle=cycle,
                       expected_stamp=request.form.get("version") or None)
    except ServiceError as exc:
        _fail(exc)
        return redirect(url_for("voting.tally", cycle_id=cycle_id))
    engine = db.engine
    after_commit(lambda: _seal_quietly(engine, cycle_id))
    flash("已公布计票结果和回执码，票箱已封存。", "success")
    return redirect(url_for("voting.tally", cycle_id=cycle_id))


def _seal_quietly(engine, cycle_id: int) -> None:
    try:
        voting.seal_box(engine, cycle_id)
    except Exception:
        current_app.logger.exception("sealing the ballot box of cycle %s failed", cycle_id)
