"""``OlaresAuth`` driven by hand: headers, exactly one refresh and one retry, streaming pre-refresh (beclab/Olares `cli/pkg/auth/refresh.go`).

Integration tests through real HTTP live in tests/auth/test_refresh.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from olares_auth_mcp.auth.httpx_auth import OlaresAuth, TokenCell
from tests.helpers import make_jwt

NOW = 1_800_000_000.0


class FakeRefresher:
    """Stands in for ``Refresher`` at the seam OlaresAuth calls; counts calls and returns new tokens."""

    def __init__(self, new_token: str = "AT2") -> None:
        self.calls: list[str] = []
        self.new_token = new_token

    def clock(self) -> float:
        return NOW

    def refresh(self, olares_id: str, auth_url: str, current: str, *, insecure: bool = False) -> str:
        self.calls.append(current)
        return self.new_token


def _auth(token: str, refresher: FakeRefresher) -> OlaresAuth:
    return OlaresAuth("alice@olares.com", "https://auth.alice.olares.com", TokenCell(token), refresher)  # type: ignore[arg-type]


def test_three_auth_headers_and_cookie_appended() -> None:
    flow = _auth("AT1", FakeRefresher()).sync_auth_flow(
        httpx.Request("GET", "https://desktop.alice.olares.com/x", headers={"Cookie": "a=b"})
    )
    request = next(flow)
    assert request.headers["X-Authorization"] == "AT1"
    assert request.headers["Cookie"] == "a=b; auth_token=AT1"
    assert request.headers["X-Unauth-Error"] == "Non-Redirect"
    assert "Authorization" not in request.headers


@pytest.mark.parametrize("status", [401, 403, 459])
def test_auth_status_refreshes_once_and_retries_once(status: int) -> None:
    refresher = FakeRefresher()
    auth = _auth("AT1", refresher)
    flow = auth.sync_auth_flow(httpx.Request("POST", "https://desktop.x/y", content=b"{}"))
    first = next(flow)
    retry = flow.send(httpx.Response(status, request=first))
    assert retry.headers["X-Authorization"] == "AT2"
    assert retry.headers["Cookie"] == "auth_token=AT2"
    assert refresher.calls == ["AT1"]
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(status, request=retry))  # a second 401 is returned as is: no second refresh
    assert auth.cell.get() == "AT2"


def test_success_does_not_refresh() -> None:
    refresher = FakeRefresher()
    flow = _auth("AT1", refresher).sync_auth_flow(httpx.Request("GET", "https://desktop.x/y"))
    request = next(flow)
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(200, request=request))
    assert refresher.calls == []


def _stream() -> httpx.Request:
    def chunks() -> Iterator[bytes]:
        yield b"part"

    return httpx.Request("PUT", "https://files.x/upload", content=chunks())


def test_streaming_body_is_pre_refreshed_within_60s_of_exp() -> None:
    refresher = FakeRefresher()
    token = make_jwt({"exp": int(NOW) + 59})
    request = next(_auth(token, refresher).sync_auth_flow(_stream()))
    assert refresher.calls == [token]
    assert request.headers["X-Authorization"] == "AT2"


def test_streaming_body_is_not_retried_after_401() -> None:
    refresher = FakeRefresher()
    token = make_jwt({"exp": int(NOW) + 3600})
    flow = _auth(token, refresher).sync_auth_flow(_stream())
    request = next(flow)
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(401, request=request))
    assert refresher.calls == []


@pytest.mark.parametrize("token", [make_jwt({}), "not-a-jwt"])
def test_streaming_with_unknown_expiry_is_sent_unchanged(token: str) -> None:
    refresher = FakeRefresher()
    request = next(_auth(token, refresher).sync_auth_flow(_stream()))
    assert refresher.calls == []
    assert request.headers["X-Authorization"] == token


@pytest.mark.anyio
async def test_async_flow_refreshes_once() -> None:
    refresher = FakeRefresher()
    flow = _auth("AT1", refresher).async_auth_flow(httpx.Request("GET", "https://desktop.x/y"))
    request = await flow.__anext__()
    retry = await flow.asend(httpx.Response(401, request=request))
    assert retry.headers["X-Authorization"] == "AT2"
    with pytest.raises(StopAsyncIteration):
        await flow.asend(httpx.Response(401, request=retry))
    assert refresher.calls == ["AT1"]
