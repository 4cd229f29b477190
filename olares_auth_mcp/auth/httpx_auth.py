"""The refreshing ``httpx.Auth``: sends the three auth headers, refreshes once on 401/403/459, retries once.
Upstream: beclab/Olares `cli/pkg/auth/refresh.go`.

``OlaresAuth`` overrides ``sync_auth_flow`` and ``async_auth_flow`` because refreshing
does disk I/O and takes locks (``refresh.Refresher``). ``TokenCell`` is the access
token every client of one profile sends, so a refresh through one is seen by all.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Generator

import anyio.to_thread
import httpx

from olares_auth_mcp.auth.errors import JWTError
from olares_auth_mcp.auth.jwt import is_expired
from olares_auth_mcp.auth.refresh import Refresher
from olares_auth_mcp.auth.wire import AUTH_STATUSES

__all__ = ["OlaresAuth", "TokenCell"]

STREAM_PRE_REFRESH_SECONDS = 60.0


class TokenCell:
    """The access token shared by every client of one profile; a refresh through one is seen by all."""

    def __init__(self, token: str) -> None:
        self._token = token
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            return self._token

    def set(self, token: str) -> None:
        with self._lock:
            self._token = token


def _replayable(request: httpx.Request) -> bool:
    return isinstance(request.stream, httpx.ByteStream)


class OlaresAuth(httpx.Auth):
    """``X-Authorization`` + ``Cookie: auth_token`` + ``X-Unauth-Error``; refresh once, retry once.

    Unit tests drive the generator by hand (tests/auth/test_refresh_auth.py); the
    integration tests run it against the simulator (tests/auth/test_refresh.py).
    """

    def __init__(
        self,
        olares_id: str,
        auth_url: str,
        cell: TokenCell,
        refresher: Refresher,
        *,
        insecure: bool = False,
    ) -> None:
        self.olares_id = olares_id
        self.auth_url = auth_url
        self.cell = cell
        self.refresher = refresher
        self.insecure = insecure

    def _refresh(self, stale: str) -> str:
        token = self.refresher.refresh(self.olares_id, self.auth_url, stale, insecure=self.insecure)
        self.cell.set(token)
        return token

    def _needs_pre_refresh(self, request: httpx.Request, token: str) -> bool:
        if _replayable(request) or not token:
            return False
        try:
            return is_expired(token, self.refresher.clock(), STREAM_PRE_REFRESH_SECONDS)
        except JWTError:
            return False  # no exp or malformed: send unchanged

    @staticmethod
    def _apply(request: httpx.Request, token: str, base_cookie: str | None) -> None:
        if not token:
            return
        request.headers["X-Authorization"] = token
        request.headers["Cookie"] = f"{base_cookie}; auth_token={token}" if base_cookie else f"auth_token={token}"
        request.headers["X-Unauth-Error"] = "Non-Redirect"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        base_cookie = request.headers.get("Cookie")
        token = self.cell.get()
        if self._needs_pre_refresh(request, token):
            token = self._refresh(token)
        self._apply(request, token, base_cookie)
        response = yield request
        if response.status_code in AUTH_STATUSES and _replayable(request):
            response.read()
            response.close()
            token = self._refresh(token)
            self._apply(request, token, base_cookie)
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        base_cookie = request.headers.get("Cookie")
        token = self.cell.get()
        if self._needs_pre_refresh(request, token):
            token = await anyio.to_thread.run_sync(self._refresh, token)
        self._apply(request, token, base_cookie)
        response = yield request
        if response.status_code in AUTH_STATUSES and _replayable(request):
            await response.aread()
            await response.aclose()
            token = await anyio.to_thread.run_sync(self._refresh, token)
            self._apply(request, token, base_cookie)
            yield request
