"""`Simulator`: a local Olares auth server + desktop API on one loopback port.

Tests, the demo and benchmarks point the client at `Simulator.url`; the client keeps
sending the Olares-derived ``targetURL`` values, which the simulator checks, while the Host
header is ignored. Knobs (revocation, expiry, fault injection, hit counters) are
thread-safe and take effect for the next request.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Final
from urllib.parse import urlsplit

from olares_auth_mcp.sim._handler import SimHTTPServer
from olares_auth_mcp.sim._state import Fault, SimState, SimUser

_POLL_INTERVAL: Final = 0.05  # how often serve_forever checks for shutdown: bounds stop()
_JOIN_TIMEOUT: Final = 5.0


class Simulator:
    """A local Olares auth server (Authelia routes) and desktop API, over real HTTP.

    Routes: ``POST /api/firstfactor``, ``POST /api/secondfactor/totp``, ``POST /api/refresh``,
    ``GET /api/backend/v1/user-info``, ``GET /api/olares-info``; anything else is a JSON 404.
    Access tokens are HS512 JWTs signed with a per-simulator random key and expire
    `access_ttl` seconds after issue (by `clock`); refresh tokens are opaque. With
    `rotate_refresh` every refresh returns a new refresh token and retires the old one;
    without it the response omits ``refresh_token``.

    The state (users, grants, key) outlives `stop()`, so a stopped simulator can be started
    again and earlier tokens still work. Use as a context manager to start and stop it.

    The desktop routes refuse a token as the Olares edge does (`edge_status` 459, the default): a
    request with ``X-Unauth-Error: Non-Redirect`` gets HTTP 459 and
    ``{"fa2": …, "method": …, "session_id": …, "target_url": …}``, where ``fa2`` is true for the
    provisional token of a 2FA login whose second factor is not done; without that header an API client
    gets a 401 and a browser a 302, both with an HTML link to the login portal. With `edge_status` 401
    every refusal is a BFL-style ``401 {"code": 401, "message": …}`` instead.
    ``/api/olares-info`` answers ``code: 200`` (user-service), ``user-info`` ``code: 0`` (BFL).
    """

    def __init__(
        self,
        users: Sequence[SimUser] = (),
        *,
        access_ttl: float = 86400,
        rotate_refresh: bool = True,
        os_version: str = "1.12.6",
        clock: Callable[[], float] = time.time,
        edge_status: int = 459,
    ) -> None:
        if access_ttl < 0:
            raise ValueError("access_ttl must be >= 0")
        self._state = SimState(
            access_ttl=access_ttl,
            rotate_refresh=rotate_refresh,
            os_version=os_version,
            clock=clock,
            edge_status=edge_status,
        )
        for user in users:
            self._state.add_user(user)
        self._lifecycle = threading.Lock()
        self._server: SimHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0, *, tls: ssl.SSLContext | None = None) -> str:
        """Bind `host`:`port` (0 = a free port), serve on a daemon thread, return the base URL.

        With `tls` (a server-side context holding the test's certificate, e.g. a self-signed CA's
        leaf for 127.0.0.1, or an expired one) it serves HTTPS and the URL starts with ``https://``.
        The handshake runs on each connection's own thread, so a client that rejects the
        certificate never stalls the accept loop.

        Raises:
            RuntimeError: the simulator is already running.
            OSError: the address cannot be bound.
        """
        with self._lifecycle:
            if self._server is not None:
                raise RuntimeError("simulator is already running")
            server = SimHTTPServer((host, port), self._state)
            if tls is not None:
                server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL},
                name=f"olares-sim:{server.server_port}",
                daemon=True,
            )
            thread.start()
            url_host = f"[{host}]" if ":" in host else host
            self._server, self._thread = server, thread
            self._url = f"{'https' if tls is not None else 'http'}://{url_host}:{server.server_port}"
            return self._url

    def stop(self) -> None:
        """Close the listening socket and every open connection, then join the serving thread.

        Bounded (a fraction of a second in practice): requests sleeping in an injected
        `delay` are woken and dropped. Idempotent; a no-op when not running.
        """
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = self._url = None
            if server is None or thread is None:
                return
            server.stopping.set()
            server.shutdown()  # returns once serve_forever has left its poll loop
            server.server_close()
            server.close_connections()
            thread.join(timeout=_JOIN_TIMEOUT)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:40123``; RuntimeError when not running."""
        if self._url is None:
            raise RuntimeError("simulator is not running")
        return self._url

    def __enter__(self) -> Simulator:
        if self._url is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- accounts and tokens --------------------------------------------------------------

    def add_user(self, user: SimUser) -> None:
        """Register an account; ValueError on a duplicate local part or a non-base32 TOTP secret."""
        self._state.add_user(user)

    def issue_tokens(self, olares_id: str) -> tuple[str, str]:
        """Mint (access, refresh) for a registered user without a login, to seed tests.

        Raises:
            KeyError: no user with exactly this `olares_id`.
        """
        return self._state.issue_tokens(olares_id)

    # -- knobs ----------------------------------------------------------------------------

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """``/api/refresh`` rejects this token from now on (401 KO); unknown tokens are a no-op."""
        self._state.revoke_refresh_token(refresh_token)

    def revoke_user(self, olares_id: str) -> None:
        """Reject every refresh and access token issued to the user so far.

        A later login creates a fresh grant that works, as after a server-side sign-out.

        Raises:
            KeyError: no user with exactly this `olares_id`.
        """
        self._state.revoke_user(olares_id)

    def expire_access_tokens(self) -> None:
        """The desktop routes refuse every access token issued so far (see `set_edge_status`); refresh tokens stay
        valid."""
        self._state.expire_access_tokens()

    def set_edge_status(self, status: int) -> None:
        """How the desktop routes refuse a missing, expired, revoked or one-factor token from the next request on.

        459 (the default) is the Olares edge: 459 with its JSON body when the request says
        ``X-Unauth-Error: Non-Redirect``, else a 401 or 302 redirect to the login portal. 401 answers
        ``401 {"code": 401, "message": …}`` to every refusal, whatever the request's headers.

        Raises:
            ValueError: `status` is neither 459 nor 401.
        """
        self._state.set_edge_status(status)

    def inject(
        self,
        route: str,
        *,
        status: int | None = None,
        body: bytes | str | None = None,
        content_type: str = "application/json",
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = None,
    ) -> None:
        """Make requests to `route` (a path such as ``/api/refresh``) misbehave.

        `delay` sleeps server-side first; then `drop` closes the connection without a
        response, or `status` answers with `body` (default empty) and `content_type`.
        A delay alone then serves the request normally. `times` limits the fault to the
        next N requests (None: until `clear_faults`). A new fault replaces the route's
        previous one. Hits are counted whether or not a fault applies.

        Raises:
            ValueError: an inconsistent or empty combination of options.
        """
        path = urlsplit(route).path
        if not path.startswith("/"):
            raise ValueError("route must be a path starting with '/'")
        if status is not None and not 100 <= status <= 599:
            raise ValueError("status must be in 100..599")
        if drop and status is not None:
            raise ValueError("drop and status are mutually exclusive")
        if body is not None and status is None:
            raise ValueError("body needs a status")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        if status is None and not drop and delay == 0:
            raise ValueError("inject needs status, drop or delay")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None)")
        raw = body.encode() if isinstance(body, str) else (body or b"")
        self._state.set_fault(path, Fault(status, raw, content_type, delay, drop), times)

    def set_date_offset(self, seconds: float) -> None:
        """Skew the ``Date`` header of every answer by `seconds` (positive: the server's clock is ahead).

        Only the header moves (tokens are still issued and checked by the simulator's clock): enough
        to make the client's clock look skewed against the server's.
        """
        self._state.set_date_offset(seconds)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._state.clear_faults()

    def hits(self, route: str) -> int:
        """How many requests reached `route` (query string ignored) since the last reset."""
        return self._state.hits(urlsplit(route).path)

    def reset_counters(self) -> None:
        """Zero every hit counter."""
        self._state.reset_counters()
