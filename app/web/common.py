"""Small helpers shared by the blueprints' views: load or 404, refuse with a service's message,
report a form's errors. (Not a blueprint: no ``bp`` here.)"""

from flask import abort, flash, redirect, url_for

from app.extensions import db, get_db
from app.models import Cycle
from app.services import ServiceError, stages

EXPIRED = "页面已过期，请刷新后重试。"  # a form without errors that did not validate: its CSRF token ran out


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
