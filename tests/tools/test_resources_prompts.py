"""Resources and prompts are listed and readable in both protocol eras, and never carry a token."""

from __future__ import annotations

import json

import pytest

from tests.tools.conftest import CANARY_ACCESS, CANARY_REFRESH, seed_every_status

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


async def test_every_resource_is_listed_and_readable(connect, paths, vault) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        assert set(RESOURCES) <= set(listed)
        for uri, mime in RESOURCES.items():
            assert listed[uri].mime_type == mime
            text = (await client.read_resource(uri)).contents[0].text
            assert text.strip(), uri
            assert CANARY_ACCESS not in text and CANARY_REFRESH not in text
            if mime == "application/json":
                json.loads(text)
        for uri in ("olares://platform/model", "olares://platform/app-states", "olares://skills/routing"):
            assert "beclab/Olares" in (listed[uri].description or "")


async def test_profiles_resource_matches_profile_list(connect, paths, vault) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        rows = json.loads((await client.read_resource("olares://profiles")).contents[0].text)
        listed = (await client.call_tool("profile_list", {})).structured_content["profiles"]
    assert rows == listed


async def test_errors_resource_is_the_catalogue(connect) -> None:
    async with connect() as client:
        entries = json.loads((await client.read_resource("olares://guide/errors")).contents[0].text)["entries"]
    kinds = {entry["kind"] for entry in entries}
    assert {"not_logged_in", "invalidated", "access_rejected", "totp_required", "network", "unclassified"} <= kinds


async def test_prompts(connect) -> None:
    async with connect() as client:
        names = {p.name for p in (await client.list_prompts()).prompts}
        assert {"olares_login", "olares_auth_error"} <= names
        login = await client.get_prompt("olares_login", {"olares_id": "alice@olares.com"})
        error = await client.get_prompt("olares_auth_error", {"error_text": "Error: token not found"})
    login_text = login.messages[0].content.text
    assert "start_login" in login_text and "auth_readiness" in login_text and "never in chat" in login_text
    assert "explain_auth_error" in error.messages[0].content.text and "loop" in error.messages[0].content.text


async def test_app_states_json_resource_uses_the_packaged_field_names(connect) -> None:
    from importlib import resources

    packaged = resources.files("olares_auth_mcp.prompts.platform").joinpath("app_states.json").read_text()
    async with connect() as client:
        served = (await client.read_resource("olares://platform/app-states.json")).contents[0].text
    data = json.loads(served)
    assert data == json.loads(packaged)
    transition = data["transitions"][0]
    assert {"from", "to"} <= set(transition) and not {"from_state", "to_state"} & set(transition)
