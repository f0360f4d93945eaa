"""The worker warm-up (gunicorn.conf.py post_worker_init): templates compiled, schemes loaded."""

from app.services import schemes
from app.web.templating import warm
from tests.builders import factories as f


def test_warm_compiles_every_template_and_loads_open_cycles_schemes(app, session):
    scheme = f.voting_scheme(session)
    cycle = f.cycle(session, scheme=scheme)
    archived = f.cycle(session, name="已归档的周期", scheme=scheme)
    archived.archived = True
    session.add(archived)
    session.commit()
    schemes._LOADED.clear()
    app.jinja_env.cache.clear()
    out = warm(app)
    n = len([t for t in app.jinja_env.list_templates() if t.endswith(".html")])
    assert out == f"{n} templates, 1 scheme(s)" and n > 50
    assert len(app.jinja_env.cache) >= n
    assert len(schemes._LOADED) == 1
    assert schemes.cycle_scheme(cycle) is next(iter(schemes._LOADED.values()))


def test_warm_keeps_which_units_the_indicators_apply_to_and_writes_nothing(app, session):
    from sqlmodel import func, select

    from app.models.audit import AuditEntry
    from app.models.result import ResultSet
    from app.services import reports, scoring

    scheme = f.voting_scheme(session)
    f.cycle(session, scheme=scheme)
    f.unit(session, "机电工程学院")
    f.unit(session, "教务处", category="department")
    session.commit()
    scoring._POPULATIONS.clear()
    reports._UNIT_LEAVES.clear()
    audits = session.exec(select(func.count(AuditEntry.id))).one()
    warm(app)
    assert scoring._POPULATIONS and len(reports._UNIT_LEAVES) == 2
    session.rollback()
    assert session.exec(select(func.count(ResultSet.id))).one() == 0  # the sheet's inputs read, no set made
    assert session.exec(select(func.count(AuditEntry.id))).one() == audits
