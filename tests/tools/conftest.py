"""Fixtures for MCP-level tests: a home seeded with a profile in every status, and clients in both eras."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.types import (
    BlobResourceContents,
    ContentBlock,
    ElicitRequestParams,
    ElicitRequestURLParams,
    ElicitResult,
    TextContent,
    TextResourceContents,
)

from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.tools.deps import Deps
from tests.helpers import make_jwt

NOW = time.time()
# Canary values: unique strings that must never appear in any tool output, log or audit line.
CANARY_ACCESS = make_jwt({"exp": int(NOW) + 86400, "username": "canary"})
CANARY_REFRESH = "rt-CANARY-7f3a9b1c2d4e5f60718293a4b5c6d7e8"
EXPIRED_ACCESS = make_jwt({"exp": int(NOW) - 60})
EXPIRED_REFRESH = "rt-EXPIRED-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
DEAD_REFRESH = "rt-DEAD-99887766554433221100ffeeddccbbaa"

STATUSES = {
    "live@olares.com": "logged-in",
    "stale@olares.com": "expired",
    "dead@olares.com": "invalidated",
    "new@olares.com": "never",
    "odd@olares.com": "logged-in (unparseable token)",
    "broken@olares.com": "unknown",
    "app@olares.com": "pending",
}


def seed_every_status(paths: Paths, vault: BlobVault) -> None:
    def change(config: Config) -> None:
        config.profiles = [Profile(olares_id) for olares_id in STATUSES]
        config.profiles[0].name = "live"
        config.profiles[6].managed = True
        config.profiles[6].app_name = "lares"
        config.current_profile = "live"

    ConfigStore(paths).mutate(change)
    vault.set(TokenRecord("live@olares.com", access_token=CANARY_ACCESS, refresh_token=CANARY_REFRESH))
    vault.set(TokenRecord("stale@olares.com", access_token=EXPIRED_ACCESS, refresh_token=EXPIRED_REFRESH))
    vault.set(TokenRecord("dead@olares.com", access_token=EXPIRED_ACCESS, refresh_token=DEAD_REFRESH))
    vault.mark_invalidated("dead@olares.com", int(NOW * 1000))
    vault.set(TokenRecord("odd@olares.com", access_token="not-a-jwt", refresh_token="rt-odd-123456789"))
    vault.set(TokenRecord("broken@olares.com", access_token=CANARY_ACCESS))
    vault.store.path_for("broken@olares.com").write_bytes(b"\x00" * 40)  # type: ignore[attr-defined]


Action = Literal["accept", "decline", "cancel"]


class Human:
    """The person beside the client: answers elicitations as told, records what was asked."""

    def __init__(self, action: Action = "accept", confirm: bool = True) -> None:
        self.action, self.confirm = action, confirm
        self.asked: list[str] = []
        self.urls: list[str] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        if isinstance(params, ElicitRequestURLParams):
            self.urls.append(params.url)
            return ElicitResult(action=self.action)
        self.asked.append(params.message)
        if self.action != "accept":
            return ElicitResult(action=self.action)
        return ElicitResult(action="accept", content={"confirm": self.confirm})


@pytest.fixture(params=["modern", "legacy"])
def era(request: pytest.FixtureRequest) -> str:
    param: str = request.param
    return param


@pytest.fixture
def connect(deps: Deps, era: str) -> Callable[..., Client]:
    """``async with connect(human=Human()) as client`` in the parametrized protocol era."""

    def make(human: Human | None = None, **kwargs: Any) -> Client:
        options: dict[str, Any] = {"mode": "legacy"} if era == "legacy" else {}
        if human is not None:
            options["elicitation_callback"] = human
        return Client(build_server(deps), **options, **kwargs)

    return make


def type_into_page(url: str, field: str, value: str) -> tuple[int, str]:
    """What the human's browser does: GET the page, POST the form same-origin. Returns (status, body)."""
    import httpx

    origin = url.split("/olares-login", 1)[0]
    with httpx.Client(timeout=40) as browser:
        assert browser.get(url).status_code == 200
        answer = browser.post(url, data={field: value}, headers={"Origin": origin})
    return answer.status_code, answer.text


def block_text(block: ContentBlock | TextResourceContents | BlobResourceContents) -> str:
    """The text of a block that must be text (a tool's message, a prompt's body, a resource's contents)."""
    assert isinstance(block, TextContent | TextResourceContents), block
    return block.text


class FakeClock:
    """Monotonic seconds that only move when the test says so (login session expiry)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
