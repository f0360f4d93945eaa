"""Real servers for the campus sign-in and e-mail tests, started on loopback in a throw-away
directory: a certificate authority and a server certificate (openssl), an OpenLDAP server
(Debian's slapd with its own cn=config), an SMTP server (aiosmtpd) with STARTTLS and AUTH LOGIN.
The CAS stand-in is in ``tests/builders/cas_standin.py``.
"""

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
LDAP_MODULES = Path("/usr/lib/ldap")

BASE_DN = "dc=example,dc=edu"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PW = "admin-secret-1"
SERVICE_DN = f"cn=kpi-reader,ou=services,{BASE_DN}"
SERVICE_PW = "reader-secret-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class Certs:
    ca: Path
    cert: Path
    key: Path


def make_certs(directory: Path) -> Certs:
    """A throw-away CA and a server certificate for 127.0.0.1 / localhost signed by it."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (directory / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ext = directory / "san.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                   "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=KPI test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
        "-days", "2", "-extfile", str(ext))
    for p in (key, ca_key):
        os.chmod(p, 0o600)
    return Certs(ca=ca, cert=cert, key=key)


def slapd_missing_reason() -> str | None:
    if not os.path.exists(SLAPD) or not os.path.exists(SLAPADD):
        return "slapd is not installed (make test installs Debian's slapd and ldap-utils via scripts/system_deps.sh)"
    if not (SCHEMA_DIR / "inetorgperson.ldif").exists() or not LDAP_MODULES.exists():
        return "slapd's schema files or modules are missing (/etc/ldap/schema, /usr/lib/ldap)"
    if not shutil.which("openssl"):
        return "openssl is not installed"
    return None


@dataclass
class LdapPerson:
    uid: str
    password: str
    employee_no: str | None
    name: str = "测试用户"
    ou: str = "people"


@dataclass
class Slapd:
    """A running slapd: ``url`` (plain, StartTLS offered), ``ldaps_url``, ``certs``."""

    directory: Path
    port: int
    ldaps_port: int
    certs: Certs
    process: subprocess.Popen | None = None
    people: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _config_ldif(d: Path, certs: Certs) -> str:
    schemas = "".join(f"include: file://{SCHEMA_DIR / n}.ldif\n" for n in ("core", "cosine", "nis", "inetorgperson"))
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {d}/slapd.pid
olcTLSCACertificateFile: {certs.ca}
olcTLSCertificateFile: {certs.cert}
olcTLSCertificateKeyFile: {certs.key}

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {LDAP_MODULES}
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {BASE_DN}
olcRootDN: {ADMIN_DN}
olcRootPW: {ADMIN_PW}
olcDbDirectory: {d}/data
olcDbMaxSize: 16777216
olcAccess: {{0}}to attrs=userPassword by anonymous auth by self auth by * none
olcAccess: {{1}}to * by self read by dn.exact="{SERVICE_DN}" read by * none
"""


def _data_ldif(people: list[LdapPerson]) -> str:
    out = [f"""dn: {BASE_DN}
objectClass: dcObject
objectClass: organization
dc: example
o: Example College

dn: ou=people,{BASE_DN}
objectClass: organizationalUnit
ou: people

dn: ou=alumni,{BASE_DN}
objectClass: organizationalUnit
ou: alumni

dn: ou=services,{BASE_DN}
objectClass: organizationalUnit
ou: services

dn: {SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: kpi-reader
userPassword: {SERVICE_PW}
"""]
    for p in people:
        lines = [f"dn: uid={p.uid},ou={p.ou},{BASE_DN}", "objectClass: inetOrgPerson", f"uid: {p.uid}",
                 f"cn: {p.name}", f"sn: {p.name[:1]}", f"userPassword: {p.password}"]
        if p.employee_no:
            lines.append(f"employeeNumber: {p.employee_no}")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


def start_slapd(directory: Path, people: list[LdapPerson], certs: Certs | None = None) -> Slapd:
    """Build a cn=config and a database in ``directory`` and run slapd on two free loopback
    ports (ldap:// with StartTLS, ldaps://) until :meth:`Slapd.stop`."""
    directory.mkdir(parents=True, exist_ok=True)
    certs = certs or make_certs(directory / "tls")
    confdir, datadir = directory / "slapd.d", directory / "data"
    confdir.mkdir()
    datadir.mkdir()
    (directory / "config.ldif").write_text(_config_ldif(directory, certs), encoding="utf-8")
    (directory / "data.ldif").write_text(_data_ldif(people), encoding="utf-8")
    for n, ldif in ((0, "config.ldif"), (1, "data.ldif")):
        subprocess.run([SLAPADD, "-n", str(n), "-F", str(confdir), "-l", str(directory / ldif)], check=True,
                       capture_output=True)
    server = Slapd(directory=directory, port=free_port(), ldaps_port=free_port(), certs=certs, people=people)
    log = open(directory / "slapd.log", "wb")
    server.process = subprocess.Popen(
        [SLAPD, "-d", "0", "-F", str(confdir), "-h", f"{server.url}/ {server.ldaps_url}/"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(server.port)
        wait_port(server.ldaps_port)
    except RuntimeError:
        server.stop()
        raise RuntimeError(f"slapd did not start: {(directory / 'slapd.log').read_text(errors='replace')}") from None
    return server


# The directory the LDAP tests sign in against.
LDAP_PEOPLE = [
    LdapPerson("zhangsan", "campus-pass-1", "T2001", "张三"),
    LdapPerson("lisi", "campus-pass-2", "T2002", "李四"),  # no product account with this 工号
    LdapPerson("wangwu", "campus-pass-3", None, "王五"),  # no 工号 in the directory
    LdapPerson("office", "campus-pass-4", "T2009", "目标办同名"),  # a campus name equal to a local one
    LdapPerson("zhaoliu", "campus-pass-5", "T2005", "赵六", ou="alumni"),  # outside ou=people
]


SMTP_USER = "kpi-mailer"
SMTP_PASSWORD = "mail-secret-1"


@dataclass
class SmtpServer:
    """A running aiosmtpd on loopback: STARTTLS required before AUTH, AUTH LOGIN only, then
    every accepted message lands in ``messages`` (email.message.EmailMessage objects)."""

    port: int
    certs: Certs
    controller: object = None
    messages: list = field(default_factory=list)
    mechanisms: list = field(default_factory=list)
    refuse: list = field(default_factory=list)  # recipient addresses to refuse with 550

    def config(self, **extra) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_TLS": True, "SMTP_CA_FILE": str(self.certs.ca),
                "SMTP_USER": SMTP_USER, "SMTP_PASSWORD": SMTP_PASSWORD, "SMTP_FROM": "kpi@example.edu", **extra}

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def start_smtp(certs: Certs) -> SmtpServer:
    import email
    import email.policy
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    server = SmtpServer(port=free_port(), certs=certs)

    class Handler:
        async def handle_RCPT(self, _server, _session, envelope, address, _options):
            if address in server.refuse:
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, _server, _session, envelope):
            server.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 Message accepted"

    def authenticator(_server, _session, _envelope, mechanism, auth_data):
        server.mechanisms.append(mechanism)
        ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certs.cert), str(certs.key))
    server.controller = Controller(Handler(), hostname="127.0.0.1", port=server.port, tls_context=context,
                                   require_starttls=True, auth_required=True, auth_require_tls=True,
                                   auth_exclude_mechanism=["PLAIN"], authenticator=authenticator)
    server.controller.start()
    return server
