"""One server, one Guard: the tools, the argument screen and the login pages share it (one secret cache);
the login child finds the server's own files; the CLI talks through the runtime's injected HTTP factory."""

from __future__ import annotations

import httpx
import pytest

from olares_auth_mcp.auth.config import Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault, memory_vault
from olares_auth_mcp.auth.wire import default_http_factory
from olares_auth_mcp.cli import run_profile
from olares_auth_mcp.server.app import assemble_server
from olares_auth_mcp.sim import Simulator
from olares_auth_mcp.tools._guard import ArgumentScreen
from olares_auth_mcp.tools.deps import Deps
from tests.conftest import ALICE, seed_grant

CANARY = "canary-refresh-token-0123456789abcdef"


def test_the_screen_the_tools_and_the_login_pages_share_the_servers_one_guard(paths: Paths, vault: BlobVault) -> None:
    runtime = Runtime.build(paths, vault)
    runtime.store.mutate(lambda c: c.upsert(Profile(ALICE)))
    vault.set(TokenRecord(ALICE, access_token="eyJ.access.x", refresh_token=CANARY))
    server = assemble_server(Deps(runtime))
    screens = [m for m in server.mcp.middleware if isinstance(m, ArgumentScreen)]
    assert [screen.guard for screen in screens] == [server.guard]
    redact = server.login.manager._redact  # what every login's output goes through before anyone sees it
    assert getattr(redact, "__self__", None) is server.guard.redactor
    assert CANARY not in redact(f"the child printed {CANARY}")


def test_each_server_has_its_own_guard(paths: Paths, vault: BlobVault) -> None:
    deps = Deps(Runtime.build(paths, vault))
    assert assemble_server(deps).guard is not assemble_server(deps).guard


@pytest.mark.parametrize(
    "env",
    [
        {"HOME": "/h", "OLARES_CLI_DATA_DIR": "/d/./x/.."},
        {"HOME": "/h", "OLARES_CLI_CACHE_DIR": "/c"},
        {"HOME": "/h", "OLARES_CLI_HOME": "/elsewhere"},
        {"TMPDIR": "/t"},
    ],
)
def test_the_login_child_resolves_the_servers_own_files(env: dict[str, str]) -> None:
    """The data dir comes from ``Paths``: the child's environment resolves to the same home and blob directory."""
    paths = Paths.resolve(env, platform="linux")
    runtime = Runtime.build(paths, memory_vault(), env=env)
    child = assemble_server(Deps(runtime)).login.child_env()
    assert child["OLARES_CLI_DATA_DIR"] == str(paths.data_dir)
    again = Paths.resolve(child, platform="linux")
    assert (again.home, again.keychain_dir) == (paths.home, paths.keychain_dir)


def test_macos_has_no_data_dir_to_pass_on() -> None:
    paths = Paths.resolve({"HOME": "/Users/a"}, platform="darwin")
    assert paths.data_dir is None
    child = assemble_server(Deps(Runtime.build(paths, memory_vault(), env={"HOME": "/Users/a"}))).login.child_env()
    assert "OLARES_CLI_DATA_DIR" not in child


def test_the_cli_talks_through_the_runtimes_http_factory(
    paths: Paths, vault: BlobVault, olares_sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[bool] = []

    def http(*, insecure: bool = False, timeout: float = 30.0, auth: httpx.Auth | None = None) -> httpx.Client:
        asked.append(insecure)
        return default_http_factory(insecure=insecure, timeout=timeout, auth=auth)

    runtime = Runtime.build(paths, vault, http=http, env={"OLARES_AUTH_MCP_SERVICE_URL": olares_sim.url})
    access, refresh = olares_sim.issue_tokens(ALICE)
    seed_grant(runtime.account, ALICE, access, refresh)
    assert run_profile(["whoami", "--refresh"], runtime) == 0
    assert ALICE in capsys.readouterr().out
    assert asked  # the command's requests went through the injected factory, not a hard-wired one
