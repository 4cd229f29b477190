"""start_login / login_status / login_submit_totp / login_cancel through the in-memory MCP client, both eras,
with our real `profile login` CLI in a pty against the simulator (and a fake login program for the swap)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pyotp
import pytest
from mcp import Client

from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.sim import Simulator
from olares_auth_mcp.tools.deps import Deps
from tests.conftest import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD, BOB_TOTP
from tests.tools.conftest import Action, FakeClock, Human, block_text, type_into_page

pytestmark = pytest.mark.anyio
FAKE_LOGIN = Path(__file__).parents[1] / "login" / "fakes" / "fake_login.py"


async def page(url: str, field: str, value: str) -> tuple[int, str]:
    return await anyio.to_thread.run_sync(type_into_page, url, field, value)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_password_login_through_the_page(connect: Callable[..., Client], vault: BlobVault, paths: Paths) -> None:
    human = Human()
    async with connect(human=human) as client:
        started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        assert (started["state"], started["url_delivery"]) == ("awaiting_password", "elicitation")
        assert started["prompt"] == f"password for {ALICE}: "
        assert human.urls and human.urls[0].startswith("http://127.0.0.1:")
        assert human.asked == [], "form elicitation is never used for a password"
        status, body = await page(human.urls[0], "password", ALICE_PASSWORD)
        assert status == 200 and ALICE_PASSWORD not in body
        done = await client.call_tool("login_status", {"login_id": started["login_id"], "wait_seconds": 20})
        reused = await anyio.to_thread.run_sync(lambda: httpx.get(human.urls[0], timeout=10).status_code)
    data = done.structured_content
    assert (data["state"], data["exit_code"], data["profile_status"]) == ("succeeded", 0, "logged-in")
    assert f"logged in as {ALICE} (profile: {ALICE})" in data["output"]
    assert ALICE_PASSWORD not in data["output"]
    assert vault.get(ALICE).refresh_token
    assert ConfigStore(paths).load().current_profile == ALICE
    assert reused == 410, "the page is single use"


async def test_totp_login_with_the_code_relayed_by_the_agent(
    connect: Callable[..., Client], olares_sim: Simulator
) -> None:
    human = Human()
    async with connect(human=human) as client:
        login_id = (await client.call_tool("start_login", {"olares_id": BOB})).structured_content["login_id"]
        status, body = await page(human.urls[0], "password", BOB_PASSWORD)
        assert status == 200 and 'name="code"' in body
        state = (await client.call_tool("login_status", {"login_id": login_id})).structured_content
        assert state["state"] == "awaiting_totp" and state["url_delivery"] == "elicitation"
        assert state["secret_entry_url"] is None, "the client showed the page: the model never gets its URL"
        done = await client.call_tool("login_submit_totp", {"login_id": login_id, "code": pyotp.TOTP(BOB_TOTP).now()})
    assert done.structured_content["state"] == "succeeded"
    assert olares_sim.hits("/api/firstfactor") == 2, "interactive 2FA runs the first factor again"


async def test_totp_login_with_the_code_typed_on_the_page(connect: Callable[..., Client]) -> None:
    human = Human()
    async with connect(human=human) as client:
        login_id = (await client.call_tool("start_login", {"olares_id": BOB})).structured_content["login_id"]
        await page(human.urls[0], "password", BOB_PASSWORD)
        status, _ = await page(human.urls[0], "code", pyotp.TOTP(BOB_TOTP).now())
        done = (await client.call_tool("login_status", {"login_id": login_id, "wait_seconds": 20})).structured_content
    assert status == 200 and done["state"] == "succeeded" and done["profile_status"] == "logged-in"


async def test_wrong_password_fails_and_explains(connect: Callable[..., Client], paths: Paths) -> None:
    """A wrong password is asked for again on the same page (3 tries); the third ends the login."""
    human = Human()
    async with connect(human=human) as client:
        login_id = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content["login_id"]
        _, text = await page(human.urls[0], "password", "not-the-password")
        assert f"That password didn&#x27;t work for {ALICE}. 2 tries left." in text
        again = (await client.call_tool("login_status", {"login_id": login_id})).structured_content
        assert again["state"] == "awaiting_password"
        await page(human.urls[0], "password", "not-the-password")
        await page(human.urls[0], "password", "not-the-password")
        done = (await client.call_tool("login_status", {"login_id": login_id, "wait_seconds": 20})).structured_content
        why = (await client.call_tool("explain_auth_error", {"error_text": done["error"]})).structured_content
    assert done["state"] == "failed" and done["exit_code"] == 1
    assert done["error"].startswith("/api/firstfactor returned HTTP 401")
    assert "not-the-password" not in done["output"]
    assert (why["kind"], why["must_login"]) == ("bad_password", False)
    assert not paths.config_file.exists()


async def test_wrong_totp_fails(connect: Callable[..., Client]) -> None:
    human = Human()
    async with connect(human=human) as client:
        login_id = (await client.call_tool("start_login", {"olares_id": BOB})).structured_content["login_id"]
        await page(human.urls[0], "password", BOB_PASSWORD)
        wrong = "000000" if pyotp.TOTP(BOB_TOTP).now() != "000000" else "111111"
        for _ in range(2):  # our login program asks for the code again; the login waits for it
            again = await client.call_tool("login_submit_totp", {"login_id": login_id, "code": wrong})
            assert again.structured_content["state"] == "awaiting_totp"
        done = (await client.call_tool("login_submit_totp", {"login_id": login_id, "code": wrong})).structured_content
    assert done["state"] == "failed"
    assert "/api/secondfactor/totp returned HTTP 401" in done["error"]
    assert wrong not in done["output"], "the relayed code is kept out of the output"


async def test_cancel_ends_the_process_and_the_page(connect: Callable[..., Client]) -> None:
    human = Human()
    async with connect(human=human) as client:
        login_id = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content["login_id"]
        done = (await client.call_tool("login_cancel", {"login_id": login_id})).structured_content
        reused = await anyio.to_thread.run_sync(lambda: httpx.get(human.urls[0], timeout=10).status_code)
    assert done["state"] == "cancelled" and done["secret_entry_url"] is None
    assert reused == 410


async def test_sessions_expire(deps: Deps, era: str) -> None:
    clock = FakeClock()
    human = Human()
    server = build_server(replace(deps, login_clock=clock, login_timeout=300))
    async with Client(server, elicitation_callback=human, mode="legacy" if era == "legacy" else "auto") as c:
        login_id = (await c.call_tool("start_login", {"olares_id": ALICE})).structured_content["login_id"]
        clock.now += 301
        done = (await c.call_tool("login_status", {"login_id": login_id})).structured_content
        reused = await anyio.to_thread.run_sync(lambda: httpx.get(human.urls[0], timeout=10).status_code)
    assert done["state"] == "expired"
    assert reused == 410


@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_url_elicitation_declined_cancels_the_login(connect: Callable[..., Client], action: Action) -> None:
    async with connect(human=Human(action)) as client:
        done = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
    assert done["state"] == "cancelled"
    assert action in done["next_step"]


async def test_client_without_elicitation_gets_the_url_in_the_result(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        assert started["url_delivery"] == "result" and started["secret_entry_url"]
        await page(started["secret_entry_url"], "password", ALICE_PASSWORD)
        done = await client.call_tool("login_status", {"login_id": started["login_id"], "wait_seconds": 20})
    assert done.structured_content["state"] == "succeeded"


async def test_totp_relay_is_refused_at_the_password_prompt(
    connect: Callable[..., Client], olares_sim: Simulator
) -> None:
    async with connect() as client:
        login_id = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content["login_id"]
        refused = await client.call_tool("login_submit_totp", {"login_id": login_id, "code": "123456"})
        malformed = await client.call_tool("login_submit_totp", {"login_id": login_id, "code": "hunter2!"})
        state = (await client.call_tool("login_status", {"login_id": login_id})).structured_content["state"]
        await client.call_tool("login_cancel", {"login_id": login_id})
    assert refused.is_error and "waiting for the password" in block_text(refused.content[0])
    assert malformed.is_error and "hunter2!" not in block_text(malformed.content[0]).replace("'hunter2!'", "")
    assert state == "awaiting_password", "nothing was typed into the pty"
    assert olares_sim.hits("/api/firstfactor") == 0


async def test_already_authenticated_starts_no_process(connect: Callable[..., Client], vault: BlobVault) -> None:
    human = Human()
    async with connect(human=human) as client:
        login_id = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content["login_id"]
        await page(human.urls[0], "password", ALICE_PASSWORD)
        await client.call_tool("login_status", {"login_id": login_id, "wait_seconds": 20})
        again = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
    assert (again["state"], again["login_id"]) == ("already_authenticated", None)
    assert "already authenticated for" in again["error"]


async def test_at_most_a_few_logins_run_at_once(deps: Deps, era: str) -> None:
    server = build_server(replace(deps, max_logins=2))
    async with Client(server, mode="legacy" if era == "legacy" else "auto") as client:
        first = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        second = (await client.call_tool("start_login", {"olares_id": BOB})).structured_content
        third = await client.call_tool("start_login", {"olares_id": "carol@olares.com"})
        assert third.is_error
        for login in (first, second):
            await client.call_tool("login_cancel", {"login_id": login["login_id"]})


async def test_login_command_env_swaps_in_another_program(deps: Deps, era: str) -> None:
    """OLARES_AUTH_MCP_LOGIN_COMMAND replaces our CLI (for the real olares-cli); here a fake login program."""
    env = {
        **deps.env,
        "OLARES_AUTH_MCP_LOGIN_COMMAND": f"{sys.executable} {FAKE_LOGIN}",
        "FAKE_EXPECTED_INPUT": "fake-pw-1",
        "OLARES_AUTH_MCP_LOGIN_ENV": "FAKE_EXPECTED_INPUT",  # the login child's environment is allow-listed
    }
    server = build_server(deps.with_env(env))
    async with Client(server, mode="legacy" if era == "legacy" else "auto") as client:
        started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        assert started["state"] == "awaiting_password"
        await page(started["secret_entry_url"], "password", "fake-pw-1")
        done = await client.call_tool("login_status", {"login_id": started["login_id"], "wait_seconds": 20})
    assert done.structured_content["state"] == "succeeded"


async def test_unknown_login_ids_are_readable_errors(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        result = await client.call_tool("login_status", {"login_id": "nope"})
    assert result.is_error


def test_login_children_do_not_inherit_secret_variables(deps: Deps) -> None:
    """The server may hold a refresh token or bearer token in its env; the login child never gets them."""
    from olares_auth_mcp.server.app import assemble_server

    env = {
        **deps.env,
        "OLARES_REFRESH_TOKEN": "rt",
        "OLARES_AUTH_MCP_BEARER_TOKEN": "b",
        "MY_PASSWORD": "p",
        "PATH": "/bin",
    }
    deps = deps.with_env(env)
    child = assemble_server(deps).login.child_env()
    assert {"OLARES_REFRESH_TOKEN", "OLARES_AUTH_MCP_BEARER_TOKEN", "MY_PASSWORD"}.isdisjoint(child)
    assert child["PATH"] == "/bin" and child["OLARES_CLI_HOME"] == str(deps.paths.home)


async def test_login_status_sends_progress_while_waiting(connect: Callable[..., Client]) -> None:
    """Nobody types the password: the wait runs out, with progress notifications along the way."""
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async with connect() as client:
        login_id = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content["login_id"]
        status = await client.call_tool(
            "login_status",
            {"login_id": login_id, "wait_seconds": 2},
            progress_callback=on_progress,  # type: ignore[arg-type]  # called positionally; ProgressFnT also fixes the names
        )
        await client.call_tool("login_cancel", {"login_id": login_id})
    assert status.structured_content["state"] == "awaiting_password"
    assert progress and all(total == 2 for _, total, _ in progress)
    assert "awaiting_password" in (progress[-1][2] or "")


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def test_login_processes_never_outlive_the_server(deps: Deps, era: str) -> None:
    """Logins parked at their prompt are killed when the server shuts down."""
    marker = f"outlive-{os.urandom(4).hex()}@olares.com"
    async with Client(build_server(deps), mode="legacy" if era == "legacy" else "auto") as client:
        started = (await client.call_tool("start_login", {"olares_id": marker})).structured_content
        assert started["state"] == "awaiting_password"
        assert _processes_with(marker), "the login process is running while the server is"
    assert _processes_with(marker) == []


async def test_an_unknown_prompt_is_never_relayed_as_an_instruction(deps: Deps) -> None:
    """A login program stopped at a prompt the relay does not know: nothing is typed, no page is offered, and
    the model is told to cancel and send the human to the CLI, not to pass the program's text on."""
    env = {**deps.env, "OLARES_AUTH_MCP_LOGIN_COMMAND": f"{sys.executable} {FAKE_LOGIN} --mode=unknown"}
    async with Client(build_server(deps.with_env(env))) as client:
        started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        await client.call_tool("login_cancel", {"login_id": started["login_id"]})
    assert started["state"] == "awaiting_input"
    assert started["secret_entry_url"] is None
    assert "login_cancel" in started["next_step"] and "tell the human" in started["next_step"]
    assert "read `prompt`" not in started["next_step"]
