"""The MCP tools over a config.json with a profile that has no ``olaresId`` (olares-cli lists it as ``unknown``):
nothing fails as a whole, the gate asks for a login, and removal by its alias removes exactly it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mcp import Client

from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.readiness import NO_OLARES_ID
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from tests.tools.conftest import Human

pytestmark = pytest.mark.anyio

CONFIG = '{"currentProfile":"ghost","profiles":[{"name":"ghost"},{"olaresId":"alice@olares.com"}]}'


@pytest.fixture
def ghost(paths: Paths, vault: BlobVault) -> None:
    paths.home.mkdir(parents=True)
    paths.config_file.write_text(CONFIG)
    vault.set(TokenRecord("alice@olares.com", access_token="a", refresh_token="rt-alice-123456789"))


async def test_list_gate_and_doctor_carry_on(connect: Callable[..., Client], ghost: None) -> None:
    async with connect() as client:
        listed = (await client.call_tool("profile_list", {})).structured_content
        gate = (await client.call_tool("auth_readiness", {})).structured_content
        doctor = await client.call_tool("auth_doctor", {})
    assert [(r["name"], r["olares_id"], r["status"]) for r in listed["profiles"]] == [
        ("ghost", "", "unknown"),
        ("alice@olares.com", "alice@olares.com", "logged-in (unparseable token)"),
    ]
    assert listed["current"] == "ghost"
    assert 'warning: profile "ghost" has no olaresId in config.json, so no token can belong to it' in listed["warnings"]
    assert (gate["decision"], gate["status"], gate["reason"]) == ("stop", "unknown", NO_OLARES_ID)
    assert gate["next_action"]["tool"] == "start_login" and gate["next_action"]["arguments"] == {}
    assert not doctor.is_error


async def test_remove_by_alias_removes_exactly_it(
    connect: Callable[..., Client], ghost: None, paths: Paths, vault: BlobVault
) -> None:
    human = Human()
    async with connect(human=human) as client:
        data = (await client.call_tool("profile_remove", {"profile": "ghost"})).structured_content
    assert human.asked and "ghost" in human.asked[0]
    assert data["lines"][1:] == ["removed profile ghost ()", "current profile is now: alice@olares.com"]
    assert [p.olares_id for p in ConfigStore(paths).load().profiles] == ["alice@olares.com"]
    assert vault.get("alice@olares.com").refresh_token == "rt-alice-123456789"
