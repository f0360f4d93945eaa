"""The campus directory (LDAP) as a password check: does this campus user name and password
bind, and what is the person's 工号 (staff number)?

Two ways to find the person's entry, chosen by the configuration:

- a bind pattern (``LDAP_BIND_PATTERN``, e.g. ``uid={username},ou=people,dc=example,dc=edu``):
  the user name, escaped as a DN value, is put into the pattern and bound with directly;
- search then bind (``LDAP_BIND_DN`` / ``LDAP_BIND_PASSWORD`` of a service account): the
  service account searches ``LDAP_BASE_DN`` with ``LDAP_USER_FILTER`` (the user name escaped for
  a filter), exactly one entry must match, and that entry's DN is bound with the password.

TLS: an ``ldaps://`` URL, or ``LDAP_STARTTLS`` on an ``ldap://`` URL; the server certificate is
always verified, against ``LDAP_CA_FILE`` when given (else the system's CAs).

The directory only says who someone is; it never grants a role. Matching the 工号 to an
account is :func:`app.services.accounts.authenticate`'s business.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from ldap3 import Connection, Server

# ldap3 is imported where it is used: a worker of a site without a directory never loads it
# (about 5 MB of each worker's memory, issue #17)


class DirectoryUnavailable(Exception):
    """The directory could not be asked (down, TLS failure, service account refused)."""


@dataclass(frozen=True)
class DirectoryPerson:
    dn: str
    employee_no: str | None


def configured() -> bool:
    return bool(current_app.config.get("LDAP_URL"))


def _server() -> Server:
    from ldap3 import Server, Tls

    cfg = current_app.config
    url = cfg["LDAP_URL"]
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=cfg.get("LDAP_CA_FILE") or None)
    return Server(url, use_ssl=url.lower().startswith("ldaps://"), tls=tls,
                  connect_timeout=cfg.get("LDAP_TIMEOUT", 5), get_info="NO_INFO")


def _connect(user: str | None, password: str | None) -> Connection:
    """An opened (not yet bound) connection, with StartTLS done when configured."""
    from ldap3 import Connection
    from ldap3.core.exceptions import LDAPException

    cfg = current_app.config
    conn = Connection(_server(), user=user, password=password, auto_bind=False, raise_exceptions=False,
                      receive_timeout=cfg.get("LDAP_TIMEOUT", 5), read_only=True)
    try:
        conn.open()
        if cfg.get("LDAP_STARTTLS") and not cfg["LDAP_URL"].lower().startswith("ldaps://"):
            if not conn.start_tls():
                raise DirectoryUnavailable(f"StartTLS failed: {conn.result}")
    except LDAPException as exc:
        _close(conn)
        raise DirectoryUnavailable(str(exc)) from exc
    return conn


def _close(conn: Connection) -> None:
    from ldap3.core.exceptions import LDAPException

    try:
        conn.unbind()
    except (LDAPException, OSError):
        pass  # a connection that failed half-way (e.g. in the TLS handshake) has nothing to close


def _bind(conn: Connection) -> bool:
    """True if the bind succeeded, False for wrong credentials; anything else is an outage."""
    from ldap3.core.exceptions import LDAPBindError, LDAPException, LDAPInvalidCredentialsResult

    try:
        if conn.bind():
            return True
    except (LDAPBindError, LDAPInvalidCredentialsResult):
        return False
    except LDAPException as exc:
        raise DirectoryUnavailable(str(exc)) from exc
    if conn.result.get("result") == 49:  # invalidCredentials
        return False
    raise DirectoryUnavailable(f"bind refused: {conn.result.get('description')} {conn.result.get('message')}")


def _attr(conn: Connection, name: str) -> str | None:
    if not conn.entries:
        return None
    entry = conn.entries[0]
    if name not in entry.entry_attributes:
        return None
    values = entry[name].values
    return str(values[0]).strip() if values else None


def _find_dn(username: str, attr: str) -> str | None:
    """Search with the service account; the entry's DN, or None unless exactly one matches."""
    from ldap3 import SUBTREE
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars

    cfg = current_app.config
    conn = _connect(cfg.get("LDAP_BIND_DN"), cfg.get("LDAP_BIND_PASSWORD"))
    try:
        if not _bind(conn):
            raise DirectoryUnavailable("the service account (KPI_LDAP_BIND_DN) was refused")
        flt = cfg["LDAP_USER_FILTER"].format(username=escape_filter_chars(username))
        try:
            conn.search(cfg["LDAP_BASE_DN"], flt, search_scope=SUBTREE, attributes=[attr], size_limit=2)
        except LDAPException as exc:
            raise DirectoryUnavailable(str(exc)) from exc
        if conn.result.get("result") not in (0, 4, 32):  # success, sizeLimitExceeded, noSuchObject
            raise DirectoryUnavailable(f"search failed: {conn.result.get('description')}")
        if len(conn.entries) != 1:
            return None
        return conn.entries[0].entry_dn
    finally:
        _close(conn)


def check_password(username: str, password: str) -> DirectoryPerson | None:
    """The person if ``username`` / ``password`` bind in the directory, None if not (unknown
    name, wrong password); :class:`DirectoryUnavailable` if the directory cannot say."""
    from ldap3 import BASE
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.dn import escape_rdn

    cfg = current_app.config
    username = (username or "").strip()
    if not username or not password:
        return None  # an empty password would be an anonymous bind that "succeeds"
    attr = cfg["LDAP_EMPLOYEE_NO_ATTR"]
    if cfg.get("LDAP_BIND_PATTERN"):
        dn = cfg["LDAP_BIND_PATTERN"].format(username=escape_rdn(username))
    else:
        dn = _find_dn(username, attr)
        if dn is None:
            return None
    conn = _connect(dn, password)
    try:
        if not _bind(conn):
            return None
        try:
            conn.search(dn, "(objectClass=*)", search_scope=BASE, attributes=[attr])
        except LDAPException as exc:
            raise DirectoryUnavailable(str(exc)) from exc
        return DirectoryPerson(dn=dn, employee_no=_attr(conn, attr))
    finally:
        _close(conn)
