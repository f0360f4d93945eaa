"""Template filters and the navigation by role."""

from decimal import Decimal

from flask import request, url_for
from flask_login import current_user

from app.extensions import get_db
from app.models import CATEGORY_LABELS, LEADER_RANKS, ROLE_LABELS, STAGE_KINDS
from app.timefmt import fmt_dt, fmt_input

# (role, label, endpoint) in menu order; blueprints of later workflows add theirs with add_nav.
NAV: list[tuple[str, str, str]] = []


def add_nav(role: str, label: str, endpoint: str) -> None:
    if (role, label, endpoint) not in NAV:
        NAV.append((role, label, endpoint))


def nav_items():
    if not current_user.is_authenticated:
        return []
    items, seen = [], set()
    for role, label, endpoint in NAV:
        if (role == "*" or role in current_user.roles) and endpoint not in seen:
            seen.add(endpoint)
            try:
                items.append((label, url_for(endpoint), request.endpoint == endpoint))
            except Exception:  # an endpoint that needs arguments is not a menu item
                continue
    return items


def fmt_score(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal | int | float | str):
        return f"{Decimal(str(value)):.2f}"
    return str(value)


def init_templating(app) -> None:
    app.jinja_env.filters["dt"] = fmt_dt
    app.jinja_env.filters["dt_input"] = fmt_input
    app.jinja_env.filters["score"] = fmt_score
    app.jinja_env.globals.update(
        ROLE_LABELS=ROLE_LABELS, CATEGORY_LABELS=CATEGORY_LABELS, STAGE_KINDS=STAGE_KINDS, LEADER_RANKS=LEADER_RANKS
    )

    @app.context_processor
    def inject():
        unread = 0
        if current_user.is_authenticated:
            from app.services.notices import unread_count

            unread = unread_count(get_db(), current_user.id)
        return {"nav_items": nav_items(), "unread_notices": unread}
