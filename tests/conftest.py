"""Suite-wide fixtures: a clean environment and an isolated olares-cli home per test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import BlobVault, file_vault

if TYPE_CHECKING:  # imported where used: a test that needs no simulator or server does not load them
    from olares_auth_mcp.auth.account import Account
    from olares_auth_mcp.sim import Simulator
    from olares_auth_mcp.tools.deps import Deps

_ISOLATED = (
    "OLARES_CLI_HOME",
    "OLARES_CLI_CACHE_DIR",
    "OLARES_CLI_DATA_DIR",
    "OLARES_CLI_CREDENTIALS_DIR",
    "OLARES_AUTH_MCP_SERVICE_URL",
    "OLARES_AUTH_MCP_LOGIN_COMMAND",
    "OLARES_AUTH_MCP_LOGIN_ENV",
    "OLARES_REFRESH_TOKEN",
    "OLARES_AUTH_MCP_ELICITATION_TIMEOUT",
    # no test ever opens the real user's browser: a test that wants one sets a fake $BROWSER and a DISPLAY
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "BROWSER",
    "OLARES_AUTH_MCP_OPEN_BROWSER",
)


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keeps os.environ free of the real user's olares-cli state for every test."""
    for name in _ISOLATED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(home=tmp_path / "home", keychain_dir=tmp_path / "data" / "olares-cli", platform="linux")


@pytest.fixture
def store(paths: Paths) -> ConfigStore:
    return ConfigStore(paths)


@pytest.fixture
def vault(paths: Paths) -> BlobVault:
    return file_vault(paths)


def cli_env(paths: Paths, **extra: str) -> dict[str, str]:
    """An environment that points olares-cli (and us) at ``paths``."""
    env = dict(os.environ)
    env.update(OLARES_CLI_HOME=str(paths.home), OLARES_CLI_DATA_DIR=str(paths.keychain_dir.parent))
    env.update(extra)
    return env


def run_cli(paths: Paths, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``olares-auth-mcp ARGS`` in a real process on ``paths`` (bounded), output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "olares_auth_mcp", *args],
        env=cli_env(paths, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


ALICE = "alice@olares.com"
ALICE_PASSWORD = "P@ssw0rd-alice-4c1d"
BOB = "bob@olares.com"
BOB_PASSWORD = "b0b-secret-9e7f"
BOB_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def olares_sim() -> Iterator[Simulator]:
    """A running simulator with a password-only account (alice) and a TOTP account (bob)."""
    from olares_auth_mcp.sim import Simulator, SimUser

    sim = Simulator(
        [SimUser(ALICE, ALICE_PASSWORD), SimUser(BOB, BOB_PASSWORD, totp_secret=BOB_TOTP, owner_role="normal")]
    )
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def account(paths: Paths, vault: BlobVault, olares_sim: Simulator) -> Account:
    """An ``Account`` whose service URLs point at the simulator."""
    import time

    from olares_auth_mcp.auth.account import Account
    from olares_auth_mcp.auth.wire import default_http_factory

    return Account(paths, vault, default_http_factory, time.time, {"OLARES_AUTH_MCP_SERVICE_URL": olares_sim.url})


def seed_grant(account: Account, olares_id: str, access: str, refresh: str, **profile_fields: Any) -> None:
    """Store a profile and its grant the way a login would, without the HTTP step."""
    from olares_auth_mcp.auth.config import Profile
    from olares_auth_mcp.auth.tokens import TokenRecord

    account.store.mutate(lambda c: (c.upsert(Profile(olares_id, **profile_fields)), c.set_current(olares_id)))
    account.vault.set(TokenRecord(olares_id, access_token=access, refresh_token=refresh, granted_at=1))


@pytest.fixture
def deps(paths: Paths, vault: BlobVault, olares_sim: Simulator) -> Deps:
    """Server dependencies on the isolated home, with service URLs pointing at the simulator."""
    from olares_auth_mcp.auth.runtime import Runtime
    from olares_auth_mcp.tools.deps import Deps

    return Deps(
        Runtime.build(paths, vault, env={"OLARES_AUTH_MCP_SERVICE_URL": olares_sim.url}, audit_path=paths.audit_log)
    )


@pytest.fixture
def stale(account: Account, olares_sim: Simulator) -> str:
    """Alice logged in; the server then treats her access token as expired. Returns that token."""
    access, refresh = olares_sim.issue_tokens(ALICE)
    seed_grant(account, ALICE, access, refresh)
    olares_sim.expire_access_tokens()
    olares_sim.reset_counters()
    return access
