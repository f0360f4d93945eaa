"""A stand-in CAS server for the tests (there is no CAS server package to install): a small
WSGI app served on loopback that speaks CAS protocol 3.0 as its specification gives it
(https://apereo.github.io/cas/6.6.x/protocol/CAS-Protocol-Specification.html):

- ``GET /cas/login?service=URL``: a sign-in form (or, with a live single sign-on cookie, straight
  back); ``POST /cas/login`` checks the credentials and redirects to ``service?ticket=ST-…``.
- ``GET /cas/p3/serviceValidate?service=URL&ticket=ST-…``: section 2.5/2.6, the XML
  ``<cas:serviceResponse>`` with ``<cas:authenticationSuccess>`` (user and ``<cas:attributes>``)
  or ``<cas:authenticationFailure code="INVALID_REQUEST|INVALID_TICKET|INVALID_SERVICE">``;
  a service ticket is valid once, for the service it was issued to.
- ``GET /cas/logout?service=URL``: ends the single sign-on session and sends each service it
  signed in to a back-channel SAML ``LogoutRequest`` (appendix C), then redirects to ``service``.
"""

import html
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

NS = "http://www.yale.edu/tp/cas"


@dataclass
class CasPerson:
    password: str
    attributes: dict


@dataclass
class Ticket:
    user: str
    service: str
    sso: str
    used: bool = False


@dataclass
class CasStandIn:
    people: dict  # user name -> CasPerson
    tickets: dict = field(default_factory=dict)  # ST-… -> Ticket
    sso_sessions: dict = field(default_factory=dict)  # TGC value -> user name
    validations: list = field(default_factory=list)  # (ticket, service) as asked
    logouts_sent: list = field(default_factory=list)  # (service, ticket, HTTP status)
    port: int = 0
    _server: object = None
    _thread: object = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cas/"

    # ----------------------------------------------------------- protocol XML
    @staticmethod
    def success_xml(user: str, attributes: dict) -> str:
        attrs = []
        for name, value in attributes.items():
            for v in value if isinstance(value, list) else [value]:
                attrs.append(f"            <cas:{name}>{html.escape(str(v))}</cas:{name}>")
        attrs_xml = "\n".join(attrs)
        return f"""<cas:serviceResponse xmlns:cas="{NS}">
    <cas:authenticationSuccess>
        <cas:user>{html.escape(user)}</cas:user>
        <cas:attributes>
            <cas:authenticationDate>{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}</cas:authenticationDate>
            <cas:longTermAuthenticationRequestTokenUsed>false</cas:longTermAuthenticationRequestTokenUsed>
            <cas:isFromNewLogin>true</cas:isFromNewLogin>
{attrs_xml}
        </cas:attributes>
    </cas:authenticationSuccess>
</cas:serviceResponse>
"""

    @staticmethod
    def failure_xml(code: str, message: str) -> str:
        return f"""<cas:serviceResponse xmlns:cas="{NS}">
    <cas:authenticationFailure code="{code}">
        {html.escape(message)}
    </cas:authenticationFailure>
</cas:serviceResponse>
"""

    @staticmethod
    def logout_request_xml(ticket: str) -> str:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"""<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
     ID="LR-{secrets.token_hex(8)}" Version="2.0" IssueInstant="{now}">
    <saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
      @NOT_USED@
    </saml:NameID>
    <samlp:SessionIndex>{ticket}</samlp:SessionIndex>
</samlp:LogoutRequest>"""

    # ----------------------------------------------------------- operations
    def issue_ticket(self, user: str, service: str, sso: str | None = None) -> str:
        ticket = "ST-" + secrets.token_urlsafe(24)
        self.tickets[ticket] = Ticket(user=user, service=service, sso=sso or "")
        return ticket

    def backchannel_logout(self, ticket: str) -> int:
        """POST the SAML LogoutRequest for ``ticket`` to its service; the HTTP status."""
        t = self.tickets[ticket]
        r = requests.post(t.service, data={"logoutRequest": self.logout_request_xml(ticket)}, timeout=10,
                          allow_redirects=False)
        self.logouts_sent.append((t.service, ticket, r.status_code))
        return r.status_code

    # ----------------------------------------------------------- WSGI
    def __call__(self, environ, start_response):
        request = Request(environ)
        path = request.path
        if path == "/cas/login":
            response = self._login(request)
        elif path == "/cas/p3/serviceValidate":
            response = self._validate(request)
        elif path == "/cas/logout":
            response = self._logout(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    @staticmethod
    def _with_ticket(service: str, ticket: str) -> str:
        parts = urlsplit(service)
        query = parse_qsl(parts.query) + [("ticket", ticket)]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _login(self, request: Request) -> Response:
        service = request.values.get("service", "")
        sso = request.cookies.get("CASTGC")
        if request.method == "GET" and sso in self.sso_sessions and service:
            return self._redirect(self._with_ticket(service, self.issue_ticket(self.sso_sessions[sso], service, sso)))
        error = ""
        if request.method == "POST":
            user = request.form.get("username", "")
            person = self.people.get(user)
            if person and person.password == request.form.get("password", ""):
                sso = "TGT-" + secrets.token_urlsafe(16)
                self.sso_sessions[sso] = user
                if not service:
                    response = Response("<p>登录成功</p>", mimetype="text/html")
                else:
                    response = self._redirect(self._with_ticket(service, self.issue_ticket(user, service, sso)))
                response.set_cookie("CASTGC", sso, path="/cas/", httponly=True)
                return response
            error = '<p class="error" id="cas-error">用户名或密码错误</p>'
        page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>统一身份认证</title></head>
<body><h1>统一身份认证（测试用 CAS）</h1>{error}
<form method="post" action="/cas/login">
<input type="hidden" name="service" value="{html.escape(service)}">
<label>用户名 <input name="username" id="cas-username"></label>
<label>密码 <input type="password" name="password" id="cas-password"></label>
<button type="submit" id="cas-submit">登录</button></form></body></html>"""
        return Response(page, mimetype="text/html")

    def _validate(self, request: Request) -> Response:
        ticket, service = request.args.get("ticket"), request.args.get("service")
        self.validations.append((ticket, service))
        if not ticket or not service:
            xml = self.failure_xml("INVALID_REQUEST", "'service' and 'ticket' parameters are both required")
        elif ticket not in self.tickets or self.tickets[ticket].used:
            xml = self.failure_xml("INVALID_TICKET", f"Ticket {ticket} not recognized")
        else:
            t = self.tickets[ticket]
            t.used = True  # a service ticket is valid for one validation attempt only
            if t.service != service:
                xml = self.failure_xml("INVALID_SERVICE", f"Ticket {ticket} does not match supplied service.")
            else:
                xml = self.success_xml(t.user, self.people[t.user].attributes)
        return Response(xml, content_type="application/xml; charset=utf-8")

    def _logout(self, request: Request) -> Response:
        sso = request.cookies.get("CASTGC")
        if sso in self.sso_sessions:
            del self.sso_sessions[sso]
            for ticket, t in list(self.tickets.items()):
                if t.sso == sso and t.used:
                    self.backchannel_logout(ticket)
        service = request.args.get("service")
        response = (
            self._redirect(service) if service else Response("<p>您已退出统一身份认证。</p>", mimetype="text/html")
        )
        response.delete_cookie("CASTGC", path="/cas/")
        return response

    @staticmethod
    def _redirect(location: str) -> Response:
        return Response("", status=302, headers={"Location": location})

    # ----------------------------------------------------------- serving
    def start(self) -> "CasStandIn":
        self._server = make_server("127.0.0.1", 0, self, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._server = None


# The campus accounts the CAS tests sign in with.
CAS_PEOPLE = {
    "T2001": CasPerson("cas-pass-1", {"employeeNumber": "T2001", "cn": "张三", "memberOf": ["staff", "faculty"]}),
    "lisi": CasPerson("cas-pass-2", {"employeeNumber": "T2002", "cn": "李四"}),  # no product account
    "zhangsan": CasPerson("cas-pass-3", {"employeeNumber": "T2001", "cn": "张三"}),
}
