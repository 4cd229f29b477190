"""Calls to one profile reuse one client and keep-alive connection; a reused client starts clean and stays bounded.

Servers are loopback only: ``tests.hostile.HostileServer``, the simulator, and a raw socket server for the
keep-alive cases (it counts the connections it accepts).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.errors import ServerError
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.auth.wire import ClientPool, default_http_factory
from olares_auth_mcp.sim import Simulator
from tests.conftest import ALICE, BOB, seed_grant
from tests.helpers import make_jwt
from tests.hostile import HeaderDrip, HostileServer, Reply, Seen

REFRESH = "rt-POOL-7a6b5c4d3e2f1a0b9c8d7e6f5a4b"
USER_INFO = b'{"code":0,"data":{"name":"alice","owner_role":"owner"}}'


class CountingFactory:
    """The real factory, counting the clients it makes."""

    def __init__(self) -> None:
        self.made: list[httpx.Client] = []

    def __call__(self, **kwargs: Any) -> httpx.Client:
        client = default_http_factory(**kwargs)
        self.made.append(client)
        return client


def account_at(paths: Paths, vault: BlobVault, url: str, http: Any = default_http_factory) -> Account:
    return Account(paths, vault, http, time.time, {"OLARES_AUTH_MCP_SERVICE_URL": url})


def test_calls_in_a_burst_share_one_client_per_profile(paths: Paths, vault: BlobVault, olares_sim: Simulator) -> None:
    factory = CountingFactory()
    account = account_at(paths, vault, olares_sim.url, factory)
    for olares_id in (ALICE, BOB):
        access, refresh = olares_sim.issue_tokens(olares_id)
        seed_grant(account, olares_id, access, refresh)
    for _ in range(3):
        assert account.whoami(refresh=True, target=ALICE).source == "server"
    account.refresh_version(ALICE)
    assert len(factory.made) == 1
    account.whoami(refresh=True, target=BOB)
    assert len(factory.made) == 2  # another profile, another client: no connection is shared across profiles


def test_a_reused_client_starts_with_an_empty_cookie_jar(paths: Paths, vault: BlobVault) -> None:
    def responder(seen: Seen) -> Reply:
        return Reply(200, USER_INFO, headers={"Set-Cookie": "planted=from-the-server; Path=/"})

    factory = CountingFactory()
    with HostileServer(responder) as evil:
        account = account_at(paths, vault, evil.url, factory)
        seed_grant(account, ALICE, make_jwt({"exp": int(time.time()) + 3600}), REFRESH)
        account.whoami(refresh=True)
        account.whoami(refresh=True)
    assert len(factory.made) == 1
    cookies = [seen.headers.get("cookie", "") for seen in evil.requests_to("/api/backend/v1/user-info")]
    assert len(cookies) == 2
    assert all("planted" not in cookie and "auth_token=" in cookie for cookie in cookies), cookies


def test_a_client_whose_exchange_failed_is_not_reused(paths: Paths, vault: BlobVault) -> None:
    replies = iter([Reply(200, b" " * 400 + USER_INFO, drip=0.2, max_seconds=10), Reply(200, USER_INFO)])

    factory = CountingFactory()
    with HostileServer(lambda _: next(replies)) as evil:
        account = account_at(paths, vault, evil.url, factory)
        account.exchange_seconds = 1.0
        seed_grant(account, ALICE, make_jwt({"exp": int(time.time()) + 3600}), REFRESH)
        with pytest.raises(ServerError, match="deadline exceeded"):
            account.whoami(refresh=True)
        assert account.whoami(refresh=True).role == "owner"
    assert len(factory.made) == 2
    assert factory.made[0].is_closed


def test_a_reused_connection_that_drips_its_headers_ends_at_the_deadline(paths: Paths, vault: BlobVault) -> None:
    """The exchange's watchdog learns a socket when the client opens it; on a reused keep-alive connection it
    must still know it, or a server dripping its headers would hold the call past the deadline."""
    evil = HeaderDrip(first=USER_INFO)
    try:
        account = account_at(paths, vault, evil.url)
        account.exchange_seconds = 1.0
        seed_grant(account, ALICE, make_jwt({"exp": int(time.time()) + 3600}), REFRESH)
        assert account.whoami(refresh=True).role == "owner"
        start = time.monotonic()
        with pytest.raises(ServerError, match="deadline exceeded"):
            account.whoami(refresh=True)
        elapsed = time.monotonic() - start
    finally:
        evil.close()
    assert evil.accepted == 1, "the second call did not reuse the first call's connection"
    assert elapsed < 8.0, f"held for {elapsed:.1f}s"  # 1 s deadline; without the watchdog the drip lasts 15 s


def test_the_pool_keeps_at_most_its_share_and_closes_the_rest() -> None:
    pool = ClientPool(keep=1)
    first, second = httpx.Client(), httpx.Client()
    made = iter([first, second])
    with pool.lease("k", lambda: next(made)) as a, pool.lease("k", lambda: next(made)) as b:
        assert (a, b) == (first, second)  # leased at once: never the same client twice
    assert [first.is_closed, second.is_closed].count(True) == 1
    pool.close()
    assert first.is_closed and second.is_closed
