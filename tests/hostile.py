"""A hostile Olares-like server on loopback, for the trust-boundary regression tests.

It stands in for an attacker's domain (route requests to it with ``OLARES_AUTH_MCP_SERVICE_URL``
or, where a test still can, with an override): it records every request it gets, and answers
with whatever the test scripts, e.g. a 400 that quotes the request body back, a huge body, a
body that drips, or JSON whose strings carry instructions and escape sequences.

Never point a test at a real domain: everything here binds 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    """One request the hostile server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    """What to answer: status, body (bytes or a JSON-able value) and headers; ``drip`` sends the body
    one byte every ``drip`` seconds (bounded by ``max_seconds``)."""

    status: int = 200
    body: bytes | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0
    max_seconds: float = 10.0
    chunks: Callable[[], Iterable[bytes]] | None = None
    """A body generated lazily (e.g. 200 MB that never exists in memory at once), sent chunked unless
    ``length`` declares a Content-Length; ``body`` is then ignored."""
    length: int | None = None

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


Responder = Callable[[Seen], Reply]


def echo_400(seen: Seen) -> Reply:
    """The classic exfiltration reply: a 400 that quotes the request body back."""
    return Reply(400, {"status": "KO", "message": f"bad request: {seen.body.decode('utf-8', 'replace')}"})


class HostileServer:
    """``with HostileServer(responder) as evil:`` — ``evil.url``, ``evil.seen``."""

    def __init__(self, responder: Responder = echo_400) -> None:
        self.responder = responder
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:  # keep test output clean
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with owner._lock:
                    owner.seen.append(seen)
                reply = owner.responder(seen)
                if reply.chunks is not None:
                    self._send_lazily(reply)
                    return
                payload = reply.payload()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if not reply.drip:
                    self.wfile.write(payload)
                    return
                deadline = time.monotonic() + reply.max_seconds
                for i in range(len(payload)):
                    if time.monotonic() > deadline:
                        break
                    try:
                        self.wfile.write(payload[i : i + 1])
                        self.wfile.flush()
                    except OSError:
                        break
                    time.sleep(reply.drip)  # the drip itself is the behaviour under test, not a synchronisation

            def _send_lazily(self, reply: Reply) -> None:
                assert reply.chunks is not None
                self.send_response(reply.status)
                for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                chunked = reply.length is None
                self.send_header(
                    *(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(reply.length)))
                )
                self.end_headers()
                try:
                    for chunk in reply.chunks():
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                    if chunked:
                        self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    self.close_connection = True  # the client stopped reading: that is the point

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="hostile-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path.split("?", 1)[0] == path]

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class HeaderDrip:
    """A raw loopback server that answers with a status line, then drips header lines forever (up to 15 s): what
    ``HostileServer``'s body drip cannot do. With ``first``, each connection's first request gets a whole
    keep-alive answer with that JSON body, and only the next request on the same connection gets the drip.
    Counts the connections it accepts."""

    def __init__(self, first: bytes | None = None) -> None:
        self.first = first
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                self.accepted += 1
                threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    @staticmethod
    def _request(conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        return True

    def _talk(self, conn: socket.socket) -> None:
        with suppress(OSError), conn:
            if not self._request(conn):
                return
            if self.first is not None:
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(self.first), self.first)
                )
                if not self._request(conn):
                    return
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(75):
                if self.stop.wait(0.2):  # the drip's pace, not a synchronisation
                    break
                conn.sendall(b"X-Drip: a\r\n")

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
