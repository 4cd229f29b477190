"""Shared wire helpers for the simulator tests: accounts, a fixed clock and request builders."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

import httpx

from olares_auth_mcp.sim import Simulator, SimUser

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # pyotp needs >= 112 bits
ALICE = SimUser("alice@olares.com", "P@ssw0rd")
BOB = SimUser("bob@olares.com", "abc", totp_secret=SECRET)
CAROL = SimUser("carol@example.org", "pw", owner_role="normal")
NOW = 1_777_040_985.0  # iat of the real token in beclab/Olares `cli/pkg/auth/jwt_test.go`
KO_BAD_PASSWORD = {"status": "KO", "message": "Authentication failed, incorrect password."}


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def salted(password: str) -> str:
    return hashlib.md5((password + "@Olares2025").encode(), usedforsecurity=False).hexdigest()


def first_factor(client: httpx.Client, local: str, password_hash: str, target: str) -> httpx.Response:
    body = {
        "username": local,
        "password": password_hash,
        "keepMeLoggedIn": False,
        "requestMethod": "POST",
        "targetURL": target,
        "acceptCookie": True,
    }
    return client.post("/api/firstfactor", params={"hideCookie": "true"}, json=body)


def login(client: httpx.Client, user: SimUser) -> dict[str, object]:
    local, _, domain = user.olares_id.partition("@")
    resp = first_factor(client, local, salted(user.password), f"https://vault.{local}.{domain}/server")
    assert resp.status_code == 200
    data: dict[str, object] = resp.json()["data"]
    return data


def second_factor(client: httpx.Client, first_token: str, code: str, **headers: str) -> httpx.Response:
    sent = {"X-Authorization": first_token, "X-Unauth-Error": "Non-Redirect", **headers}
    body = {"targetUrl": "https://desktop.bob.olares.com", "token": code}
    return client.post("/api/secondfactor/totp", json=body, headers=sent)


# What the refreshing transport sends on every desktop-API request (beclab/Olares `cli/pkg/cmdutil/factory.go`).
API_HEADERS = {"X-Unauth-Error": "Non-Redirect", "Accept": "application/json"}


def user_info(client: httpx.Client, token: object) -> httpx.Response:
    return client.get("/api/backend/v1/user-info", headers={"X-Authorization": str(token), **API_HEADERS})


def edge_refusal(sim: Simulator, path: str, *, fa2: bool = False, method: str = "GET") -> dict[str, object]:
    """The body of the edge's 459 for a request to `path` that sent no Authelia session cookie."""
    return {"fa2": fa2, "method": method, "session_id": "", "target_url": f"{sim.url}{path}"}


def refresh(client: httpx.Client, refresh_token: object) -> httpx.Response:
    return client.post("/api/refresh", json={"refreshToken": refresh_token})


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        threading.Event().wait(0.005)
