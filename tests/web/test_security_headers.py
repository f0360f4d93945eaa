"""Security headers on every response: every GET route of the route walk, for every role and for
anonymous readers, carries the CSP without inline script, the anti-framing headers, nosniff and a
referrer policy; HSTS only when the site runs with secure cookies; no template has inline script."""

import re
from pathlib import Path

import pytest

from app import create_app
from config import TestConfig
from tests.builders import factories as f
from tests.web.test_route_rules import _build, _rules, people  # noqa: F401  (fixture)

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


def check_headers(resp, where: str) -> None:
    h = resp.headers
    csp = h.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("script-src") == ["'self'"] or (
        "script-src" not in directives and directives.get("default-src") == ["'none'"]), (where, csp)
    assert directives.get("frame-ancestors") == ["'none'"], (where, csp)
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), where
    assert "Strict-Transport-Security" not in h, where


def test_every_get_page_carries_the_headers(app, session, people):  # noqa: F811
    f.cycle(session)
    session.commit()
    checked = 0
    for role in [None, *people]:
        client = app.test_client()
        if role:
            assert f.login(client, f"p_{role}").status_code == 302
        for rule in _rules(app):
            if "GET" not in rule.methods:
                continue
            url = _build(rule)
            resp = client.get(url)
            check_headers(resp, f"{role} GET {url} → {resp.status_code}")
            checked += 1
    for url in ("/static/app.css", "/no-such-page", "/login"):
        check_headers(app.test_client().get(url), url)
    assert checked > 100


def test_post_responses_and_errors_carry_them_too(client):
    check_headers(client.post("/login", data={"username": "x", "password": "y"}), "POST /login")
    check_headers(client.post("/public/"), "405")


def test_hsts_only_with_secure_cookies(tmp_path):
    class Secure(TestConfig):
        SESSION_COOKIE_SECURE = True
        UPLOAD_FOLDER = str(tmp_path)

    secure = create_app(Secure).test_client().get("/login")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_inline_script(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script> block"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline on… handler"
    assert "javascript:" not in text


def test_cas_sign_out_redirect_is_allowed_by_form_action():
    from app.headers import csp_for

    assert "form-action 'self';" in csp_for(None) + ";"
    policy = csp_for("https://cas.example.edu.cn/cas/")
    assert "form-action 'self' https://cas.example.edu.cn;" in policy + ";"
    assert "script-src 'self';" in policy + ";"  # nothing else widens
