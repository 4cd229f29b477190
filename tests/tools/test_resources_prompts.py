"""Resources and prompts are listed and readable in both protocol eras, and never carry a token."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from mcp import Client

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import BlobVault
from tests.tools.conftest import CANARY_ACCESS, CANARY_REFRESH, block_text, seed_every_status

pytestmark = pytest.mark.anyio

RESOURCES = {
    "olares://profiles": "application/json",
    "olares://guide/auth": "text/markdown",
    "olares://guide/errors": "application/json",
    "olares://platform/model": "text/markdown",
    "olares://platform/app-states": "text/markdown",
    "olares://platform/app-states.json": "application/json",
    "olares://skills/routing": "text/markdown",
}


async def test_every_resource_is_listed_and_readable(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        assert set(RESOURCES) <= set(listed)
        for uri, mime in RESOURCES.items():
            assert listed[uri].mime_type == mime
            text = block_text((await client.read_resource(uri)).contents[0])
            assert text.strip(), uri
            assert CANARY_ACCESS not in text and CANARY_REFRESH not in text
            if mime == "application/json":
                json.loads(text)
        for uri in ("olares://platform/model", "olares://platform/app-states", "olares://skills/routing"):
            assert "beclab/Olares" in (listed[uri].description or "")


async def test_profiles_resource_matches_profile_list(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        rows = json.loads(block_text((await client.read_resource("olares://profiles")).contents[0]))
        listed = (await client.call_tool("profile_list", {})).structured_content["profiles"]
    assert rows == listed


async def test_errors_resource_is_the_catalogue(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        entries = json.loads(block_text((await client.read_resource("olares://guide/errors")).contents[0]))["entries"]
    kinds = {entry["kind"] for entry in entries}
    assert {"not_logged_in", "invalidated", "access_rejected", "totp_required", "network", "unclassified"} <= kinds


async def test_prompts(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        names = {p.name for p in (await client.list_prompts()).prompts}
        assert {"olares_login", "olares_auth_error"} <= names
        login = await client.get_prompt("olares_login", {"olares_id": "alice@olares.com"})
        error = await client.get_prompt("olares_auth_error", {"error_text": "Error: token not found"})
    login_text = block_text(login.messages[0].content)
    assert "start_login" in login_text and "auth_readiness" in login_text and "never in chat" in login_text
    assert "explain_auth_error" in block_text(error.messages[0].content) and "loop" in block_text(
        error.messages[0].content
    )


async def test_app_states_json_resource_uses_the_packaged_field_names(connect: Callable[..., Client]) -> None:
    from importlib import resources

    packaged = resources.files("olares_auth_mcp.prompts.platform").joinpath("app_states.json").read_text()
    async with connect() as client:
        served = block_text((await client.read_resource("olares://platform/app-states.json")).contents[0])
    data = json.loads(served)
    assert data == json.loads(packaged)
    transition = data["transitions"][0]
    assert {"from", "to"} <= set(transition) and not {"from_state", "to_state"} & set(transition)
