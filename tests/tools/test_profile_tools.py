"""Every profile tool through the in-memory MCP client, in both protocol eras (2026-07-28 and 2025-11-25)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.errors import TokenNotFound
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.sim import Simulator
from olares_auth_mcp.tools.deps import Deps
from olares_auth_mcp.tools.models import ProfileListResult
from tests.conftest import ALICE
from tests.tools.conftest import CANARY_ACCESS, CANARY_REFRESH, STATUSES, Action, Human, block_text, seed_every_status

pytestmark = pytest.mark.anyio

TOOLS = {
    "profile_list",
    "auth_readiness",
    "profile_use",
    "profile_remove",
    "profile_import",
    "whoami",
    "explain_auth_error",
    "auth_doctor",
    "check_app_operation",
    "start_login",
    "login_status",
    "login_submit_totp",
    "login_cancel",
}


async def call(client: Client, tool: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
    return await client.call_tool(tool, arguments or {})


async def test_tools_declare_all_four_hints_and_an_output_schema(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) >= TOOLS
    for tool in tools.values():
        hints = tool.annotations
        assert hints is not None, tool.name
        assert None not in (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint)
        assert tool.output_schema is not None, tool.name
        assert tool.description, tool.name
    table = {
        name: (h.read_only_hint, h.destructive_hint, h.idempotent_hint, h.open_world_hint)
        for name, h in ((name, tool.annotations) for name, tool in tools.items())
        if h is not None
    }
    assert table == {  # the gate and the lookups are read-only
        "auth_readiness": (True, False, True, True),
        "profile_list": (True, False, True, True),
        "whoami": (True, False, True, True),
        "explain_auth_error": (True, False, True, False),
        "check_app_operation": (True, False, True, False),
        "login_status": (True, False, True, False),
        "auth_doctor": (True, False, True, True),
        "profile_use": (False, False, False, False),
        "profile_remove": (False, True, False, False),
        "profile_import": (False, False, False, True),
        "start_login": (False, False, False, True),
        "login_submit_totp": (False, False, False, True),
        "login_cancel": (False, False, True, False),
    }
    schema = json.dumps(tools["profile_import"].input_schema)
    assert "refresh_token_env" in schema and '"refresh_token"' not in schema


async def test_profile_list_rows_table_and_no_token(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        result = await call(client, "profile_list")
    data = result.structured_content
    assert {row["olares_id"]: row["status"] for row in data["profiles"]} == STATUSES
    assert data["current"] == "live"
    assert data["table"].splitlines()[0].split() == ["NAME", "OLARES-ID", "STATUS", "VERSION", "SOURCE"]
    live = data["profiles"][0]
    assert live["has_refresh_token"] is True and live["expires_in_seconds"] > 80000
    assert any(w.startswith("warning: skipping stored token for broken@olares.com") for w in data["warnings"])
    text = json.dumps(data) + block_text(result.content[0])
    assert CANARY_ACCESS not in text and CANARY_REFRESH not in text


async def test_profile_list_text_is_the_compact_json_of_its_structured_content(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    """The listing is built as JSON data, not as a model: it must still be exactly what its schema says."""
    seed_every_status(paths, vault)
    async with connect() as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "profile_list")
        result = await call(client, "profile_list")
    data = result.structured_content
    assert data is not None and not result.is_error
    assert ProfileListResult.model_validate(data).model_dump(mode="json") == data
    assert tool.output_schema is not None and tool.output_schema["title"] == "ProfileListResult"
    assert set(tool.output_schema["properties"]) == set(ProfileListResult.model_fields)
    text = block_text(result.content[0])
    assert json.loads(text) == data and "\n " not in text, "one compact dump, no indentation"


@pytest.mark.parametrize(
    ("profile", "decision", "next_tool"),
    [
        ("live", "proceed", None),
        ("stale@olares.com", "proceed", None),
        ("dead@olares.com", "stop", "start_login"),
        ("new@olares.com", "stop", "start_login"),
        ("odd@olares.com", "stop", "start_login"),
        ("broken@olares.com", "stop", "profile_list"),
        ("app@olares.com", "stop", "profile_list"),
        ("ghost@olares.com", "stop", "start_login"),
    ],
)
async def test_gate_decisions_for_every_status(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault, profile: str, decision: str, next_tool: str | None
) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        data = (await call(client, "auth_readiness", {"profile": profile})).structured_content
    assert data["decision"] == decision
    assert data["checked"] == "local"
    assert (data["next_action"] or {}).get("tool") == next_tool
    if next_tool == "start_login":
        # no olares-cli on the test server's PATH: the command names this package's own CLI
        assert data["next_action"]["command"] == f"olares-auth-mcp profile login --olares-id {profile}"
    assert ConfigStore(paths).load().current_profile == "live", "targeting a profile never switches"


async def test_gate_with_no_profiles_says_login(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        data = (await call(client, "auth_readiness")).structured_content
    assert (data["decision"], data["status"], data["next_action"]["tool"]) == ("stop", "no-profile", "start_login")
    assert data["next_action"]["arguments"] == {}, "no placeholder the agent could send as is"
    assert "Olares ID" in data["next_action"]["ask_human"]


async def test_live_gate_refreshes_an_expired_token(
    connect: Callable[..., Client], account: Account, olares_sim: Simulator, stale: str
) -> None:
    async with connect() as client:
        data = (await call(client, "auth_readiness", {"live": True})).structured_content
    assert (data["decision"], data["checked"], data["status"]) == ("proceed", "server", "logged-in")
    assert olares_sim.hits("/api/refresh") == 1
    assert account.vault.get(ALICE).access_token != stale


async def test_live_gate_turns_a_dead_grant_into_invalidated(
    connect: Callable[..., Client], account: Account, olares_sim: Simulator, stale: str
) -> None:
    olares_sim.revoke_user(ALICE)
    async with connect() as client:
        data = (await call(client, "auth_readiness", {"live": True})).structured_content
        again = (await call(client, "auth_readiness")).structured_content
    assert (data["decision"], data["status"], data["next_action"]["tool"]) == ("stop", "invalidated", "start_login")
    assert again["status"] == "invalidated"


async def test_live_gate_with_server_down_is_transient(
    connect: Callable[..., Client], account: Account, olares_sim: Simulator
) -> None:
    from tests.conftest import seed_grant

    access, refresh = olares_sim.issue_tokens(ALICE)
    seed_grant(account, ALICE, access, refresh)
    olares_sim.stop()
    async with connect() as client:
        data = (await call(client, "auth_readiness", {"live": True})).structured_content
    assert data["decision"] == "stop" and data["status"] == "logged-in"
    assert "do not log in again" in data["reason"]
    assert data["next_action"]["tool"] == "auth_readiness"
    assert account.vault.get(ALICE).invalidated_at == 0


async def test_use_and_switch_back(connect: Callable[..., Client], paths: Paths, vault: BlobVault) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        first = (await call(client, "profile_use", {"profile": "new@olares.com"})).structured_content
        back = (await call(client, "profile_use", {"profile": "-"})).structured_content
        missing = await call(client, "profile_use", {"profile": "nobody"})
    assert (first["previous"], first["current"]) == ("live", "new@olares.com")
    assert back["current"] == "live"
    assert missing.is_error and 'profile "nobody" not found' in block_text(missing.content[0])


async def test_remove_after_the_human_confirms(connect: Callable[..., Client], paths: Paths, vault: BlobVault) -> None:
    seed_every_status(paths, vault)
    human = Human()
    async with connect(human=human) as client:
        data = (await call(client, "profile_remove", {"profile": "stale@olares.com"})).structured_content
    assert human.asked and "stale@olares.com" in human.asked[0]
    assert data["lines"][0] == "removed profile stale@olares.com (stale@olares.com)"
    with pytest.raises(TokenNotFound):
        vault.get("stale@olares.com")


@pytest.mark.parametrize(("action", "confirm"), [("decline", True), ("cancel", True), ("accept", False)])
async def test_remove_declined_cancelled_or_unconfirmed_changes_nothing(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault, action: Action, confirm: bool
) -> None:
    seed_every_status(paths, vault)
    before = paths.config_file.read_bytes()
    async with connect(human=Human(action, confirm)) as client:
        result = await call(client, "profile_remove", {"profile": "stale@olares.com"})
    assert result.is_error and "Not removed" in block_text(result.content[0])
    assert paths.config_file.read_bytes() == before
    assert vault.get("stale@olares.com").refresh_token


async def test_remove_without_elicitation_fails_closed_with_the_command(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    before = paths.config_file.read_bytes()
    async with connect() as client:
        result = await call(client, "profile_remove", {"profile": "stale@olares.com"})
    assert result.is_error
    assert "olares-auth-mcp profile remove stale@olares.com" in block_text(result.content[0])  # the CLI installed here
    assert paths.config_file.read_bytes() == before


async def test_remove_unknown_profile_asks_nobody(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    human = Human()
    async with connect(human=human) as client:
        result = await call(client, "profile_remove", {"profile": "ghost"})
    assert result.is_error and 'profile "ghost" not found' in block_text(result.content[0])
    assert human.asked == []


async def test_import_reads_the_token_from_the_server_environment(
    deps: Deps, era: str, olares_sim: Simulator, vault: BlobVault
) -> None:

    from olares_auth_mcp.server.app import build_server

    _, refresh = olares_sim.issue_tokens(ALICE)
    env = {**deps.env, "MY_RT": refresh, "OLARES_AUTH_MCP_IMPORT_ENV": "MY_RT,NOPE"}
    server = build_server(deps.with_env(env))
    human = Human()
    async with Client(server, elicitation_callback=human, mode="legacy" if era == "legacy" else "auto") as client:
        data = (
            await call(client, "profile_import", {"olares_id": ALICE, "refresh_token_env": "MY_RT"})
        ).structured_content
        missing = await call(client, "profile_import", {"olares_id": "bob@olares.com", "refresh_token_env": "NOPE"})
        bad_name = await call(client, "profile_import", {"olares_id": "bob@olares.com", "refresh_token_env": "A B"})
        again = await call(client, "profile_import", {"olares_id": ALICE, "refresh_token_env": "MY_RT"})
    assert human.asked and "auth.alice.olares.com" in human.asked[0], "a new profile: the human confirms the host"
    assert data["lines"][0] == f"imported credentials for {ALICE} (profile: {ALICE})"
    assert data["role"] == "owner" and refresh not in json.dumps(data)
    assert olares_sim.hits("/api/refresh") == 1
    assert vault.get(ALICE).refresh_token
    assert missing.is_error and "NOPE is not set" in block_text(missing.content[0])
    assert bad_name.is_error
    assert again.is_error and "already authenticated" in block_text(again.content[0])


async def test_whoami_through_the_refreshing_transport(
    connect: Callable[..., Client], account: Account, olares_sim: Simulator, stale: str
) -> None:
    async with connect() as client:
        data = (await call(client, "whoami", {"refresh": True})).structured_content
        cached = (await call(client, "whoami")).structured_content
    assert (data["role"], data["role_label"], data["source"]) == ("owner", "Owner", "server")
    assert cached["source"] == "cache"
    assert olares_sim.hits("/api/refresh") == 1


async def test_whoami_without_a_profile_is_a_readable_error(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        result = await call(client, "whoami")
    assert result.is_error and "no Olares profile is configured" in block_text(result.content[0])


@pytest.mark.parametrize(
    "argument",
    [
        CANARY_ACCESS,
        CANARY_REFRESH,
        f"please use {CANARY_ACCESS}",
        "x9Kq2LmN8vB4cD7eF1gH5jK3pQ6rS0tU",
    ],
)
async def test_secret_looking_arguments_are_refused_and_not_echoed(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault, argument: str
) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        result = await call(client, "profile_use", {"profile": argument})
    assert result.is_error
    text = block_text(result.content[0])
    assert "looks like a credential" in text and argument not in text
    audit = paths.audit_log.read_text()
    assert argument not in audit and '"outcome": "refused"' in audit


async def test_explain_refuses_only_embedded_secrets(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        plain = await call(client, "explain_auth_error", {"error_text": "Error: token not found"})
        leaked = await call(client, "explain_auth_error", {"error_text": f"Error: bad token {CANARY_REFRESH}"})
    assert not plain.is_error and plain.structured_content["kind"] == "not_logged_in"
    assert leaked.is_error and CANARY_REFRESH not in block_text(leaked.content[0])


async def test_error_bodies_are_redacted(
    connect: Callable[..., Client], account: Account, olares_sim: Simulator
) -> None:
    """A server error that quotes the access token back reaches the model redacted."""
    from tests.conftest import seed_grant

    access, refresh = olares_sim.issue_tokens(ALICE)
    seed_grant(account, ALICE, access, refresh)
    olares_sim.inject("/api/backend/v1/user-info", status=401, body=json.dumps({"message": f"bad {access}"}))
    async with connect() as client:
        result = await call(client, "whoami", {"refresh": True})
    assert result.is_error
    text = block_text(result.content[0])
    assert "server rejected the access token" in text
    assert access not in text and "[redacted]" in text
    for stored in (account.vault.get(ALICE).access_token, account.vault.get(ALICE).refresh_token):
        assert stored not in text


async def test_audit_log_is_private_json_lines(connect: Callable[..., Client], paths: Paths, vault: BlobVault) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        await call(client, "profile_list")
        await call(client, "profile_use", {"profile": "nobody"})
    assert stat.S_IMODE(os.stat(paths.audit_log).st_mode) == 0o600
    lines = [json.loads(line) for line in paths.audit_log.read_text().splitlines()]
    assert [(line["tool"], line["outcome"]) for line in lines] == [
        ("profile_list", "ok"),
        ("profile_use", "error:profile_not_found"),
    ]
    assert all({"time", "tool", "profile", "outcome", "arguments"} <= set(line) for line in lines)


async def test_check_app_operation_tool(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        ok = (await call(client, "check_app_operation", {"state": "running", "operation": "stop"})).structured_content
        no = (
            await call(client, "check_app_operation", {"state": "downloading", "operation": "upgrade"})
        ).structured_content
    assert ok["allowed"] is True
    assert no["allowed"] is False and no["reason"]


async def test_a_credential_never_reaches_the_removal_question(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    """The argument screen refuses before the confirmation resolver runs: the human is never asked about it."""
    seed_every_status(paths, vault)
    human = Human()
    async with connect(human=human) as client:
        result = await call(client, "profile_remove", {"profile": CANARY_ACCESS})
    assert result.is_error and "looks like a credential" in block_text(result.content[0])
    assert human.asked == []
