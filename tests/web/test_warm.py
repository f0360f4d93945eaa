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
