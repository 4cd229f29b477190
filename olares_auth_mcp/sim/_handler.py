"""The HTTP side of the simulator: one threaded server and a handler for the Olares routes.

Wire formats follow beclab/Olares `cli/pkg/auth/login.go` (login), `refresh.go` (refresh) and the BFL routes (desktop
API). Auth routes answer Authelia's ``{"status": "OK"|"KO", …}`` envelope; the desktop API
answers BFL's ``{"code": …, "message": …, "data": …}``. Nothing here logs: request lines,
headers and bodies can all carry secrets.

A refused desktop-API token gets what the Olares edge (beclab/authelia
`internal/handlers/handler_authz_impl_legacy.go`) answers: with ``X-Unauth-Error: Non-Redirect``
(header or cookie) HTTP 459 and ``{"fa2", "method", "session_id", "target_url"}``; without it a
401 (API client: ``Accept`` without ``text/html``, or ``X-Requested-With: XMLHttpRequest``) or a 302
(browser), both an HTML link to the login portal with a ``Location`` header. `Simulator.set_edge_status`
(401) switches to a plain BFL-style 401 JSON for every refusal instead.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import ssl
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from html import escape
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from olares_auth_mcp.sim._state import SESSION_COOKIE, Fault, Rejected, SimState, SimUser, local_part

_MAX_BODY: Final = 1 << 20
_UNAUTH_ERROR: Final = "X-Unauth-Error"
_NON_REDIRECT: Final = "Non-Redirect"
_Request = socket.socket | tuple[bytes, socket.socket]


class SimHTTPServer(ThreadingHTTPServer):
    """A `ThreadingHTTPServer` that knows its `SimState` and can cut its open connections.

    Connections are tracked so that `close_connections` can end idle keep-alive threads
    at stop time; otherwise they would sit in ``readline`` until their timeout.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512  # the refresh-storm benchmark opens 128+ connections at once

    def __init__(self, address: tuple[str, int], state: SimState) -> None:
        self.state = state
        self.stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can stall.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: _Request, client_address: Any) -> None:
        if isinstance(request, socket.socket):
            with self._conns_lock:
                self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: _Request) -> None:
        if isinstance(request, socket.socket):
            with self._conns_lock:
                self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every open client connection; their handler threads then see EOF and exit."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):  # already closed by its handler
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: _Request, client_address: Any) -> None:
        # A client hanging up mid-response is normal in fault tests; stay quiet about it.
        # A TLS client that rejects our certificate (the expired-certificate knob) is expected too.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError | ssl.SSLError):
            return
        traceback.print_exc(file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    server: SimHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, so benchmarks measure the auth logic, not TCP setup
    # Headers and body leave in two writes: with Nagle on, the body of every reply on a reused
    # connection waits for the client's delayed ACK (~40 ms on Linux). Real servers set TCP_NODELAY.
    disable_nagle_algorithm = True
    server_version = "OlaresSim/1"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after this many seconds

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the default writes every request line to stderr."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header from the simulator's clock and its skew knob (``Simulator.set_date_offset``)."""
        return super().date_time_string(self.server.state.date_now() if timestamp is None else timestamp)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # -- plumbing -------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        body = self._read_body()
        if body is None:
            return
        state = self.server.state
        state.count_hit(path)
        fault = state.take_fault(path)
        if fault is not None and self._apply_fault(fault):
            return
        route = _ROUTES.get(path)
        if route is None:
            self._json(404, {"code": 404, "message": "not found"})
            return
        allowed, handler = route
        if method != allowed:
            self._json(405, {"code": 405, "message": "method not allowed"}, [("Allow", allowed)])
            return
        try:
            handler(self, body)
        except (ConnectionError, TimeoutError):
            raise  # the client went away: nothing to answer, handle_error stays quiet
        except Exception:
            # A simulator bug: answer it rather than hang the client, and show it on stderr.
            traceback.print_exc(file=sys.stderr)
            self._json(500, {"status": "KO", "message": "internal simulator error"})

    def _read_body(self) -> bytes | None:
        raw = self.headers.get("Content-Length", "0")
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0 or length > _MAX_BODY:
            self.close_connection = True  # the unread body would poison the next request
            self._json(400 if length < 0 else 413, {"status": "KO", "message": "bad Content-Length"})
            return None
        return self.rfile.read(length) if length else b""

    def _apply_fault(self, fault: Fault) -> bool:
        """Play `fault`; True when the request is finished (answered or dropped)."""
        # A stopping server wakes delayed requests at once, so stop() stays bounded.
        if fault.delay > 0 and self.server.stopping.wait(fault.delay):
            self.close_connection = True
            return True
        if fault.drop:
            self.close_connection = True  # close without writing a single byte
            return True
        if fault.status is not None:
            self._send(fault.status, fault.body, fault.content_type)
            return True
        return False

    def _send(self, status: int, body: bytes, content_type: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, Any], headers: Iterable[tuple[str, str]] = ()) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        self._send(status, body, "application/json", headers)

    def _ko(self, status: int, message: str) -> None:
        self._json(status, {"status": "KO", "message": message})

    def _json_object(self, body: bytes) -> dict[str, Any] | None:
        """The body as a JSON object, or None after answering 400."""
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            payload = None
        if not isinstance(payload, dict):
            self._ko(400, "request body must be a JSON object")
            return None
        return payload

    def _cookie(self, name: str) -> str | None:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load("; ".join(self.headers.get_all("Cookie") or ()))
        except CookieError:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel is not None else None

    def _authorize(self) -> SimUser | None:
        """The caller per ``X-Authorization`` (else the ``auth_token`` cookie), or None after refusing it."""
        token = self.headers.get("X-Authorization") or self._cookie("auth_token")
        try:
            return self.server.state.authorize(token)
        except Rejected as exc:
            if self.server.state.edge_status() == 401:
                self._json(401, {"code": 401, "message": str(exc)})
            else:
                self._edge_refusal(exc.one_factor)
            return None

    def _edge_refusal(self, one_factor: bool) -> None:
        """The edge's answer to an unauthorized request (beclab/authelia `handler_authz_impl_legacy.go`)."""
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        host = self.headers.get("Host") or f"{self.server.server_name}:{self.server.server_port}"
        target = f"{scheme}://{host}{self.path}"
        if (self.headers.get(_UNAUTH_ERROR) or self._cookie(_UNAUTH_ERROR)) == _NON_REDIRECT:
            # Go marshals a map with sorted keys; session_id echoes the Authelia session cookie sent, if any.
            payload = {
                "fa2": one_factor,
                "method": self.command,
                "session_id": self._cookie(SESSION_COOKIE) or "",
                "target_url": target,
            }
            self._json(459, payload)
            return
        portal = f"{scheme}://{host}/?{urlencode({'rd': target, 'rm': self.command})}"
        xhr = (self.headers.get("X-Requested-With") or "").lower() == "xmlhttprequest"
        status = 401 if xhr or not _accepts_html(self.headers.get("Accept", "")) else 302
        reason = "Unauthorized" if status == 401 else "Found"
        body = f'<a href="{escape(portal)}">{status} {reason}</a>'.encode()
        self._send(status, body, "text/html; charset=utf-8", [("Location", portal)])

    # -- routes ---------------------------------------------------------------------------

    def _first_factor(self, body: bytes) -> None:
        payload = self._json_object(body)
        if payload is None:
            return
        username, password = payload.get("username"), payload.get("password")
        target = payload.get("targetURL", "")
        if not (isinstance(username, str) and isinstance(password, str) and isinstance(target, str)):
            self._ko(400, "username, password and targetURL must be strings")
            return
        # Stricter than the box on purpose: Authelia drops the session cookie only when acceptCookie is false,
        # absent or null meaning true (beclab/authelia `internal/handlers/handler_firstfactor.go`); olares-cli
        # always sends true, and a client that leaves it out leans on a default. Here the cookie is set only
        # when asked for; without it the second factor has no session.
        accept_cookie = payload.get("acceptCookie")
        accept_cookie = False if accept_cookie is None else accept_cookie
        if not isinstance(accept_cookie, bool):
            self._ko(400, "acceptCookie must be a boolean")
            return
        try:
            tokens, cookie = self.server.state.first_factor(username, password, target)
        except Rejected as exc:
            self._ko(401, str(exc))
            return
        headers = [("Set-Cookie", f"{SESSION_COOKIE}={cookie}; Path=/; HttpOnly")] if cookie and accept_cookie else []
        self._json(200, tokens.envelope(), headers)

    def _second_factor(self, body: bytes) -> None:
        payload = self._json_object(body)
        if payload is None:
            return
        target, code = payload.get("targetUrl"), payload.get("token")
        if not (isinstance(target, str) and isinstance(code, str)):
            self._ko(400, "targetUrl and token must be strings")
            return
        if self.headers.get("X-Unauth-Error") != "Non-Redirect":
            self._ko(401, "X-Unauth-Error: Non-Redirect is required")
            return
        first = self.headers.get("X-Authorization", "")
        try:
            tokens = self.server.state.second_factor(first, self._cookie(SESSION_COOKIE), target, code)
        except Rejected as exc:
            self._ko(401, str(exc))
            return
        self._json(200, tokens.envelope())

    def _refresh(self, body: bytes) -> None:
        payload = self._json_object(body)
        if payload is None:
            return
        refresh_token = payload.get("refreshToken")
        if not isinstance(refresh_token, str):
            self._ko(400, "refreshToken must be a string")
            return
        try:
            tokens = self.server.state.refresh(refresh_token)
        except Rejected as exc:
            self._ko(401, str(exc))
            return
        self._json(200, tokens.envelope())

    def _user_info(self, _body: bytes) -> None:
        user = self._authorize()
        if user is not None:
            data = {"name": local_part(user.olares_id), "owner_role": user.owner_role}
            self._json(200, {"code": 0, "message": "", "data": data})

    def _olares_info(self, _body: bytes) -> None:
        user = self._authorize()
        if user is not None:
            data = {"osVersion": self.server.state.os_version, "olaresId": user.olares_id}
            # user-service answers code 200 on the routes it proxies, BFL 0: clients must accept both.
            self._json(200, {"code": 200, "message": "", "data": data})

    def _mint(self, body: bytes) -> None:
        """``POST /__sim/mint`` ``{"olaresId": …}`` → ``{"refresh_token": …}``: a fresh grant for a configured
        user, as a password login would make, so ``profile import`` can be tried by hand. Simulator only:
        the token is worth nothing outside this process."""
        payload = self._json_object(body)
        if payload is None:
            return
        olares_id = payload.get("olaresId")
        if not isinstance(olares_id, str):
            self._ko(400, "olaresId must be a string")
            return
        try:
            _, refresh = self.server.state.issue_tokens(olares_id)
        except KeyError:
            self._ko(404, "no such user on this simulator")
            return
        self._json(200, {"refresh_token": refresh})


def _accepts_html(accept: str) -> bool:
    """Authelia's ``AcceptsMIME("text/html")``: listed anywhere, or ``*/*`` first (so a missing header is not)."""
    for i, item in enumerate(accept.split(",")):
        mime = item.split(";", 1)[0].strip()
        if mime == "text/html" or (i == 0 and mime == "*/*"):
            return True
    return False


_ROUTES: Final[dict[str, tuple[str, Callable[[_Handler, bytes], None]]]] = {
    "/api/firstfactor": ("POST", _Handler._first_factor),
    "/api/secondfactor/totp": ("POST", _Handler._second_factor),
    "/api/refresh": ("POST", _Handler._refresh),
    "/api/backend/v1/user-info": ("GET", _Handler._user_info),
    "/api/olares-info": ("GET", _Handler._olares_info),
    "/__sim/mint": ("POST", _Handler._mint),
}
