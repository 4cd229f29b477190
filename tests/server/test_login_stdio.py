"""The login relay end to end, as a client would drive it: the real server over stdio, the real CLI in a pty,
the simulator over HTTP, in both protocol eras. Ends with the password/TOTP canary."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
import pyotp
import pytest
from mcp import Client

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.sim import Simulator, SimUser
from tests.conftest import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD, BOB_TOTP, cli_env
from tests.server.test_stdio import server_params
from tests.tools.conftest import Human, type_into_page

pytestmark = pytest.mark.anyio


def options(era: str, human: Human | None) -> dict[str, Any]:
    out: dict[str, Any] = {"mode": "legacy"} if era == "legacy" else {}
    if human is not None:
        out["elicitation_callback"] = human
    return out


async def page(url: str, field: str, value: str) -> tuple[int, str]:
    return await anyio.to_thread.run_sync(type_into_page, url, field, value)


@pytest.mark.parametrize("era", ["modern", "legacy"])
async def test_logins_over_stdio(paths: Paths, olares_sim: Simulator, era: str) -> None:
    """Password-only success, wrong password, cancel and a TOTP login, in one server process per era."""
    human = Human()
    env = cli_env(paths, OLARES_AUTH_MCP_SERVICE_URL=olares_sim.url)
    async with Client(server_params(env), **options(era, human)) as client:
        wrong = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        for tries in range(3):  # asked again on the same page twice; the third wrong password ends it
            await page(human.urls[-1], "password", "wrong-password")
            status = await client.call_tool("login_status", {"login_id": wrong["login_id"], "wait_seconds": 20})
            assert status.structured_content["state"] == ("failed" if tries == 2 else "awaiting_password")

        cancelled = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        cancelled = (await client.call_tool("login_cancel", {"login_id": cancelled["login_id"]})).structured_content
        assert cancelled["state"] == "cancelled"

        alice = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        assert alice["url_delivery"] == "elicitation"
        await page(human.urls[-1], "password", ALICE_PASSWORD)
        alice = await client.call_tool("login_status", {"login_id": alice["login_id"], "wait_seconds": 20})
        assert alice.structured_content["state"] == "succeeded"

        bob = (await client.call_tool("start_login", {"olares_id": BOB, "no_switch": True})).structured_content
        await page(human.urls[-1], "password", BOB_PASSWORD)
        bad = await client.call_tool("login_submit_totp", {"login_id": bob["login_id"], "code": "00000000"})
        assert bad.structured_content["state"] == "awaiting_totp"  # asked again; the next login supersedes it
        bob = (await client.call_tool("start_login", {"olares_id": BOB, "no_switch": True})).structured_content
        await page(human.urls[-1], "password", BOB_PASSWORD)
        code = pyotp.TOTP(BOB_TOTP).now()
        bob = await client.call_tool("login_submit_totp", {"login_id": bob["login_id"], "code": code})
        assert bob.structured_content["state"] == "succeeded"

        listing = (await client.call_tool("profile_list", {})).structured_content
    assert {row["olares_id"]: row["status"] for row in listing["profiles"]} == {ALICE: "logged-in", BOB: "logged-in"}
    assert listing["current"] == ALICE, "--no-switch kept alice current"


@pytest.mark.parametrize("era", ["modern", "legacy"])
async def test_declined_url_and_expiry_over_stdio(paths: Paths, olares_sim: Simulator, era: str) -> None:
    # long enough for the login child to reach its prompt on a loaded machine (1 s was not), short enough to wait out
    env = cli_env(paths, OLARES_AUTH_MCP_SERVICE_URL=olares_sim.url, OLARES_AUTH_MCP_LOGIN_TIMEOUT="6")
    async with Client(server_params(env), **options(era, Human("decline"))) as client:
        declined = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
    assert declined["state"] == "cancelled"
    async with Client(server_params(env), **options(era, None)) as client:
        started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        assert started["url_delivery"] == "result", "no elicitation: the URL comes back for the agent to show"
        expired = await client.call_tool("login_status", {"login_id": started["login_id"], "wait_seconds": 30})
    assert expired.structured_content["state"] == "expired"


def all_command_lines() -> list[str]:
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
    return lines


async def test_password_and_totp_seed_never_leak(paths: Paths, olares_sim: Simulator, tmp_path: Path) -> None:
    """A unique password and TOTP seed never appear in any JSON-RPC message, log, audit line or argv."""
    password = "canary-pw-" + os.urandom(8).hex()
    seed = pyotp.random_base32()
    olares_sim.add_user(SimUser("carol@olares.com", password, totp_secret=seed))
    human = Human()
    log = tmp_path / "wire"
    env = cli_env(paths, OLARES_AUTH_MCP_SERVICE_URL=olares_sim.url)
    async with Client(server_params(env, log), elicitation_callback=human) as client:
        started = (await client.call_tool("start_login", {"olares_id": "carol@olares.com"})).structured_content
        await page(human.urls[0], "password", password)
        parked = (await client.call_tool("login_status", {"login_id": started["login_id"]})).structured_content
        assert parked["state"] == "awaiting_totp"
        argv = all_command_lines()  # while the login child is alive and has read the password
        code = pyotp.TOTP(seed).now()
        done = await client.call_tool("login_submit_totp", {"login_id": started["login_id"], "code": code})
        assert done.structured_content["state"] == "succeeded"
        await client.call_tool("profile_list", {})
    assert not any(password in line or seed in line for line in argv)
    wire = Path(f"{log}.out").read_text(errors="replace")
    stderr = Path(f"{log}.err").read_text(errors="replace")
    sent = Path(f"{log}.in").read_text(errors="replace")
    audit = paths.audit_log.read_text()
    for secret in (password, seed):
        assert secret not in wire and secret not in stderr and secret not in sent and secret not in audit
    assert code not in audit, "the relayed TOTP code is not logged"
    assert code not in wire, "nor echoed back"
