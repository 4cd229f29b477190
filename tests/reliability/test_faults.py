"""Faults from the simulator's knobs and from the OS: each outcome classified right, nothing lost, no loops."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.catalogue import classify
from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.errors import RefreshFailed, TokenInvalidated
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.refresh import Refresher
from olares_auth_mcp.auth.vault import file_vault
from olares_auth_mcp.auth.wire import default_http_factory
from olares_auth_mcp.sim import Simulator
from tests.conftest import ALICE


def test_latency_beyond_the_timeout_is_transient(
    account: Account, olares_sim: Simulator, stale: str, paths: Paths
) -> None:
    olares_sim.inject("/api/refresh", delay=2.0, times=1)
    refresher = Refresher(paths, account.vault, default_http_factory, time.time, request_timeout=0.3)
    with pytest.raises(RefreshFailed) as info:
        refresher.refresh(ALICE, olares_sim.url, stale)
    diagnosis = classify(str(info.value))
    assert info.value.transient and diagnosis.entry.transient and not diagnosis.entry.must_login
    assert account.vault.get(ALICE).invalidated_at == 0
    assert refresher.refresh(ALICE, olares_sim.url, stale) != stale, "the grant still works afterwards"


def test_grant_revoked_mid_storm(account: Account, olares_sim: Simulator, stale: str) -> None:
    """The one refresh in flight meets a revoked grant: everyone gets the typed invalidated error, one hit."""
    olares_sim.inject("/api/refresh", delay=0.3, times=1)
    barrier = threading.Barrier(21)
    outcomes: list[object] = []

    def worker() -> None:
        barrier.wait(10)
        try:
            outcomes.append(account.refresher.refresh(ALICE, olares_sim.url, stale))
        except Exception as err:
            outcomes.append(err)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    barrier.wait(10)
    olares_sim.revoke_user(ALICE)  # lands while the refresh sits in the injected delay
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 20 and all(isinstance(o, TokenInvalidated) for o in outcomes)
    assert olares_sim.hits("/api/refresh") == 1
    assert all(classify(str(o)).entry.must_login for o in outcomes)
    assert account.vault.get(ALICE).invalidated_at > 0


def test_five_xx_storm_makes_one_call_per_caller_and_never_loops(
    account: Account, olares_sim: Simulator, stale: str
) -> None:
    """A failing refresh is not retried inside the refresher: each caller's attempt is one request."""
    olares_sim.inject("/api/refresh", status=503, body="{}")
    for _ in range(3):
        with pytest.raises(RefreshFailed):
            account.refresher.refresh(ALICE, olares_sim.url, stale)
    assert olares_sim.hits("/api/refresh") == 3
    assert classify("/api/refresh returned HTTP 503: {}").entry.kind == "server"


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from olares_auth_mcp.auth.config import ConfigStore, Profile
    from olares_auth_mcp.auth.paths import Paths
    from olares_auth_mcp.auth.tokens import TokenRecord
    from olares_auth_mcp.auth.vault import file_vault
    home, data = Path(sys.argv[1]), Path(sys.argv[2])
    paths = Paths(home=home, keychain_dir=data, platform="linux")
    store, vault = ConfigStore(paths), file_vault(paths)
    n = 0
    while True:
        n += 1
        # token first, then config: the order persist_grant uses, so a profile never lacks its token
        vault.set(TokenRecord(f"u{n % 7}@olares.com", access_token=f"at-{n}", refresh_token=f"rt-{n}"))
        store.mutate(lambda c: c.upsert(Profile(f"u{n % 7}@olares.com", backend_version=f"1.{n}.0")))
        print(n, flush=True)
    """
)


def test_kill_9_during_writes_leaves_a_readable_store(paths: Paths) -> None:
    """SIGKILL at arbitrary points of a write loop: config.json and every token stay whole (old or new)."""
    for round_ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(paths.home), str(paths.keychain_dir)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        for _ in range(5 + round_ * 7):  # kill after a varying number of completed writes
            assert proc.stdout.readline(), "writer died"
        proc.kill()
        proc.wait(10)
        config = ConfigStore(paths).load()
        vault = file_vault(paths)
        for profile in config.profiles:
            record = vault.get(profile.olares_id)
            assert record.access_token.startswith("at-") and record.refresh_token.startswith("rt-")
        assert config.profiles, "earlier writes survived"
