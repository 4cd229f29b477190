"""The argument screen: every string a client sends, bounded before any pattern runs, failing one call only."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace

import anyio
import pytest
from mcp import Client, MCPError
from mcp.types import CallToolResult

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.tools._guard import MAX_ARGUMENT_CHARS, ArgumentScreen, Guard
from olares_auth_mcp.tools.deps import Deps
from tests.tools.conftest import CANARY_ACCESS, CANARY_REFRESH, seed_every_status

pytestmark = pytest.mark.anyio


def text_of(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def test_oversized_arguments_are_refused_without_echo(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    marker = "m4rk3r"
    big = marker + "x" * (MAX_ARGUMENT_CHARS + 1)
    async with connect() as client:
        result = await client.call_tool("profile_use", {"profile": big})
        flood = await client.call_tool("explain_auth_error", {"error_text": "eyJ" * 350_000})
    assert result.is_error and "larger than 64 KiB" in text_of(result) and marker not in text_of(result)
    assert flood.is_error and "eyJeyJ" not in text_of(flood)
    audit = paths.audit_log.read_text()
    assert marker not in audit and "eyJeyJ" not in audit


async def test_a_flood_just_under_the_cap_is_screened_quickly(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    """60 KB of "eyJ…" used to hold the event loop for seconds (quadratic); now it is one linear scan."""
    seed_every_status(paths, vault)
    async with connect() as client:
        started = time.process_time()
        result = await client.call_tool("explain_auth_error", {"error_text": "eyJ" * 20_000})
        assert time.process_time() - started < 2.0
    assert result.is_error  # too long for error_text: the SDK's validation refuses it, after the screen


async def test_deep_nesting_fails_that_call_only(paths: Paths, vault: BlobVault) -> None:
    """500 levels of nesting (which the SDK's own client will not even send) are refused, no RecursionError."""
    guard = Guard(Deps(Runtime.build(paths, vault, audit_path=paths.audit_log)))
    screen = ArgumentScreen(guard)
    nested: object = "leaf"
    for _ in range(500):
        nested = {"a": [nested]}
    passed: list[object] = []

    async def call_next(ctx: object) -> str:
        passed.append(ctx)
        return "answered"

    deep = await screen(
        SimpleNamespace(method="tools/call", params={"name": "profile_use", "arguments": {"profile": nested}}),
        call_next,
    )
    with pytest.raises(MCPError, match="nested more than"):
        await screen(
            SimpleNamespace(method="prompts/get", params={"name": "olares_login", "arguments": {"olares_id": nested}}),
            call_next,
        )
    fine = await screen(
        SimpleNamespace(method="tools/call", params={"name": "profile_list", "arguments": {}}), call_next
    )
    assert deep.is_error and "nested more than" in text_of(deep) and len(passed) == 1 and fine == "answered"
    assert '"outcome": "refused"' in paths.audit_log.read_text()


async def test_a_stored_token_as_a_tool_name_is_refused_and_not_echoed(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        result = await client.call_tool(CANARY_REFRESH, {})
    assert result.is_error and CANARY_REFRESH not in text_of(result) and "looks like a credential" in text_of(result)
    assert CANARY_REFRESH not in paths.audit_log.read_text()


async def test_a_stored_token_as_a_prompt_argument_is_refused_and_not_echoed(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        with pytest.raises(MCPError) as refused:
            await client.get_prompt("olares_login", {"olares_id": CANARY_REFRESH})
        with pytest.raises(MCPError) as embedded:
            await client.get_prompt("olares_auth_error", {"error_text": f"bad token {CANARY_ACCESS}"})
        with pytest.raises(MCPError) as named:
            await client.get_prompt(CANARY_REFRESH, {})
        fine = await client.get_prompt("olares_auth_error", {"error_text": "Error: token not found"})
    for error in (refused.value, embedded.value, named.value):
        assert "looks like a credential" in str(error)
        assert CANARY_REFRESH not in str(error) and CANARY_ACCESS not in str(error)
    assert fine.messages


async def test_a_stored_token_in_a_resource_uri_is_refused_and_not_echoed(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    async with connect() as client:
        with pytest.raises(MCPError) as refused:
            await client.read_resource(f"olares://profiles/{CANARY_REFRESH}")
        fine = await client.read_resource("olares://guide/auth")
    assert "looks like a credential" in str(refused.value) and CANARY_REFRESH not in str(refused.value)
    assert fine.contents


async def test_a_token_inside_a_url_is_refused(connect: Callable[..., Client], paths: Paths, vault: BlobVault) -> None:
    token = "Q9xK2mP7vL4nB8cD3eF6gH1jK5sT0wYz"
    async with connect() as client:
        result = await client.call_tool("profile_use", {"profile": f"http{token}"})
    assert result.is_error and "looks like a credential" in text_of(result) and token not in text_of(result)


async def test_a_cancelled_call_is_audited(paths: Paths, vault: BlobVault) -> None:
    """Cancellation raises through Guard.arun; the audit line is still written, as 'cancelled'."""
    guard = Guard(Deps(Runtime.build(paths, vault, audit_path=paths.audit_log)))

    async def forever() -> None:
        await anyio.sleep_forever()

    with anyio.move_on_after(0.2):
        await guard.arun("start_login", {"olares_id": "alice@olares.com"}, forever)
    line = paths.audit_log.read_text()
    assert '"tool": "start_login"' in line and '"outcome": "cancelled"' in line


async def test_malformed_params_carrying_a_token_are_screened_too(paths: Paths, vault: BlobVault) -> None:
    """A token in a non-string tool name or in non-object arguments never reaches the SDK's echoing errors."""
    seed_every_status(paths, vault)
    screen = ArgumentScreen(Guard(Deps(Runtime.build(paths, vault))))

    async def call_next(ctx: object) -> str:
        return "reached the SDK"

    for params in (
        {"name": [CANARY_REFRESH], "arguments": {}},
        {"name": "profile_use", "arguments": [CANARY_REFRESH]},
        {"name": "profile_use", "arguments": CANARY_ACCESS},
    ):
        result = await screen(SimpleNamespace(method="tools/call", params=params), call_next)
        assert result != "reached the SDK" and result.is_error
        assert CANARY_REFRESH not in text_of(result) and CANARY_ACCESS not in text_of(result)
    with pytest.raises(MCPError, match="looks like a credential"):
        await screen(
            SimpleNamespace(method="prompts/get", params={"name": "olares_login", "arguments": [CANARY_REFRESH]}),
            call_next,
        )
