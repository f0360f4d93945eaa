"""The ballot.

How a code reaches the server (and why it is never in a log): the slip's QR code holds
``<base>/v#<CODE>``. The part after ``#`` (the fragment) is never sent by a browser, so the
request line that any access log could record is ``GET /v``. The entry page's script
(``static/vote-entry.js``) reads the fragment, removes it from the address bar and history, and POSTs the code in the
request body; the server puts the roll entry into the signed session cookie and answers with
the ballot page (``POST /v/ballot`` submits it; ``GET /v/ballot`` shows it again on reload); that
ballot session lasts ``VOTE_SESSION_MINUTES``. Without JavaScript the voter types the short code
from the slip into the same form. Neither the code nor the roll entry is written to any log
(gunicorn's access log is off by default, and if switched on it sees only ``/v`` and ``/v/ballot``).

The ballot page and the submission need no database session: the unit list, rules and stage
times are cached per cycle for a few seconds (``voting.ballot_context``) and the write is one
short Core transaction (``voting.cast_ballot``), which re-checks the stage.
"""


import time

from flask import abort, current_app, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.extensions import csrf, db, get_db, own_transactions
from app.models import Cycle
from app.security import PUBLIC, allow, client_ip
from app.services import ServiceError, StageClosed, vote_status, voting
from app.services.accounts import lock_minutes
from app.web.common import parse_int
from app.web.public.routes import PUBLIC_LINKS

from . import bp, pages

if ("民主测评结果与回执码", "vote.results") not in PUBLIC_LINKS:
    PUBLIC_LINKS.append(("民主测评结果与回执码", "vote.results"))

SESSION_KEY = "vote"  # [roll id, cycle id, group key, own unit id, accepted at (epoch s)] of a code voter
RECEIPT_KEY = "vote_receipt"


@bp.route("/healthz")
@allow(PUBLIC)
def healthz():
    """A bare endpoint that does no work (the benchmark compares against it)."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


def _published_reports(ctx) -> frozenset[int]:
    """The units whose self-report is published (only those are linked: the others answer 404), as
    of the cached ballot context: the ballot page needs no database session."""
    return ctx.published_reports


def _report_links(ctx, published: frozenset[int]) -> dict[int, str | None]:
    """unit id → the address of its published report, or None (the ballot says 自查报告未公开)."""
    if "report.public_report" not in current_app.view_functions:
        return {}
    return {u.id: url_for("report.public_report", cycle_id=ctx.cycle_id, unit_id=u.id) if u.id in published else None
            for u in ctx.units}


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _page(template: str, status: int = 200, **kw):
    return _no_store(make_response(render_template(template, **kw), status))


_entry_html: str | None = None
_page_cache: dict[tuple, tuple[object, object]] = {}


def _ballot_page(ctx, own_unit_id, action: str, *, errors=(), chosen=None, status=200):
    """The ballot page. Without errors or earlier choices the page is the same for every voter of
    a cycle except for the own unit and the CSRF token, so it is rendered once per worker and
    content (``ctx.fingerprint``: units, rules, cycle name) and each voter's page is spliced from
    it (``vote.pages``)."""
    from flask_wtf.csrf import generate_csrf

    token = generate_csrf()
    published = _published_reports(ctx)
    if errors or chosen:
        return _page("vote/ballot.html", status, **_ballot_vars(ctx, own_unit_id, action, published), token=token,
                     errors=list(errors), chosen=chosen or {})
    key = (ctx.fingerprint, action, published)
    hit = _page_cache.get(key)
    if hit is None:
        hit = (ctx, _build_page(ctx, action, published))
        if len(_page_cache) > 100:
            _page_cache.clear()
        _page_cache[key] = hit
    page = hit[1]
    if page is not None:
        return _no_store(make_response(page.html(own_unit_id, token), status))
    # the page could not be spliced (see vote.pages.build): one rendered page per own unit
    key = (ctx.fingerprint, own_unit_id, action, published)
    hit = _page_cache.get(key)
    if hit is None:
        html = _render_ballot(ctx, own_unit_id, action, published, pages.TOKEN_SLOT)
        hit = (ctx, html.partition(pages.TOKEN_SLOT)[::2])
        if len(_page_cache) > 1000:
            _page_cache.clear()
        _page_cache[key] = hit
    head, tail = hit[1]
    return _no_store(make_response(head + token + tail, status))


def _render_ballot(ctx, own_unit_id, action: str, published: frozenset[int], token: str, mark=pages.no_mark) -> str:
    return render_template("vote/ballot.html", **_ballot_vars(ctx, own_unit_id, action, published, mark=mark),
                           token=token, errors=[], chosen={})


def _build_page(ctx, action: str, published: frozenset[int]):
    def render(own, mark):
        return _render_ballot(ctx, own, action, published, pages.TOKEN_SLOT, mark)

    def excluded(unit_id):
        return all(u.id != unit_id for rows in ctx.units_for(unit_id).values() for u in rows)

    page = pages.build(render, {cat: [u.id for u in rows] for cat, rows in ctx.units_for(None).items()}, excluded)
    if page is None:
        current_app.logger.warning("ballot page of cycle %s could not be spliced: rendered per own unit", ctx.cycle_id)
    return page


def _ballot_vars(ctx, own_unit_id, action, published: frozenset[int] = frozenset(), mark=pages.no_mark):
    sections = []
    for cat, rows in ctx.units_for(own_unit_id).items():
        if rows:
            sections.append((cat, rows, ctx.policy.excellent_limit(len(rows))))
    return {"ctx": ctx, "sections": sections, "action": action, "links": _report_links(ctx, published),
            "levels": ctx.policy.level_names, "categories": ctx.rules.categories, "mark": mark}


def _ascii_ballot(form) -> tuple[dict[str, str], list[str]]:
    """The ballot fields whose unit key and level are written with ASCII digits, and the errors for
    the others (``u²=1``, ``u5=²``, other Unicode digits: ``str.isdigit()`` accepts them, ``int()`` does not)."""
    kept: dict[str, str] = {}
    errors: list[str] = []
    for key, value in form.items():
        if key.startswith("u") and key[1:].isdigit() and parse_int(key[1:]) is None:
            errors.append("选票含有不在本次测评范围内的单位")
            continue
        if key.startswith("u") and value.isdigit() and parse_int(value) is None:
            errors.append("选票含有无效的等次")
            continue
        kept[key] = value
    return kept, list(dict.fromkeys(errors))


def _submit(voter, action: str, on_success):
    ctx = voting.ballot_context(db.engine, voter.cycle_id)
    if ctx is None:
        abort(404)
    if ctx.unavailable:  # no rules to check the ballot with (e.g. no scheme assigned)
        return _page("vote/message.html", 409, title="不能投票", message=ctx.unavailable)
    form, refused = _ascii_ballot(request.form)
    choices, errors = voting.check_choices(ctx, voter.unit_id, form)
    errors = refused + errors
    if errors:
        return _ballot_page(ctx, voter.unit_id, action, errors=errors, chosen=choices, status=422)
    try:
        receipt = voting.cast_ballot(db.engine, cycle_id=voter.cycle_id, roll_id=voter.roll_id,
                                     group_key=voter.group_key, choices=choices, ctx=ctx)
    except voting.AlreadyVoted as exc:
        return _page("vote/message.html", 409, title="已投过票", message=exc.message,
                     ballot_state=vote_status.ballot_status(db.engine, voting.voter_by_id(db.engine, voter.roll_id)))
    except StageClosed as exc:
        return _page("vote/message.html", 409, title="不能投票", message=exc.message)
    except ServiceError as exc:  # nothing was recorded: the voter may submit again
        return _page("vote/message.html", 503, title="选票未保存", message=exc.message)
    on_success(receipt)
    return _done_page(ctx, voting.pretty_code(receipt))


def _done_page(ctx, receipt: str):
    key = ("done", ctx.fingerprint)
    hit = _page_cache.get(key)
    if hit is None:
        head, _, tail = render_template("vote/done.html", receipt=pages.TOKEN_SLOT, cycle_name=ctx.cycle_name) \
            .partition(pages.TOKEN_SLOT)
        hit = (ctx, (head, tail))
        _page_cache[key] = hit
    return _no_store(make_response(hit[1][0] + receipt + hit[1][1]))


# ---------------------------------------------------------------- by code (no sign-in)
@bp.route("/v", methods=["GET", "POST"])
@csrf.exempt
@allow(PUBLIC)
@own_transactions
def entry():
    """GET: the entry page (its script posts the code from the address's fragment). POST: check
    the code, keep the roll entry in the signed session cookie and answer with the ballot page
    itself (no redirect: one round trip less on hall Wi-Fi; a reload is harmless).

    No CSRF token on this form: it carries its own secret (the code) and grants nothing to a
    session that it did not have; a forged post could only spend the forger's own code."""
    if request.method == "GET":
        global _entry_html
        if _entry_html is None:
            _entry_html = render_template("vote/entry.html", error=None)
        return _no_store(make_response(_entry_html))
    guard = voting.code_guard_key(client_ip(), current_app.secret_key)
    locked = voting.code_locked_until(db.engine, guard)
    if locked is not None:
        return _page(
            "vote/entry.html",
            429,
            error=f"从本网络输入的错误测评码过多，暂停输入 {lock_minutes(locked)} 分钟。"
            "请联系会务人员（目标办可在民主测评页面解除）。",
        )
    voter = voting.voter_by_code(db.engine, request.form.get("code", ""))
    if voter is None:
        cfg = current_app.config
        voting.record_wrong_code(db.engine, guard, limit=cfg["VOTE_CODE_MAX_FAILURES"],
                                 window_seconds=cfg["VOTE_CODE_WINDOW_SECONDS"],
                                 lock_seconds=cfg["VOTE_CODE_LOCK_SECONDS"])
    if voter is None or voter.void:
        return _page("vote/entry.html", 422, error="测评码无效，请核对测评票上的测评码（8 位字母数字）。")
    if voter.voted:
        return _page("vote/entry.html", 422, error="该测评码已投票，每个测评码只能投一次。",
                     ballot_state=vote_status.ballot_status(db.engine, voter))
    ctx = voting.ballot_context(db.engine, voter.cycle_id)
    if ctx is None:
        abort(404)
    is_open, why = ctx.stage_open()
    if not is_open:
        return _page("vote/message.html", 409, title="不能投票", message=why)
    session.pop(RECEIPT_KEY, None)
    session[SESSION_KEY] = [voter.roll_id, voter.cycle_id, voter.group_key, voter.unit_id, int(time.time())]
    return _ballot_page(ctx, voter.unit_id, url_for("vote.ballot"))


def _code_voter():
    """The code voter of this browser, or None; a ballot session older than
    ``VOTE_SESSION_MINUTES`` (or of an older format) is dropped: the code must be entered again."""
    data = session.get(SESSION_KEY)
    if not data:
        return None
    if len(data) != 5 or time.time() - data[4] > current_app.config["VOTE_SESSION_MINUTES"] * 60:
        session.pop(SESSION_KEY, None)
        return None
    roll_id, cycle_id, group_key, unit_id, _at = data
    return voting.Voter(roll_id, cycle_id, group_key, unit_id, False, False)


@bp.route("/v/ballot", methods=["GET", "POST"])
@allow(PUBLIC)
@own_transactions
def ballot():
    had_session = SESSION_KEY in session
    voter = _code_voter()
    if voter is None:
        if had_session:
            return _page(
                "vote/entry.html", 409, error="测评页面已超时，选票未提交。请重新输入测评码（测评码仍可使用）。"
            )
        return redirect(url_for("vote.entry"))
    if request.method == "POST":
        def done(receipt):
            session.pop(SESSION_KEY, None)
            session[RECEIPT_KEY] = receipt

        return _submit(voter, url_for("vote.ballot"), done)
    fresh = voting.voter_by_id(db.engine, voter.roll_id)
    if fresh is None or fresh.void:
        session.pop(SESSION_KEY, None)
        return _page(
            "vote/message.html",
            410,
            title="测评码已作废",
            message="该测评码已被目标办作废，请向会务人员领取新的测评票。",
        )
    if fresh.voted:
        session.pop(SESSION_KEY, None)
        return _page("vote/message.html", 409, title="已投过票", message="该测评码已投票，每个测评码只能投一次。",
                     ballot_state=vote_status.ballot_status(db.engine, fresh))
    ctx = voting.ballot_context(db.engine, voter.cycle_id)
    if ctx is None:
        abort(404)
    is_open, why = ctx.stage_open()
    if not is_open:
        return _page("vote/message.html", 409, title="不能投票", message=why)
    return _ballot_page(ctx, voter.unit_id, url_for("vote.ballot"))


@bp.route("/v/done")
@allow(PUBLIC)
def done():
    receipt = session.get(RECEIPT_KEY)
    if not receipt:
        return redirect(url_for("vote.entry"))
    return _page("vote/done.html", receipt=voting.pretty_code(receipt), cycle_name="")


# ---------------------------------------------------------------- by account
@bp.route("/v/cycles/<id:cycle_id>", methods=["GET", "POST"])
@allow("voter")
@own_transactions
def account_ballot(cycle_id: int):
    if get_db().get(Cycle, cycle_id) is None:
        abort(404)
    voter = voting.voter_for_user(db.engine, cycle_id, current_user.id)
    if voter is None:
        return _page("vote/message.html", 403, title="不在测评名册中",
                     message="您不在本周期民主测评的名册中。如有疑问请联系目标办。")
    if voter.voted:
        return _page("vote/message.html", 200, title="已投过票", message="您已参加本周期的民主测评，感谢参与。",
                     ballot_state=vote_status.ballot_status(db.engine, voter))
    action = url_for("vote.account_ballot", cycle_id=cycle_id)
    if request.method == "POST":
        return _submit(voter, action, lambda receipt: None)
    ctx = voting.ballot_context(db.engine, cycle_id)
    if ctx is None:
        abort(404)
    is_open, why = ctx.stage_open()
    if not is_open:
        return _page("vote/message.html", 409, title="不能投票", message=why)
    return _ballot_page(ctx, voter.unit_id, action)


# ---------------------------------------------------------------- public results
@bp.route("/public/cycles/<id:cycle_id>/voting")
@allow(PUBLIC)
def results(cycle_id: int):
    dbs = get_db()
    cycle = dbs.get(Cycle, cycle_id)
    if cycle is None:
        abort(404)
    st = voting.state(dbs, cycle_id)
    if st.published_at is None:
        return render_template("vote/results.html", cycle=cycle, tally=None, receipts=[])
    try:
        t = voting.tally(dbs, cycle)
    except ServiceError as exc:
        return render_template("errors/error.html", code=500, message=exc.message), 500
    return render_template("vote/results.html", cycle=cycle, tally=t, state=st,
                           receipts=[voting.pretty_code(r) for r in voting.receipts(dbs, cycle_id)])


def warm(app, *, threads: int = 8) -> str:
    """Get a fresh worker ready for a hall of phones (gunicorn.conf.py calls this after a worker
    starts): compile the ballot templates, and for every cycle whose democratic rating is open
    load its context and render its ballot pages (one per own unit), so that the first voters
    do not wait behind template compilation and a cold cache."""
    from sqlmodel import Session, select

    warmed = 0
    with app.test_request_context("/v"):
        for name in ("vote/entry.html", "vote/ballot.html", "vote/_units.html", "vote/done.html",
                     "vote/message.html", "vote/layout.html"):
            app.jinja_env.get_template(name)
        global _entry_html
        _entry_html = render_template("vote/entry.html", error=None)
        engine = db.engine
        voting.pg_prefill(engine, threads)
        with Session(engine) as s:
            cycle_ids = list(s.exec(select(Cycle.id).where(Cycle.archived == False)))  # noqa: E712
        for cycle_id in cycle_ids:
            ctx = voting.ballot_context(engine, cycle_id)
            if ctx is None or not ctx.stage_open()[0]:
                continue
            _ballot_page(ctx, None, url_for("vote.ballot"))
            warmed += 1
    return f"{warmed} cycle(s)"
