"""Serve the secret-entry page on 127.0.0.1 and a random port, from a background thread.

Used when the MCP server itself speaks stdio; in HTTP mode the host app mounts
``build_secret_page_app`` instead. uvicorn is configured so that nothing about a
request is logged: no access log (it would hold the token path), warnings only,
and no logging config of its own (``log_config=None``), so it never installs
handlers on stdout, which is the MCP channel in stdio mode.

Connections are bounded so that nobody on the machine can lock the human out of the page:
``GuardedH11Protocol`` closes a connection that has not sent a complete request head within
``header_timeout`` seconds (slowloris), and when more than ``max_idle`` connections sit idle
(connected, no request in progress) the oldest of them is closed to make room. There is no
connection-count 503 (uvicorn's ``limit_concurrency`` counted half-open sockets, so 32 of them
made the page answer 503 to the human).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any, ClassVar, Final

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from olares_auth_mcp.login.errors import PageUnavailable
from olares_auth_mcp.login.page import SecretPageRegistry, build_secret_page_app

__all__ = ["HEADER_TIMEOUT", "MAX_IDLE_CONNECTIONS", "GuardedH11Protocol", "SecretPageServer"]

logger = logging.getLogger(__name__)

LOOPBACK: Final = "127.0.0.1"
HEADER_TIMEOUT: Final = 10.0  # seconds for a connection to send a complete request head
MAX_IDLE_CONNECTIONS: Final = 64  # beyond this many idle connections, the oldest is closed


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline and a cap on idle connections.

    ``configured(...)`` makes a subclass with other limits (uvicorn instantiates the class itself).
    """

    header_timeout: ClassVar[float] = HEADER_TIMEOUT
    max_idle: ClassVar[int] = MAX_IDLE_CONNECTIONS

    @classmethod
    def configured(cls, *, header_timeout: float, max_idle: int) -> type[GuardedH11Protocol]:
        return type(cls.__name__, (cls,), {"header_timeout": header_timeout, "max_idle": max_idle})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._since = 0.0

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._since = self.loop.time()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timeout)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()  # no complete request head in time

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        idle = [c for c in self.connections if isinstance(c, GuardedH11Protocol) and c is not self and c._idle()]
        for stale in sorted(idle, key=lambda c: c._since)[: max(0, len(idle) + 1 - self.max_idle)]:
            stale.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the head is in; the request's own timeouts apply from here

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm()  # a kept-alive connection gets the same deadline for its next head

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class _Server(uvicorn.Server):
    """uvicorn's server, telling another thread when it listens and on which address."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.address: tuple[str, int] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
            name = self.servers[0].sockets[0].getsockname()
            self.address = (str(name[0]), int(name[1]))
        finally:
            self.ready.set()

    def run_in_thread(self) -> None:
        try:
            self.run()
        except (Exception, SystemExit) as exc:  # uvicorn exits the "process" when it cannot bind
            logger.error("secret-entry page server stopped: %s", type(exc).__name__)  # noqa: TRY400
        finally:
            self.ready.set()


class SecretPageServer:
    """The page app served by uvicorn on ``127.0.0.1:<random port>``; ``start()`` returns its base URL."""

    def __init__(
        self,
        registry: SecretPageRegistry,
        *,
        start_timeout: float = 10.0,
        stop_timeout: float = 5.0,
        header_timeout: float = HEADER_TIMEOUT,
        max_idle: int = MAX_IDLE_CONNECTIONS,
    ) -> None:
        self._registry = registry
        self._protocol = GuardedH11Protocol.configured(header_timeout=header_timeout, max_idle=max_idle)
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str | None:
        return self._base_url

    @property
    def address(self) -> tuple[str, int] | None:
        """The bound socket address, ``("127.0.0.1", port)``, while serving."""
        return None if self._server is None else self._server.address

    def start(self) -> str:
        """Start serving (once) and point the registry at it; returns ``http://127.0.0.1:<port>``.

        Raises:
            PageUnavailable: the server did not come up within ``start_timeout``.
        """
        if self._base_url is not None:
            return self._base_url
        config = uvicorn.Config(
            build_secret_page_app(self._registry),
            host=LOOPBACK,
            port=0,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http=self._protocol,
            ws="none",
            loop="asyncio",
            proxy_headers=False,
            server_header=False,
            date_header=False,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=1,
        )
        server = _Server(config)
        thread = threading.Thread(target=server.run_in_thread, name="secret-page-server", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        if not server.ready.wait(self._start_timeout) or server.address is None:
            self.stop()
            raise PageUnavailable("its server did not start")
        self._base_url = f"http://{LOOPBACK}:{server.address[1]}"
        self._registry.base_url = self._base_url
        return self._base_url

    def stop(self) -> None:
        """Stop serving; bounded by ``stop_timeout`` (then forced). Idempotent."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if self._base_url is not None and self._registry.base_url == self._base_url:
            self._registry.base_url = None  # no more links to a page nobody serves
        self._base_url = None
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(self._stop_timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(self._stop_timeout)

    def __enter__(self) -> SecretPageServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
