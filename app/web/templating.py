"""Template filters and the navigation by role."""

from decimal import Decimal

from flask import request, url_for
from flask_login import current_user

from app.extensions import get_db
from app.labels import label as code_label
from app.labels import readable
from app.models import CATEGORY_LABELS, LEADER_RANKS, ROLE_LABELS
from app.services.stages import stage_label
from app.timefmt import fmt_dt, fmt_input
from app.web.common import url_maker

# (role, label, endpoint); each blueprint adds its entries with add_nav when its routes are imported.
NAV: list[tuple[str, str, str]] = []


# The menu follows the order of the work of a cycle; endpoints not listed come before 通知.
NAV_ORDER = [
    "home.index", "office.cycles", "schemes.index", "report.index", "voting.index", "scoring.index",
    "leader.index", "leader.office_index", "award.mine", "award.office_index", "award.office_excellence_index",
    "group.index", "group.excellence_index", "results.index", "targets.index", "targets.office",
    "office.units", "office.users", "office.audit",
]


# A long menu (the office's: 17 entries) is grouped into drop-down menus so it fits one line at 1280 px;
# entries not listed here stay on the bar. A short menu (every other role's) stays flat.
NAV_GROUPS = {
    "office.cycles": "周期与方案", "schemes.index": "周期与方案",
    "report.index": "各阶段工作", "voting.index": "各阶段工作", "scoring.index": "各阶段工作",
    "leader.office_index": "各阶段工作", "award.office_index": "各阶段工作",
    "award.office_excellence_index": "各阶段工作", "rectification.office_index": "各阶段工作",
    "office.units": "系统管理", "office.users": "系统管理", "office.audit": "系统管理", "office.settings": "系统管理",
}
GROUP_FROM = 10  # menus with at least this many entries are grouped


def _nav_rank(endpoint: str) -> int:
    if endpoint == "home.notices":
        return 10_000
    return NAV_ORDER.index(endpoint) if endpoint in NAV_ORDER else 5_000


def add_nav(role: str, label: str, endpoint: str) -> None:
    if (role, label, endpoint) not in NAV:
        NAV.append((role, label, endpoint))


def _menu_entries() -> list[tuple[str, tuple[str, str, bool]]]:
    """(endpoint, (label, href, active)) of the signed-in user's menu, in menu order."""
    if not current_user.is_authenticated:
        return []
    items, seen = [], set()
    for role, label, endpoint in sorted(NAV, key=lambda item: _nav_rank(item[2])):
        if (role == "*" or role in current_user.roles) and endpoint not in seen:
            seen.add(endpoint)
            try:
                items.append((endpoint, (label, url_for(endpoint), request.endpoint == endpoint)))
            except Exception:  # an endpoint that needs arguments is not a menu item
                continue
    return items


def nav_items():
    return [entry for _endpoint, entry in _menu_entries()]


def nav_menu():
    """The menu as the bar shows it: ``("link", label, href, active)`` or ``("group", label, links,
    active)`` with ``links`` a list of (label, href, active), in menu order (a group where its first
    entry would be)."""
    out, groups = [], {}
    entries = _menu_entries()
    grouped = len(entries) >= GROUP_FROM
    for endpoint, (label, href, active) in entries:
        name = NAV_GROUPS.get(endpoint) if grouped else None
        if name is None:
            out.append(("link", label, href, active))
            continue
        if name not in groups:
            groups[name] = ["group", name, [], False]
            out.append(groups[name])
        groups[name][2].append((label, href, active))
        groups[name][3] = groups[name][3] or active
    return [tuple(e) for e in out]


def fmt_score(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal | int | float | str):
        return f"{Decimal(str(value)):.2f}"
    return str(value)


def fmt_size(n) -> str:
    """A file size, one way everywhere: under 1 MB in KB (whole, at least 1), else in MB with one decimal."""
    if n is None:
        return "—"
    n = int(n)
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def init_templating(app) -> None:
    app.jinja_env.filters["dt"] = fmt_dt
    app.jinja_env.filters["dt_input"] = fmt_input
    app.jinja_env.filters["score"] = fmt_score
    app.jinja_env.filters["filesize"] = fmt_size
    app.jinja_env.filters["stage_label"] = stage_label
    app.jinja_env.filters["label"] = code_label
    app.jinja_env.filters["readable"] = readable
    app.jinja_env.globals.update(ROLE_LABELS=ROLE_LABELS, CATEGORY_LABELS=CATEGORY_LABELS, LEADER_RANKS=LEADER_RANKS,
                                 url_maker=url_maker)

    @app.context_processor
    def inject():
        unread = 0
        if current_user.is_authenticated:
            from app.services.notices import unread_count

            unread = unread_count(get_db(), current_user.id)
        return {"nav_menu": nav_menu(), "unread_notices": unread}


def warm(app) -> str:
    """Get a fresh worker ready (gunicorn.conf.py calls this after a worker starts): compile every
    template and load the scheme snapshot of every cycle that is not archived (and which units each
    of its indicators applies to), so that the first request of each page does not pay for it
    (compiling the templates takes about a second, a scheme about 30 ms; at the size of a large
    university the first requests after a restart were several times slower than the rest)."""
    from sqlmodel import Session, select

    from app.extensions import db
    from app.models import Cycle
    from app.services import reports, schemes, scoring
    from app.services.org import active_units

    names = [n for n in app.jinja_env.list_templates() if n.endswith(".html")]
    for name in names:
        app.jinja_env.get_template(name)
    loaded = 0
    with app.app_context(), Session(db.engine) as s:
        units = active_units(s)
        for cycle in s.exec(select(Cycle).where(Cycle.archived == False)):  # noqa: E712
            if schemes.has_scheme(cycle):
                try:
                    schemes.cycle_scheme(cycle)
                    # what the scoring and self-report pages keep per scheme: which units each indicator applies to
                    scoring.CycleScoring(s, cycle)
                    reports.completeness_of_units(s, cycle, units, {})
                    loaded += 1
                except schemes.SchemeUnavailable:
                    pass
        latest = s.exec(select(Cycle).where(Cycle.archived == False)  # noqa: E712
                        .order_by(Cycle.period_start.desc())).first()
        if latest is not None and schemes.has_scheme(latest):
            _warm_statements(s, latest)
    return f"{len(names)} templates, {loaded} scheme(s)"


def _warm_statements(s, cycle) -> None:
    """Read what the office's largest pages read (the work overview, the self-report list, the
    results sheet and its check of its inputs), so that their SQL statements are compiled before
    the first request (SQLAlchemy compiles each kind of statement once per worker: 10-20 ms a page
    the first time), and hash the code the kept pages are filed under (files.code_fingerprint).
    Nothing is written: the session is closed without a commit."""
    from sqlmodel import select

    from app.models.result import ResultSet
    from app.services import ServiceError, files, reports, results, results_read
    from app.services.org import active_units
    from app.services.overview import cycle_overview

    files.code_fingerprint()
    try:
        cycle_overview(s, cycle)
        found = reports.reports_of_cycle(s, cycle.id, without_texts=True)
        reports.completeness_of_units(s, cycle, active_units(s), found)
        rs = results.get_set(s, cycle.id)
        if rs is not None and rs.status == "proposed":
            results.refresh_read_only(s, cycle)
        rs = rs or s.exec(select(ResultSet).order_by(ResultSet.id.desc())).first()
        if rs is not None:
            results_read.export_stamp(s, rs)
            results.overrides_of(s, rs)
    except ServiceError:  # a cycle that cannot be scored yet: its pages say why
        pass
    s.rollback()
