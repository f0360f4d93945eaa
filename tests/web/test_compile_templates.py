"""compile_all (called by gunicorn.conf.py when a worker starts) compiles every page template, so
that a syntax error shows at start-up and no first request waits behind a compilation."""

from app.web.templating import compile_all


def test_compile_all_fills_the_template_cache(app):
    n = compile_all(app)
    assert n > 50
    cached = {key[1] for key in app.jinja_env.cache}
    assert {"results/_macros.html", "results/_public_body.html", "results/unit.html", "base.html"} <= cached
