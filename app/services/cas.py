"""CAS 3.0 sign-in (统一身份认证) with the python-cas client.

The flow (CAS protocol 3.0): the login page sends the browser to ``<KPI_CAS_URL>login?service=
<our /login/cas address>``; the CAS server sends it back with ``?ticket=ST-…``; we validate the
ticket at ``<KPI_CAS_URL>p3/serviceValidate`` (server to server) and get the CAS user name and
attributes. The 工号 is the attribute ``KPI_CAS_EMPLOYEE_NO_ATTR`` when set, else the user name;
it is matched to an account exactly as for LDAP, and CAS never grants a role.

Single sign-out: the CAS server POSTs a SAML ``LogoutRequest`` (form field ``logoutRequest``)
to the same service address, naming the service ticket in ``<samlp:SessionIndex>``; the sign-in
session validated with that ticket ends. Our own logout of a CAS session goes on to
``<KPI_CAS_URL>logout`` so the campus session ends too.
"""

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from flask import current_app
from sqlmodel import Session, delete

from app.models import LoginSession, User

from . import ServiceError, accounts

CAS_NS = "{http://www.yale.edu/tp/cas}"
MAX_TICKET = 256
TIMEOUT_SECONDS = 10


class CasUnavailable(Exception):
    """The CAS server could not be asked, or did not answer in the protocol's XML."""


def configured() -> bool:
    return bool(current_app.config.get("CAS_URL"))


# python-cas and requests are imported where they are used: a worker of a site without CAS never
# loads them (about 5 MB of each worker's memory, issue #17)
def _client(service_url: str):
    import requests
    from cas import CASClientV3

    class _TimeoutSession(requests.Session):
        """python-cas calls the server without a timeout: never let a web request hang on it."""

        def request(self, *args, **kwargs):
            kwargs.setdefault("timeout", TIMEOUT_SECONDS)
            return super().request(*args, **kwargs)

    cfg = current_app.config
    server = cfg["CAS_URL"].rstrip("/") + "/"  # python-cas joins "login", "p3/serviceValidate" to it
    return CASClientV3(service_url=service_url, server_url=server,
                       verify_ssl_certificate=cfg.get("CAS_CA_FILE") or True, session=_TimeoutSession())


def login_url(service_url: str) -> str:
    return _client(service_url).get_login_url()


def logout_url(return_url: str) -> str:
    return _client(return_url).get_logout_url(return_url)


def validate(ticket: str, service_url: str) -> tuple[str | None, dict, str | None]:
    """Ask the CAS server about ``ticket``: (user, attributes, None) on success, (None, {},
    failure code) when the server refuses it; :class:`CasUnavailable` when it cannot say."""
    import requests

    client = _client(service_url)
    try:
        response = client.get_verification_response(ticket)
        SafeET.fromstring(response)  # refuse entity tricks before the library parses it
        user, attributes, _pgtiou = client.verify_response(response)
    except (requests.RequestException, SafeET.ParseError, DefusedXmlException, IndexError, AttributeError) as exc:
        raise CasUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if user:
        return user.strip(), attributes or {}, None
    root = SafeET.fromstring(response)
    failure = root.find(f"{CAS_NS}authenticationFailure")
    if failure is None:
        raise CasUnavailable("neither authenticationSuccess nor authenticationFailure in the response")
    return None, {}, failure.get("code") or "UNKNOWN"


def _employee_no(user: str, attributes: dict) -> str | None:
    attr = current_app.config.get("CAS_EMPLOYEE_NO_ATTR")
    if not attr:
        return user
    value = attributes.get(attr)
    if isinstance(value, list):
        value = value[0] if value else None
    return value.strip() if isinstance(value, str) else None


def sign_in(db: Session, *, ticket: str, service_url: str, ip: str | None) -> User:
    """The account a CAS service ticket vouches for, or ServiceError. Refused tickets count
    against the address as failed sign-ins do (and the address lock applies)."""
    cfg = current_app.config
    key = f"ip:{ip}" if ip else None
    until = accounts.locked_until(db, key) if key else None
    if until:
        raise ServiceError(f"登录失败次数过多，请 {accounts.lock_minutes(until)} 分钟后再试。")
    ticket = (ticket or "").strip()
    if not ticket or len(ticket) > MAX_TICKET:
        raise ServiceError("统一身份认证票据无效，请重新登录。")
    try:
        user, attributes, code = validate(ticket, service_url)
    except CasUnavailable as exc:
        current_app.logger.warning("CAS ticket validation failed: %s", exc)
        raise ServiceError(
            "统一身份认证服务暂时无法连接，请稍后再试；本系统的本地账号仍可用用户名和密码登录。"
        ) from exc
    if user is None:
        current_app.logger.info("CAS refused a ticket: %s", code)
        if key:
            accounts.count_failure(db, key, limit=cfg["LOGIN_MAX_FAILURES_PER_IP"],
                                   window_seconds=cfg["LOGIN_WINDOW_SECONDS"], lock_seconds=cfg["LOGIN_LOCK_SECONDS"])
            db.flush()
        raise ServiceError("统一身份认证票据无效或已过期，请重新登录。")
    return accounts.campus_account(db, employee_no=_employee_no(user, attributes), source="统一身份认证")


def ticket_of_logout_request(xml: str | None) -> str | None:
    """The service ticket a CAS back-channel ``LogoutRequest`` names, or None if it is not one."""
    if not xml or len(xml) > 20000:
        return None
    try:
        SafeET.fromstring(xml)  # no DTDs or entities from an unauthenticated POST
    except (SafeET.ParseError, DefusedXmlException):
        return None
    from cas import CASClientV3

    indexes = CASClientV3.get_saml_slos(xml.encode("utf-8"))
    if not indexes or not (indexes[0].text or "").strip():
        return None
    return indexes[0].text.strip()


def single_sign_out(db: Session, *, ticket: str) -> int:
    """End the sign-in sessions validated with ``ticket``; how many ended."""
    result = db.exec(delete(LoginSession).where(LoginSession.cas_ticket == ticket))
    db.flush()
    return result.rowcount or 0
