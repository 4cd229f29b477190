"""Memory soak: the stdio server's RSS stays flat over a few hundred refreshing calls against the simulator.

Each ``whoami(refresh=true)`` makes an HTTP client, and every tenth call the simulator expires the
access token, so the transport also refreshes (another client) and retries. Before the shared TLS
context every client parsed the CA bundle into a new SSL context and RSS grew ~0.2 MiB a call.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.sim import Simulator
from tests.conftest import ALICE, cli_env

pytestmark = pytest.mark.anyio

WARM_UP = 40
SOAK = 200
FLAT_KIB = 4 * 1024


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(pid)


def _server_pid() -> int:
    """Our stdio server: the child of this process running ``-m olares_auth_mcp``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"olares_auth_mcp" in cmdline:
            return int(entry.name)
    raise LookupError("server process")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmRSS from /proc")
async def test_rss_stays_flat_over_refreshing_calls(paths: Paths, vault: BlobVault, olares_sim: Simulator) -> None:
    access, refresh = olares_sim.issue_tokens(ALICE)
    ConfigStore(paths).mutate(lambda c: (c.upsert(Profile(ALICE)), c.set_current(ALICE)))
    vault.set(TokenRecord(ALICE, access_token=access, refresh_token=refresh))
    env = cli_env(paths, OLARES_AUTH_MCP_SERVICE_URL=olares_sim.url)
    params = StdioServerParameters(command=sys.executable, args=["-m", "olares_auth_mcp"], env=env)

    async def calls(client: Client, count: int) -> None:
        for n in range(count):
            if n % 10 == 0:
                olares_sim.expire_access_tokens()  # this call refreshes through the transport too
            result = await client.call_tool("whoami", {"refresh": True})
            assert not result.is_error, result.content

    with anyio.fail_after(240):
        async with Client(params) as client:
            pid = _server_pid()
            await calls(client, WARM_UP)
            before = _rss_kib(pid)
            await calls(client, SOAK)
            after = _rss_kib(pid)
    refreshes = olares_sim.hits("/api/refresh")
    assert refreshes >= (WARM_UP + SOAK) // 10  # the soak really refreshed
    assert after - before <= FLAT_KIB, f"RSS grew {(after - before) / 1024:.1f} MiB over {SOAK} refreshing calls"
