"""Small helpers shared by the blueprints' views: load or 404, refuse with a service's message,
report a form's errors. (Not a blueprint: no ``bp`` here.)"""

import re
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter, ValidationError

from app.extensions import db, get_db
from app.models import Cycle
from app.services import ServiceError, stages

EXPIRED = "页面已过期，请刷新后重试。"  # a form without errors that did not validate: its CSRF token ran out

MAX_ID = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL (ids, versions); SQLite's is 2^63−1
_ASCII_INT = re.compile(r"[0-9]+")


class IdConverter(BaseConverter):
    """``<id:name>`` in a route: ASCII digits only, at most ``MAX_ID``; anything else is a 404
    (a larger number cannot be a row: PostgreSQL would refuse to compare it with an INTEGER id).

    Registered on the app as ``id`` and also as ``int`` (so a route written with ``<id:…>`` gets the
    same bounds); werkzeug's own integer converter accepts other Unicode digits and any size.
    """

    regex = r"[0-9]{1,20}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        n = int(value)
        if n > MAX_ID:
            raise ValidationError()
        return n

    def to_url(self, value) -> str:
        return str(int(value))


def register_converters(app) -> None:
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["int"] = IdConverter


class BadInput(BadRequest):
    """A 400 whose Chinese ``description`` is shown on the error page."""

    def __init__(self, message: str):
        super().__init__(description=message)


def parse_int(value, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """``value`` (text, or an int from JSON) as an int within [minimum, maximum], else None.

    Only ASCII digits count: ``str.isdigit()`` also accepts "²" or "١", which ``int()`` refuses or
    reads as another number.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and _ASCII_INT.fullmatch(value.strip()):
        n = int(value.strip())
    else:
        return None
    return n if minimum <= n <= maximum else None


def int_arg(name: str, default: int | None = None, *, source=None, label: str | None = None,
            minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The integer parameter ``name`` of the query string (or of ``source``, e.g. ``request.form``).

    Missing or empty: ``default``. Present but not a whole number in [minimum, maximum]: a 400 with a
    Chinese message (never a 500).
    """
    raw = (request.args if source is None else source).get(name)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return default
    n = parse_int(raw, minimum=minimum, maximum=maximum)
    if n is None:
        raise BadInput(f"参数「{label or name}」应为 {minimum} 到 {maximum} 之间的整数（只用阿拉伯数字 0–9）。")
    return n


def get_or_404(model, ident):
    """The row of ``model`` with primary key ``ident``; 404 when there is none."""
    obj = get_db().get(model, ident)
    if obj is None:
        abort(404)
    return obj


def cycle_or_404(cycle_id: int) -> Cycle:
    return get_or_404(Cycle, cycle_id)


def stage_state(cycle: Cycle, kind: str):
    """The cycle's stage ``kind`` as a ``StageState``, or None when the cycle has no such stage."""
    try:
        return stages.state_of(get_db(), cycle.id, kind)
    except ServiceError:
        return None


def to_current_cycle(endpoint: str, *, message: str | None = "目前没有进行中的考核周期。",
                     fallback: str = "home.index"):
    """Redirect to ``endpoint`` (which takes ``cycle_id``) for the current cycle; when there is none,
    flash ``message`` (if any) and go to ``fallback``."""
    cycle = stages.current_cycle(get_db())
    if cycle is None:
        if message:
            flash(message, "info")
        return redirect(url_for(fallback))
    return redirect(url_for(endpoint, cycle_id=cycle.id))


def fail(exc: ServiceError, form=None) -> None:
    """A service refused: roll back, put the message on the form field it names (if the form has
    it) and flash it."""
    db.rollback()
    if form is not None and exc.field and exc.field in form:
        form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
    flash(exc.message, "error")


def form_errors(form) -> str:
    """All the form's error messages in one line, joined with '；'."""
    return "；".join(e for errs in form.errors.values() for e in errs)


def flash_form_errors(form, default: str = "") -> None:
    """Flash all the form's errors in one line (``default`` when it has none, e.g. a stale CSRF token)."""
    flash(form_errors(form) or default, "error")


def local_naive(value):
    """A stored UTC time as a naive local time, for a ``DateTimeLocalField``."""
    from app.timefmt import to_local

    local = to_local(value)
    return local.replace(tzinfo=None) if local else None


def attempt(action, /, *args, ok: str, form=None, **kwargs) -> bool:
    """Call the service ``action(*args, **kwargs)``: on success flash ``ok``, on refusal
    :func:`fail` (roll back, flash the message, mark ``form``'s field). True when it succeeded."""
    try:
        action(*args, **kwargs)
    except ServiceError as exc:
        fail(exc, form)
        return False
    flash(ok, "success")
    return True


def posted_version(raw) -> int:
    """A version number posted back by a page (optimistic locking); missing means 0 (nothing saved
    yet). Not a whole number: a 400 with a Chinese message."""
    if raw in (None, ""):
        return 0
    n = parse_int(raw)
    if n is None:
        raise BadInput("页面中的版本号无效，请刷新页面后重试。")
    return n


_UNSAFE_IN_TARGET = re.compile(r"[\\\x00-\x1f\x7f]")  # backslashes and control characters (browsers drop tabs)


def is_safe_url(target) -> bool:
    """Whether ``target`` may be redirected to: a path on this site (``/…``), with no scheme, no
    host (``//host``), no backslash (``/\\host`` is ``//host`` to browsers) and no control character."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return False
    if _UNSAFE_IN_TARGET.search(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target, fallback: str) -> str:
    """``target`` when :func:`is_safe_url` allows it, else ``fallback`` (for ``next=`` redirects)."""
    return target if is_safe_url(target) else fallback


_URL_MARK = MAX_ID - 4321  # an id within the converter's bounds that the other parts of an address do not hold


def url_maker(endpoint: str, arg: str, **values):
    """``make(x)`` = ``url_for(endpoint, **values, arg=x)`` for an integer ``x``, the address built
    once (a page with thousands of links to the same route with one id changing)."""
    url = url_for(endpoint, **values, **{arg: _URL_MARK})
    if url.count(str(_URL_MARK)) != 1:
        return lambda x: url_for(endpoint, **values, **{arg: x})
    head, _mark, tail = url.partition(str(_URL_MARK))
    return lambda x: f"{head}{int(x)}{tail}"
