"""Security headers on every response (one after-request hook, not one header per view).

* ``Content-Security-Policy``: scripts, styles, images, fonts and fetches only from this server;
  no inline script (page behaviour lives in ``app/static/*.js``; the CSRF token is read from the
  ``csrf-token`` meta tag), no plugins, forms post only here, no framing (``frame-ancestors
  'none'``). Inline ``style`` attributes stay allowed: bar widths are computed in templates.
* ``X-Frame-Options: DENY`` for browsers without CSP level 2, ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin`` (the ballot pages keep their stricter ``no-referrer``),
  ``Cross-Origin-Opener-Policy: same-origin`` and a ``Permissions-Policy`` turning off sensors.
* ``Strict-Transport-Security`` only when ``KPI_SECURE_COOKIES=1`` (the site is served over HTTPS);
  on plain-HTTP intranets it would lock browsers out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000"


def csp_for(cas_url: str | None = None) -> str:
    """The policy; with CAS sign-in configured, the sign-out form's redirect to the CAS server
    is allowed (browsers apply ``form-action`` to the redirects that follow a form post)."""
    if not cas_url:
        return CSP
    parts = urlsplit(cas_url)
    return CSP.replace("form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")


def security_headers(secure: bool, cas_url: str | None = None) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": csp_for(cas_url),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }
    if secure:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def init_headers(app: Flask) -> None:
    headers = security_headers(bool(app.config.get("SESSION_COOKIE_SECURE")), app.config.get("CAS_URL"))

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
