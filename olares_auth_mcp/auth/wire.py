"""The HTTP exchanges with Olares, byte for byte as olares-cli sends them.

Upstream: beclab/Olares `cli/pkg/auth/login.go`, `cli/pkg/auth/refresh.go`, `cli/pkg/cmdutil/olares_version.go`,
`cli/cmd/ctl/profile/whoami.go`.

Requests go through an injected ``HttpFactory`` so tests pass ``httpx.MockTransport``
or point at the simulator; nothing here reads the environment.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import os
import socket
import ssl
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

import httpx

from olares_auth_mcp.auth.errors import LoginFailed, RefreshFailed, RefreshRejected, ServerError, TOTPRequired
from olares_auth_mcp.auth.gojson import dumps_compact
from olares_auth_mcp.auth.olares_id import OlaresID, service_origin
from olares_auth_mcp.auth.tokens import Grant
from olares_auth_mcp.auth.untrusted import clean, is_plain_word, said, scrub

__all__ = [
    "AUTH_STATUSES",
    "EXCHANGE_SECONDS",
    "MAX_BODY",
    "PASSWORD_SALT",
    "ClientPool",
    "Endpoints",
    "ExchangeDeadline",
    "HttpFactory",
    "ResponseTooLarge",
    "bfl_data",
    "bounded",
    "default_http_factory",
    "first_factor",
    "login",
    "refresh_grant",
    "salted_password",
    "second_factor",
    "server_body",
    "snippet",
    "tls_context",
    "wrong_code",
]

PASSWORD_SALT: Final = "@Olares2025"  # noqa: S105 - a public protocol constant, not a secret
AUTH_STATUSES: Final = frozenset({401, 403, 459})
JSON_HEADERS: Final = {"Content-Type": "application/json", "Accept": "application/json"}
MAX_BODY: Final = 64 * 1024
"""Bytes of one response body we read at most (decoded); a longer body is an error and is not read further."""
EXCHANGE_SECONDS: Final = 20.0
"""Wall-clock bound of one exchange (request, headers and the whole body), whatever the server's pace."""


class HttpFactory(Protocol):
    """Makes the client for one exchange: ``default_http_factory``, or in tests one on ``httpx.MockTransport``
    or trusting a test CA. Callers pass ``insecure`` and ``timeout`` always, ``auth`` when they refresh."""

    def __call__(
        self, *, insecure: bool = False, timeout: float = 30.0, auth: httpx.Auth | None = None
    ) -> httpx.Client:
        """A fresh client: TLS verification off only for ``insecure``; ``timeout`` per operation; ``auth`` wraps it."""
        ...


_TLS_LOCK: Final = threading.Lock()
_TLS_CONTEXTS: dict[bool, ssl.SSLContext] = {}


def tls_context(*, insecure: bool = False) -> ssl.SSLContext:
    """The process's one TLS context for verifying clients (and one for the human-chosen insecure mode).

    Built lazily, once, by httpx's own ``create_ssl_context``, so it is exactly what ``verify=True``
    (honouring ``SSL_CERT_FILE``/``SSL_CERT_DIR``, else certifi) or ``verify=False`` would build per
    client. Parsing the CA bundle costs ~20 ms and leaks allocator memory every time; sharing the
    context makes a client cheap. An ``SSLContext`` is safe to share across threads.
    """
    context = _TLS_CONTEXTS.get(insecure)
    if context is None:
        with _TLS_LOCK:
            context = _TLS_CONTEXTS.get(insecure)
            if context is None:
                context = httpx.create_ssl_context(verify=not insecure, trust_env=not insecure)
                _TLS_CONTEXTS[insecure] = context
    return context


def default_http_factory(
    *, insecure: bool = False, timeout: float = 30.0, auth: httpx.Auth | None = None
) -> httpx.Client:
    """A fresh client (own connection pool and cookie jar) on the shared TLS context: verification
    off only for ``insecure`` profiles, which (as Go's bare transport) then ignore ``HTTP(S)_PROXY``."""
    return httpx.Client(verify=tls_context(insecure=insecure), timeout=timeout, trust_env=not insecure, auth=auth)


class ClientPool:
    """Clients kept idle between calls with the same key, so a burst of calls to one profile reuses one
    keep-alive connection instead of opening one (a TCP and a TLS handshake) per call.

    A client is leased to one caller at a time (``bounded`` hooks the client itself) and goes back with an
    empty cookie jar, as a fresh client starts. It is closed instead when its lease raised (its connection may
    be half-read, or shut down by a deadline) or when ``keep`` clients with its key wait already. An idle
    connection expires after httpx's keep-alive expiry (5 s), so reuse only spans bursts.
    """

    def __init__(self, keep: int = 2) -> None:
        self._keep = keep
        self._idle: dict[Hashable, list[httpx.Client]] = {}
        self._lock = threading.Lock()
        weakref.finalize(self, _close_clients, self._idle)

    @contextmanager
    def lease(self, key: Hashable, make: Callable[[], httpx.Client]) -> Iterator[httpx.Client]:
        """An idle client made for ``key``, else ``make()``; it is the caller's alone until the block ends."""
        with self._lock:
            idle = self._idle.get(key)
            client = idle.pop() if idle else None
        if client is None:
            client = make()
        try:
            yield client
        except BaseException:
            client.close()
            raise
        client.cookies.clear()
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._keep and not client.is_closed:
                idle.append(client)
                return
        client.close()

    def close(self) -> None:
        """Close every idle client (leased ones are closed by their lease as usual)."""
        with self._lock:
            clients = [client for idle in self._idle.values() for client in idle]
            self._idle.clear()
        for client in clients:
            client.close()


def _close_clients(idle: dict[Hashable, list[httpx.Client]]) -> None:
    for clients in idle.values():
        for client in clients:
            client.close()


def salted_password(password: str) -> str:
    """``md5(password + "@Olares2025")`` in lower-case hex: what ``/api/firstfactor`` expects."""
    return hashlib.md5((password + PASSWORD_SALT).encode("utf-8"), usedforsecurity=False).hexdigest()


def snippet(body: bytes, limit: int = 256) -> str:
    """The first ``limit`` bytes of a body, then ``...(truncated)``; cut on bytes, as Go does."""
    cut = body[:limit].decode("utf-8", errors="replace")
    return cut + "...(truncated)" if len(body) > limit else cut


def server_body(body: bytes, sent: Iterable[str] = (), limit: int = 256) -> str:
    """A body quoted in an error: olares-cli's first ``limit`` bytes, then cleaned, scrubbed of what we sent
    and labelled (``server said: "…"``); empty for an empty body."""
    return said(snippet(body, limit), sent) if body else ""


class ResponseTooLarge(httpx.TransportError):
    """The body exceeded ``MAX_BODY``; reading stopped there."""


class ExchangeDeadline(httpx.TimeoutException):
    """The exchange did not finish within its wall-clock bound (a slow or dripping server)."""


class _BoundedStream(httpx.SyncByteStream):
    """The response body, read only up to ``max_bytes`` decoded bytes and only until ``deadline``.

    It decodes gzip/deflate itself with an output bound (a compressed bomb never expands past the cap);
    the response's ``Content-Encoding`` header is dropped so httpx does not decode a second time.
    """

    def __init__(self, inner: Any, deadline: float, max_bytes: int, encoding: str) -> None:
        self._inner = inner
        self._deadline = deadline
        self._max = max_bytes
        self._encoding = encoding

    def __iter__(self) -> Iterator[bytes]:
        decoder = None if self._encoding in ("", "identity") else zlib.decompressobj(32 + zlib.MAX_WBITS)
        total = 0
        for chunk in self._inner:
            if time.monotonic() > self._deadline:
                raise ExchangeDeadline(
                    "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
                )
            try:
                data = chunk if decoder is None else decoder.decompress(chunk, self._max - total + 1)
            except zlib.error as err:
                raise httpx.DecodingError(f"decode {self._encoding} body: {err}") from err
            total += len(data)
            if total > self._max:
                raise ResponseTooLarge(f"response body exceeds {self._max} bytes; not read further")
            if data:
                yield data

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


DEADLINE_TEXT: Final = "context deadline exceeded (the exchange took longer than {seconds:g}s)"


class _Bound:
    """The hooks that bound one exchange (the refreshing auth flow's retry included).

    Before each request: every timeout phase is capped by the time left, and a trace hook learns the
    socket of a new connection (a reused one's was learned when the client opened it). After headers: the
    body is wrapped in ``_BoundedStream``. At the deadline a watchdog shuts the sockets down, so even a
    server that drips its *headers* cannot hold the call.
    """

    def __init__(self, seconds: float, max_bytes: int, sockets: weakref.WeakSet[socket.socket]) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.max_bytes = max_bytes
        self.expired = False
        self._sockets = sockets  # every socket the client opened, this exchange's included
        self._lock = threading.Lock()
        self.done = False

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.001)

    def finish(self) -> None:
        with self._lock:
            self.done = True

    def expire(self) -> None:
        with self._lock, _SOCKETS_LOCK:
            if self.done:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked on a stalled server

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        get_extra_info = getattr(info.get("return_value"), "get_extra_info", None)
        sock = get_extra_info("socket") if get_extra_info is not None else None
        if isinstance(sock, socket.socket):
            with self._lock, _SOCKETS_LOCK:
                self._sockets.add(sock)
                late = self.expired
            if late:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def on_request(self, request: httpx.Request) -> None:
        if time.monotonic() > self.deadline:
            raise ExchangeDeadline(DEADLINE_TEXT.format(seconds=self.seconds))
        phases = request.extensions.get("timeout") or {}
        left = self.remaining()
        request.extensions["timeout"] = {
            phase: left if phases.get(phase) is None else min(phases[phase], left)
            for phase in ("connect", "read", "write", "pool")
        }
        request.extensions["trace"] = self._trace

    def on_response(self, response: httpx.Response) -> None:
        if time.monotonic() > self.deadline:
            raise ExchangeDeadline(DEADLINE_TEXT.format(seconds=self.seconds))
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity", "gzip", "deflate"):
            raise httpx.DecodingError(f"unsupported Content-Encoding {clean(encoding, 40)!r}")
        declared = response.headers.get("content-length", "")
        if encoding in ("", "identity") and declared.isdigit() and int(declared) > self.max_bytes:
            raise ResponseTooLarge(f"response body exceeds {self.max_bytes} bytes ({declared} declared); not read")
        response.stream = _BoundedStream(response.stream, self.deadline, self.max_bytes, encoding)
        response.headers.pop("content-encoding", None)


class _Watchdog:
    """One daemon thread that expires every bounded exchange of the process at its deadline.

    A thread per exchange (``threading.Timer``) cost a thread start, two context switches and a wake-up
    on cancel for every request. Here an exchange that ends is only marked done and dropped when its
    deadline comes up; the thread wakes only at the deadline it sleeps until, or when a new exchange's
    deadline is earlier than that.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Bound]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._sleeps_until = float("inf")

    def watch(self, bound: _Bound) -> None:
        with self._cond:
            while self._heap and self._heap[0][2].done:  # ended exchanges leave as soon as they are the oldest
                heapq.heappop(self._heap)
            heapq.heappush(self._heap, (bound.deadline, next(self._order), bound))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="olares-exchange-watchdog", daemon=True)
                self._thread.start()
            elif bound.deadline < self._sleeps_until:
                self._cond.notify()

    def _due(self) -> _Bound:
        with self._cond:
            while True:
                if not self._heap:
                    self._sleeps_until = float("inf")
                    self._cond.wait()
                    continue
                deadline, _, bound = self._heap[0]
                if bound.done:
                    heapq.heappop(self._heap)
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    heapq.heappop(self._heap)
                    return bound
                self._sleeps_until = deadline
                self._cond.wait(left)

    def _run(self) -> None:
        while True:
            self._due().expire()

    def reset_after_fork(self) -> None:
        """In a forked child the thread is gone: the next watch starts one."""
        self._cond = threading.Condition()
        self._heap.clear()
        self._thread = None
        self._sleeps_until = float("inf")


_WATCHDOG: Final = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.reset_after_fork)

_SOCKETS_LOCK: Final = threading.Lock()
_CLIENT_SOCKETS: Final[weakref.WeakKeyDictionary[httpx.Client, weakref.WeakSet[socket.socket]]] = (
    weakref.WeakKeyDictionary()
)
"""The sockets each client opened inside ``bounded``: an exchange on a reused keep-alive connection opens none,
and its watchdog must still be able to shut the one it reads from."""


@contextmanager
def bounded(client: httpx.Client, seconds: float = EXCHANGE_SECONDS, max_bytes: int = MAX_BODY) -> Iterator[_Bound]:
    """Within the block, every response ``client`` receives is read at most ``max_bytes`` (decoded) and the
    whole exchange (connect, headers, body; a refresh-and-retry included) ends by ``seconds`` from now.
    Breaking either bound raises an ``httpx.TransportError`` (``ResponseTooLarge``, ``ExchangeDeadline``)
    without holding the rest of the body in memory.
    """
    with _SOCKETS_LOCK:
        sockets = _CLIENT_SOCKETS.setdefault(client, weakref.WeakSet())
    bound = _Bound(seconds, max_bytes, sockets)
    hooks = client.event_hooks
    hooks["request"].append(bound.on_request)
    hooks["response"].append(bound.on_response)
    _WATCHDOG.watch(bound)
    try:
        yield bound
    except httpx.HTTPError as err:
        if bound.expired and not isinstance(err, ExchangeDeadline):
            raise ExchangeDeadline(DEADLINE_TEXT.format(seconds=seconds)) from err
        raise
    finally:
        bound.finish()
        for event, hook in (("request", bound.on_request), ("response", bound.on_response)):
            with suppress(ValueError):
                hooks[event].remove(hook)


@dataclass(frozen=True)
class Endpoints:
    """Where one profile's requests go, and the URLs its login body names.

    ``auth`` and ``desktop`` are request targets (possibly redirected to the test rig by
    ``OLARES_AUTH_MCP_SERVICE_URL``); ``login_target`` is always the desktop URL derived
    from the Olares ID with an empty prefix, whatever the redirect (docs/compatibility.md).
    """

    olares_id: OlaresID
    auth: str
    desktop: str
    login_target: str
    destination: str = ""
    """The auth URL as the profile configures it (derived, or the human's override), never the test-rig
    redirect: what a human is shown as the place their password or token goes."""

    @property
    def destination_host(self) -> str:
        """The host of ``destination`` (``auth.alice.olares.com``), for pages and confirmations."""
        return urlsplit(self.destination or self.auth).hostname or self.destination

    @classmethod
    def derive(
        cls, olares_id: OlaresID, *, auth_url_override: str = "", local_url_prefix: str = "", env: Mapping[str, str]
    ) -> Endpoints:
        auth = auth_url_override or service_origin(olares_id.auth_url(local_url_prefix), env)
        return cls(
            olares_id=olares_id,
            auth=auth,
            desktop=service_origin(olares_id.desktop_url(local_url_prefix), env),
            login_target=olares_id.desktop_url(),
            destination=auth_url_override or olares_id.auth_url(local_url_prefix),
        )


def _post(
    client: httpx.Client,
    url: str,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    seconds: float = EXCHANGE_SECONDS,
) -> httpx.Response:
    try:
        with bounded(client, seconds):
            return client.post(url, content=dumps_compact(body).encode("utf-8"), headers={**JSON_HEADERS, **headers})
    except httpx.HTTPError as err:
        raise ServerError(f'{path}: Post "{url}": {_transport_reason(err)}', transient=True) from err


def _transport_reason(err: httpx.HTTPError) -> str:
    if isinstance(err, ExchangeDeadline | ResponseTooLarge):
        return str(err)
    if isinstance(err, httpx.TimeoutException):
        return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
    return clean(str(err)) or type(err).__name__  # a protocol error may quote the server's bytes


def _envelope(
    response: httpx.Response, path: str, failure: str, error: type[ServerError], sent: Iterable[str] = ()
) -> dict[str, Any]:
    """Authelia's ``{"status":"OK","data":{…}}``; every other shape becomes the right error.

    Server text in the error (the body, ``status``, ``message``) is cleaned, capped, labelled and scrubbed of
    every value in ``sent`` (what the request carried: a token, the salted password, a code).
    """
    body = response.content
    if response.status_code != 200:
        transient = response.status_code >= 500 or response.status_code == 429
        raise error(
            f"{path} returned HTTP {response.status_code}: {server_body(body, sent)}",
            status=response.status_code,
            transient=transient,
        )
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError) as err:
        detail = clean(str(err), 120)
        raise error(
            f"parse {path} body: {detail} (body={server_body(body, sent)})", status=200, transient=True
        ) from err
    if not isinstance(parsed, dict):
        raise error(
            f"parse {path} body: not a JSON object (body={server_body(body, sent)})", status=200, transient=True
        )
    raw_status = parsed.get("status", "")
    status = str(raw_status)[:64]
    if status.upper() != "OK":
        message = parsed.get("message")
        shown = status if is_plain_word(status) else said(status, sent, 64)
        detail = f"{failure}: {shown}: {said(str(message), sent)}" if message else f"{failure}: {shown}"
        raise error(detail, status=200, transient=False)
    data = parsed.get("data")
    return data if isinstance(data, dict) else {}


def _grant(data: dict[str, Any]) -> Grant:
    def text(key: str) -> str:
        value = data.get(key)
        return value if isinstance(value, str) else ""

    return Grant(
        access_token=text("access_token"),
        refresh_token=text("refresh_token"),
        session_id=text("session_id"),
        fa2=data.get("fa2") is True,
    )


def login(
    client: httpx.Client, endpoints: Endpoints, password: str, totp: str = "", *, seconds: float = EXCHANGE_SECONDS
) -> Grant:
    """First factor, then (when ``fa2``) the TOTP second factor, on one client and cookie jar.

    Each exchange is bounded (``bounded``); server text in an error never carries what we sent.

    Raises:
        TOTPRequired: the account needs a code and ``totp`` is empty.
        LoginFailed: wrong password or code, or an unexpected reply.
        ServerError: transport failure (``transient``).
    """
    first = first_factor(client, endpoints, password, seconds=seconds)
    if not first.fa2:
        return first
    if not totp:
        raise TOTPRequired
    return second_factor(client, endpoints, first, totp, password=password, seconds=seconds)


def first_factor(
    client: httpx.Client, endpoints: Endpoints, password: str, *, seconds: float = EXCHANGE_SECONDS
) -> Grant:
    """``POST /api/firstfactor``: the grant, with ``fa2`` set when a second factor must follow on ``client``.

    Raises:
        LoginFailed: wrong password, or an unexpected reply.
        ServerError: transport failure (``transient``).
    """
    first_url = f"{endpoints.auth}/api/firstfactor?hideCookie=true"
    salted = salted_password(password)
    body = {
        "username": endpoints.olares_id.local,
        "password": salted,
        "keepMeLoggedIn": False,
        "requestMethod": "POST",
        "targetURL": endpoints.login_target,
        "acceptCookie": True,
    }
    response = _post(client, first_url, "/api/firstfactor", body, {}, seconds)
    return _grant(
        _envelope(response, "/api/firstfactor", "first-factor authentication failed", LoginFailed, [salted, password])
    )


def second_factor(
    client: httpx.Client,
    endpoints: Endpoints,
    first: Grant,
    totp: str,
    *,
    password: str = "",
    seconds: float = EXCHANGE_SECONDS,
) -> Grant:
    """``POST /api/secondfactor/totp`` on the client (and cookie jar) that ran ``first_factor``.

    May be called again with another code after a wrong one, while the server keeps the first
    factor's session. ``password`` only keeps it (and its salted form) out of error texts.

    Raises:
        LoginFailed: wrong code (``wrong_code``), or an unexpected reply.
        ServerError: transport failure (``transient``).
    """
    second_url = f"{endpoints.auth}/api/secondfactor/totp"
    headers = {"X-Authorization": first.access_token, "X-Unauth-Error": "Non-Redirect"}
    sent = [totp, first.access_token, first.refresh_token, first.session_id]
    if password:
        sent += [salted_password(password), password]
    response = _post(
        client,
        second_url,
        "/api/secondfactor/totp",
        {"targetUrl": endpoints.login_target, "token": totp},
        headers,
        seconds,
    )
    second = _grant(
        _envelope(response, "/api/secondfactor/totp", "second-factor authentication failed", LoginFailed, sent)
    )
    if not second.session_id:
        second = Grant(second.access_token, second.refresh_token, first.session_id)
    return second


def wrong_code(err: LoginFailed) -> bool:
    """The second factor said no to the code itself (401, or a KO envelope), so another code may be tried."""
    return not err.transient and err.status in (200, 401)


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False


def refresh_grant(
    client: httpx.Client,
    auth_url: str,
    refresh_token: str,
    access_token: str = "",
    *,
    seconds: float = EXCHANGE_SECONDS,
) -> Grant:
    """``POST /api/refresh``: exactly one call. A rotated refresh token replaces ours; none keeps ours.

    401/403/459 count as a rejected grant only with a JSON-object body. We take the
    stricter Location-lineage rule (beclab/Olares `cli/pkg/auth/refresh.go`, refresh_test.go): an edge's
    HTML or text 403/459, an empty 401 or a JSON array are not proof that the grant
    is dead, and must never invalidate a profile.

    The exchange is bounded (``bounded``: body size and wall clock), and no error carries the refresh or
    access token we sent, even when the server quotes our request back.

    Raises:
        RefreshRejected: the server rejected the grant.
        RefreshFailed: any other failure (5xx, transport, garbage; ``transient``).
    """
    url = f"{auth_url}/api/refresh"
    headers = {"X-Authorization": access_token} if access_token else {}
    sent = [refresh_token, access_token]
    try:
        response = _post(client, url, "/api/refresh", {"refreshToken": refresh_token}, headers, seconds)
    except ServerError as err:
        raise RefreshFailed(scrub(str(err), sent), transient=True) from err
    if response.status_code in AUTH_STATUSES and _is_json_object(response.content):
        raise RefreshRejected(response.status_code, server_body(response.content, sent))
    try:
        grant = _grant(_envelope(response, "/api/refresh", "refresh failed", RefreshFailed, sent))
    except RefreshFailed as err:
        err.transient = True  # anything short of a rejection leaves the grant alive: retry later, never log in
        raise
    if not grant.access_token:
        raise RefreshFailed("refresh returned empty access_token", status=200, transient=True)
    return Grant(grant.access_token, grant.refresh_token or refresh_token, grant.session_id)


def bfl_data(response: httpx.Response, label: str, sent: Iterable[str] = ()) -> dict[str, Any]:
    """The ``data`` of a BFL envelope ``{"code":0,"message":…,"data":{…}}`` that answered 200.

    Raises:
        ServerError: a code other than 0 or 200 (``<label>: server said: "<message>"``) or an undecodable body.
    """
    try:
        parsed = json.loads(response.content)
    except (ValueError, RecursionError) as err:
        detail = clean(str(err), 120)
        raise ServerError(f"{label}: decode response: {detail} (body={server_body(response.content, sent)})") from err
    if not isinstance(parsed, dict):
        raise ServerError(f"{label}: decode response: not a JSON object")
    code = parsed.get("code", 0)
    # olares-cli accepts 0 and 200: user-service answers 200 on some proxied routes
    if code not in (0, 200) or isinstance(code, bool):
        message = parsed.get("message")
        shown = code if isinstance(code, int) else said(str(code)[:64], sent, 64)
        raise ServerError(
            f"{label}: {said(str(message), sent)}" if message else f"{label}: server returned code={shown}",
            transient=False,
        )
    data = parsed.get("data")
    return data if isinstance(data, dict) else {}
