"""Serve the secret-entry page on 127.0.0.1 and a random port, from a background thread.

Used when the MCP server itself speaks stdio; in HTTP mode the host app mounts
``build_secret_page_app`` instead. uvicorn is configured so that nothing about a
request is logged: no access log (it would hold the token path), warnings only,
and no logging config of its own (``log_config=None``), so it never installs
handlers on stdout, which is the MCP channel in stdio mode.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Final

import uvicorn

from olares_auth_mcp.login.errors import PageUnavailable
from olares_auth_mcp.login.page import SecretPageRegistry, build_secret_page_app

__all__ = ["SecretPageServer"]

logger = logging.getLogger(__name__)

LOOPBACK: Final = "127.0.0.1"


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

    def __init__(self, registry: SecretPageRegistry, *, start_timeout: float = 10.0, stop_timeout: float = 5.0) -> None:
        self._registry = registry
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
            http="h11",
            ws="none",
            loop="asyncio",
            proxy_headers=False,
            server_header=False,
            date_header=False,
            limit_concurrency=32,
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
