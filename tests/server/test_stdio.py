"""The real server as MCP clients launch it: a subprocess over stdio, driven by the SDK client.

Includes the canary test: known token values are seeded, every tool and error path is called,
and the raw JSON-RPC bytes in both directions (plus stderr and the audit log) must not contain them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.sim import Simulator
from tests.conftest import ALICE, cli_env
from tests.tools.conftest import (
    CANARY_ACCESS,
    CANARY_REFRESH,
    DEAD_REFRESH,
    EXPIRED_REFRESH,
    STATUSES,
    seed_every_status,
)
from tests.tools.test_profile_tools import TOOLS

pytestmark = pytest.mark.anyio
TEE = Path(__file__).with_name("tee.py")


def server_params(env: dict[str, str], log: Path | None = None) -> StdioServerParameters:
    command = [sys.executable, "-m", "olares_auth_mcp"]
    if log is not None:
        command = [sys.executable, str(TEE), str(log), *command]
    return StdioServerParameters(command=command[0], args=command[1:], env=env)


async def test_stdio_server_lists_tools_and_answers_the_gate(paths: Paths, vault: BlobVault) -> None:
    seed_every_status(paths, vault)
    async with Client(server_params(cli_env(paths))) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        listing = (await client.call_tool("profile_list", {})).structured_content
        gates = {
            olares_id: (await client.call_tool("auth_readiness", {"profile": olares_id})).structured_content
            for olares_id in STATUSES
        }
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.output_schema and tool.annotations
        assert tool.annotations.read_only_hint is not None and tool.annotations.open_world_hint is not None
    assert {row["olares_id"]: row["status"] for row in listing["profiles"]} == STATUSES
    assert {k: v["decision"] for k, v in gates.items()} == {
        "live@olares.com": "proceed",
        "stale@olares.com": "proceed",
        "dead@olares.com": "stop",
        "new@olares.com": "stop",
        "odd@olares.com": "stop",
        "broken@olares.com": "stop",
        "app@olares.com": "stop",
    }


async def test_canary_tokens_never_cross_the_wire(
    paths: Paths, vault: BlobVault, olares_sim: Simulator, tmp_path: Path
) -> None:
    seed_every_status(paths, vault)
    access, refresh = olares_sim.issue_tokens(ALICE)
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile(ALICE)))
    vault.set(TokenRecord(ALICE, access_token=access, refresh_token=refresh, session_id="sess-CANARY-42424242"))
    olares_sim.expire_access_tokens()
    log = tmp_path / "wire.log"
    env = cli_env(paths, OLARES_AUTH_MCP_SERVICE_URL=olares_sim.url, OLARES_REFRESH_TOKEN=DEAD_REFRESH)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("profile_list", {}),
        ("profile_list", {"refresh_version": True}),
        ("auth_readiness", {}),
        ("auth_readiness", {"profile": ALICE, "live": True}),
        ("auth_readiness", {"profile": "dead@olares.com", "live": True}),
        ("profile_use", {"profile": ALICE}),
        ("whoami", {"refresh": True}),
        ("whoami", {}),
        ("profile_use", {"profile": CANARY_ACCESS}),
        ("profile_use", {"profile": refresh}),
        ("profile_import", {"olares_id": "new@olares.com"}),
        ("profile_import", {"olares_id": CANARY_REFRESH}),
        ("profile_remove", {"profile": "stale@olares.com"}),
        ("explain_auth_error", {"error_text": f"Error: leaked {EXPIRED_REFRESH}"}),
        ("explain_auth_error", {"error_text": "Error: token not found"}),
        ("check_app_operation", {"state": "running", "operation": "stop"}),
    ]
    async with Client(server_params(env, log)) as client:
        for tool, arguments in calls:
            await client.call_tool(tool, arguments)
        for resource in (await client.list_resources()).resources:
            await client.read_resource(str(resource.uri))
    final = vault.get(ALICE)
    assert final.access_token != access, "the live gate refreshed through the transport"
    secrets = {
        CANARY_ACCESS,
        CANARY_REFRESH,
        EXPIRED_REFRESH,
        DEAD_REFRESH,
        access,
        refresh,
        final.access_token,
        final.refresh_token,
        "sess-CANARY-42424242",
    }
    sent = Path(f"{log}.in").read_text(errors="replace")
    wire = Path(f"{log}.out").read_text(errors="replace")
    stderr = Path(f"{log}.err").read_text(errors="replace")
    audit = paths.audit_log.read_text()
    assert CANARY_ACCESS in sent, "the proxy saw the requests (including the refused secrets we sent)"
    assert '"jsonrpc"' in wire
    for secret in secrets:
        assert secret not in wire, "a token crossed the JSON-RPC wire from the server"
        assert secret not in stderr, "a token reached the server's log output"
        assert secret not in audit, "a token reached the audit log"
    assert len(audit.splitlines()) == len(calls)
    for line in audit.splitlines():
        json.loads(line)
