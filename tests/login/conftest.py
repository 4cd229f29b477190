"""Fixtures for the login relay and page tests: the fake login program, a manager, a live page."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from olares_auth_mcp.login import (
    LoginManager,
    LoginProcess,
    LoginSession,
    SecretPageRegistry,
    SecretPageServer,
    spawn_login,
)

FAKE_LOGIN = Path(__file__).parent / "fakes" / "fake_login.py"
OLARES_ID = "alice@olares.com"
TOTP = "246810"


def fake_argv(mode: str = "normal", olares_id: str = OLARES_ID) -> list[str]:
    """argv for the fake `profile login` in one of its modes (see fakes/fake_login.py)."""
    return [sys.executable, str(FAKE_LOGIN), "--olares-id", olares_id, "--mode", mode]


@pytest.fixture
def canary() -> str:
    """A password unique to this test, so any leak of it can be searched for."""
    return f"canary-{secrets.token_hex(8)}-pw"


@pytest.fixture
def fake_env(canary: str) -> Callable[..., dict[str, str]]:
    """The exact environment a fake login runs with (plus per-test extras)."""

    def build(**extra: str) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        env.update(FAKE_PASSWORD=canary, FAKE_TOTP=TOTP, PYTHONDONTWRITEBYTECODE="1")
        env.update(extra)
        return env

    return build


@pytest.fixture
def spawn(fake_env: Callable[..., dict[str, str]]) -> Iterator[Callable[..., LoginProcess]]:
    """Start a fake login process; every one started is cancelled (and reaped) at teardown."""
    started: list[LoginProcess] = []

    def start(mode: str = "normal", *, env: dict[str, str] | None = None, **options: Any) -> LoginProcess:
        options.setdefault("echo_grace", 0.3)
        options.setdefault("term_grace", 1.0)
        process = spawn_login(fake_argv(mode), env if env is not None else fake_env(), **options)
        started.append(process)
        return process

    yield start
    for process in started:
        process.cancel()
        assert process.join(5)


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def manager(clock: FakeClock) -> Iterator[LoginManager]:
    with LoginManager(clock=clock, sweep_interval=None, echo_grace=0.3, term_grace=1.0) as m:
        yield m


@pytest.fixture
def registry(manager: LoginManager) -> SecretPageRegistry:
    return SecretPageRegistry(manager, settle_timeout=15.0, page_wait=2.0)


@pytest.fixture
def page_server(registry: SecretPageRegistry) -> Iterator[SecretPageServer]:
    with SecretPageServer(registry) as server:
        yield server


@pytest.fixture
def client(page_server: SecretPageServer) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=20.0) as c:
        yield c


@pytest.fixture
def open_login(
    manager: LoginManager,
    registry: SecretPageRegistry,
    page_server: SecretPageServer,
    fake_env: Callable[..., dict[str, str]],
) -> Callable[..., tuple[LoginSession, str]]:
    """Start a fake login, wait until it parks at its first prompt, and return it with its page URL."""

    def start(mode: str = "normal", **extra: str) -> tuple[LoginSession, str]:
        session = manager.start(fake_argv(mode), fake_env(**extra), OLARES_ID)
        session.wait_for_prompt(10)
        return session, registry.url_for(session.login_id)

    return start


def origin(server: SecretPageServer) -> dict[str, str]:
    """The Origin header a browser sends when posting the page's own form."""
    assert server.base_url is not None
    return {"Origin": server.base_url}
