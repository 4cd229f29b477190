"""8 MCP server processes and 8 CLI processes hammer one home at once.

Each worker switches profiles, writes caches (list --refresh-version), refreshes stale tokens,
imports its own profile from an environment variable and removes it again (the MCP workers with
the human's confirmation). Afterwards: no profile or token lost, every file valid, and exactly
one /api/refresh per stale token (a second refresh of a rotated token would have invalidated it).
"""

from __future__ import annotations

import os
import subprocess
import sys

import anyio
import pytest
from mcp import Client

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.errors import TokenNotFound
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.sim import Simulator, SimUser
from tests.conftest import cli_env
from tests.server.test_stdio import server_params
from tests.tools.conftest import Human

STABLE = [f"s{n}@olares.com" for n in range(4)]
MCP_WORKERS, CLI_WORKERS, ROUNDS = 8, 8, 2


def rt_env(olares_sim: Simulator, olares_id: str) -> dict[str, str]:
    """Fresh refresh tokens for one worker's ephemeral profile, one per round, in RT_<n> variables
    (which the operator allows MCP imports to read)."""
    tokens = {f"RT_{n}": olares_sim.issue_tokens(olares_id)[1] for n in range(ROUNDS)}
    return {**tokens, "OLARES_AUTH_MCP_IMPORT_ENV": ",".join(tokens)}


async def mcp_worker(index: int, env: dict[str, str], imports: list[int]) -> None:
    me = f"m{index}@olares.com"
    async with Client(server_params(env), elicitation_callback=Human()) as client:
        for n in range(ROUNDS):
            stable = STABLE[(index + n) % len(STABLE)]
            assert not (await client.call_tool("profile_use", {"profile": stable})).is_error
            await client.call_tool("profile_list", {"refresh_version": True})
            gate = (await client.call_tool("auth_readiness", {"profile": stable, "live": True})).structured_content
            assert gate["decision"] == "proceed", gate
            imported = await client.call_tool("profile_import", {"olares_id": me, "refresh_token_env": f"RT_{n}"})
            assert not imported.is_error, imported.content
            imports.append(1)
            removed = await client.call_tool("profile_remove", {"profile": me})
            assert not removed.is_error, removed.content


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "olares_auth_mcp", "profile", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cli_worker(index: int, env: dict[str, str], imports: list[int]) -> None:
    me = f"c{index}@olares.com"
    for n in range(ROUNDS):
        stable = STABLE[(index + n) % len(STABLE)]
        assert cli(env, "use", stable).returncode == 0
        assert cli(env, "list", "--refresh-version").returncode == 0
        result = cli(env, "import", "--olares-id", me, "--refresh-token-env", f"RT_{n}", "--no-switch")
        assert result.returncode == 0, result.stderr
        imports.append(1)
        cli(env, "whoami", "--refresh")  # may race with a current profile being removed; exit code not asserted
        result = cli(env, "remove", me)
        assert result.returncode == 0, result.stderr


@pytest.mark.slow
@pytest.mark.anyio
async def test_sixteen_processes_lose_nothing_and_refresh_once(
    paths: Paths, vault: BlobVault, olares_sim: Simulator
) -> None:
    store = ConfigStore(paths)
    ephemeral = [f"m{i}@olares.com" for i in range(MCP_WORKERS)] + [f"c{i}@olares.com" for i in range(CLI_WORKERS)]
    for olares_id in STABLE + ephemeral:
        olares_sim.add_user(SimUser(olares_id, "pw-" + olares_id))
    for olares_id in STABLE:
        access, refresh = olares_sim.issue_tokens(olares_id)
        vault.set(TokenRecord(olares_id, access_token=access, refresh_token=refresh))
    store.mutate(lambda c: ([c.upsert(Profile(i)) for i in STABLE], c.set_current(STABLE[0])))
    initial = {olares_id: vault.get(olares_id).access_token for olares_id in STABLE}
    olares_sim.expire_access_tokens()  # every stored access token is now stale at the server
    olares_sim.reset_counters()

    base = cli_env(paths, OLARES_AUTH_MCP_SERVICE_URL=olares_sim.url)
    imports: list[int] = []
    with anyio.fail_after(300):
        async with anyio.create_task_group() as group:
            for i in range(MCP_WORKERS):
                group.start_soon(mcp_worker, i, {**base, **rt_env(olares_sim, f"m{i}@olares.com")}, imports)
            for i in range(CLI_WORKERS):
                env = {**base, **rt_env(olares_sim, f"c{i}@olares.com")}
                group.start_soon(anyio.to_thread.run_sync, cli_worker, i, env, imports)

    config = store.load()  # parses: the file was always written whole
    assert sorted(p.olares_id for p in config.profiles) == sorted(STABLE), "stable profiles all kept, others removed"
    refreshed = 0
    for olares_id in STABLE:
        record = vault.get(olares_id)  # decrypts: every token file is whole
        assert record.invalidated_at == 0, f"{olares_id} was refreshed twice with a rotated token"
        refreshed += record.access_token != initial[olares_id]
    for olares_id in ephemeral:
        with pytest.raises(TokenNotFound):
            vault.get(olares_id)
    assert len(imports) == (MCP_WORKERS + CLI_WORKERS) * ROUNDS
    assert olares_sim.hits("/api/refresh") == len(imports) + refreshed, "one refresh per stale token, one per import"
    assert refreshed >= 1
    leftovers = [f.name for d in (paths.home, paths.keychain_dir) for f in d.iterdir() if ".tmp" in f.name]
    assert leftovers == []
    assert os.stat(paths.config_file).st_mode & 0o777 == 0o600
