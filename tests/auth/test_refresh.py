"""The refresher and the refreshing transport against the simulator (beclab/Olares `cli/pkg/auth/refresh.go`, `refresh_test.go`).

Unit tests that drive ``OlaresAuth``'s generator by hand live in tests/auth/test_refresh_auth.py.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.errors import (
    AccessRejected,
    LockTimeout,
    NotLoggedIn,
    RefreshFailed,
    TokenInvalidated,
)
from olares_auth_mcp.auth.locks import flock_exclusive
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.refresh import Refresher
from olares_auth_mcp.auth.wire import default_http_factory
from olares_auth_mcp.sim import Simulator
from tests.conftest import ALICE, seed_grant


def _refresh(account: Account, stale: str) -> str:
    creds = account.credentials()
    return account.refresher.refresh(ALICE, creds.endpoints.auth, stale)


def test_happy_path_stores_the_rotated_pair(account: Account, olares_sim: Simulator, stale: str) -> None:
    before = account.vault.get(ALICE)
    token = _refresh(account, stale)
    after = account.vault.get(ALICE)
    assert olares_sim.hits("/api/refresh") == 1
    assert token == after.access_token != stale
    assert after.refresh_token != before.refresh_token
    assert after.granted_at > before.granted_at and after.invalidated_at == 0


def test_fifty_threads_make_one_refresh(account: Account, olares_sim: Simulator, stale: str) -> None:
    """refresher_test.go: 50 goroutines -> exactly 1 server hit, all get the same token."""
    olares_sim.inject("/api/refresh", delay=0.2, times=1)  # hold the first refresh open while the others pile up
    barrier = threading.Barrier(50)
    results: list[str] = []

    def worker() -> None:
        barrier.wait(10)
        results.append(_refresh(account, stale))

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert olares_sim.hits("/api/refresh") == 1
    assert len(results) == 50 and len(set(results)) == 1


PROCESS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from olares_auth_mcp.auth.paths import Paths
    from olares_auth_mcp.auth.refresh import Refresher
    from olares_auth_mcp.auth.vault import file_vault
    from olares_auth_mcp.auth.wire import default_http_factory
    home, data, auth_url, olares_id, stale = sys.argv[1:6]
    paths = Paths(home=Path(home), keychain_dir=Path(data), platform="linux")
    refresher = Refresher(paths, file_vault(paths), default_http_factory, time.time)
    sys.stdin.readline()  # start together
    print(refresher.refresh(olares_id, auth_url, stale), flush=True)
    """
)


def test_processes_sharing_a_home_make_one_refresh(
    account: Account, olares_sim: Simulator, stale: str, paths: Paths
) -> None:
    """refresher_test.go: 4+ processes sharing OLARES_CLI_HOME -> 1 hit and the same final token."""
    olares_sim.inject("/api/refresh", delay=0.3, times=1)
    argv = [sys.executable, "-c", PROCESS, str(paths.home), str(paths.keychain_dir), olares_sim.url, ALICE, stale]
    procs = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(6)]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=60)[0].strip() for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 6
    assert olares_sim.hits("/api/refresh") == 1
    assert len(set(outputs)) == 1
    assert account.vault.get(ALICE).access_token == outputs[0]


def test_already_fresh_makes_no_call(account: Account, olares_sim: Simulator, stale: str) -> None:
    token = _refresh(account, stale)
    assert _refresh(account, stale) == token
    assert olares_sim.hits("/api/refresh") == 1


def test_rejected_grant_is_stamped(account: Account, olares_sim: Simulator, stale: str) -> None:
    olares_sim.revoke_user(ALICE)
    with pytest.raises(TokenInvalidated):
        _refresh(account, stale)
    record = account.vault.get(ALICE)
    assert record.invalidated_at > 0 and record.access_token == stale
    with pytest.raises(TokenInvalidated):  # fails fast afterwards, no network call
        _refresh(account, stale)
    assert olares_sim.hits("/api/refresh") == 1


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (500, '{"status":"KO","message":"boom"}', "application/json"),
        (502, "<html>bad gateway</html>", "text/html"),
        (459, "<html>edge says no</html>", "text/html"),
        (403, "RBAC: access denied", "text/plain"),
        (401, "", "application/json"),
        (200, "not json at all", "application/json"),
        (200, '{"status":"OK","data":{}}', "application/json"),
    ],
)
def test_transient_failures_never_invalidate(
    account: Account, olares_sim: Simulator, stale: str, status: int, body: str, content_type: str
) -> None:
    olares_sim.inject("/api/refresh", status=status, body=body, content_type=content_type)
    with pytest.raises(RefreshFailed) as info:
        _refresh(account, stale)
    assert info.value.transient
    assert "\n" not in str(info.value)
    assert account.vault.get(ALICE).invalidated_at == 0


def test_dropped_connection_is_transient(account: Account, olares_sim: Simulator, stale: str) -> None:
    olares_sim.inject("/api/refresh", drop=True)
    with pytest.raises(RefreshFailed, match=r"^/api/refresh: Post "):
        _refresh(account, stale)
    assert account.vault.get(ALICE).invalidated_at == 0


def test_server_down_is_transient(account: Account, olares_sim: Simulator, stale: str) -> None:
    olares_sim.stop()
    with pytest.raises(RefreshFailed) as info:
        _refresh(account, stale)
    assert info.value.transient


def test_no_refresh_token_is_not_logged_in(account: Account, olares_sim: Simulator) -> None:
    access, _ = olares_sim.issue_tokens(ALICE)
    seed_grant(account, ALICE, access, "")
    with pytest.raises(NotLoggedIn):
        _refresh(account, access)
    assert olares_sim.hits("/api/refresh") == 0


def test_lock_held_past_timeout(account: Account, olares_sim: Simulator, stale: str, paths: Paths) -> None:
    refresher = Refresher(paths, account.vault, default_http_factory, time.time, lock_timeout=0.3)
    with flock_exclusive(paths.refresh_lock(ALICE), 1, lambda: AssertionError("lock")):
        started = time.monotonic()
        with pytest.raises(LockTimeout, match="acquire refresh lock for alice@olares.com: context deadline exceeded"):
            refresher.refresh(ALICE, olares_sim.url, stale)
        assert time.monotonic() - started < 5
    assert olares_sim.hits("/api/refresh") == 0


def test_lock_waiters_wake_when_the_holder_releases(paths: Paths) -> None:
    """A waiter blocks in flock() and is woken by the kernel: far below olares-cli's 100 ms polling."""
    lock = paths.refresh_lock(ALICE)
    latencies = []
    for _ in range(5):
        held, acquired = threading.Event(), threading.Event()
        release = threading.Event()
        stamps: dict[str, float] = {}

        def holder() -> None:
            with flock_exclusive(lock, 5, lambda: AssertionError("holder")):
                held.set()
                release.wait(5)
                stamps["released"] = time.perf_counter()

        def waiter() -> None:
            with flock_exclusive(lock, 5, lambda: AssertionError("waiter")):
                stamps["acquired"] = time.perf_counter()
                acquired.set()

        t1 = threading.Thread(target=holder)
        t1.start()
        assert held.wait(5)
        t2 = threading.Thread(target=waiter)
        t2.start()
        release.set()
        assert acquired.wait(5)
        t1.join(5)
        t2.join(5)
        latencies.append(stamps["acquired"] - stamps["released"])
    assert statistics.median(latencies) < 0.02


@pytest.mark.parametrize("edge_status", [459, 401])
def test_transport_refreshes_once_and_retries(
    account: Account, olares_sim: Simulator, stale: str, edge_status: int
) -> None:
    """An expired token: user-info answers the edge's 459 (or the 401 knob), one refresh, one retry that succeeds."""
    olares_sim.set_edge_status(edge_status)
    result = account.whoami(refresh=True)
    assert result.role == "owner" and result.source == "server"
    assert olares_sim.hits("/api/refresh") == 1
    assert olares_sim.hits("/api/backend/v1/user-info") == 2


def test_auth_status_surviving_the_retry_is_reported_once(account: Account, olares_sim: Simulator, stale: str) -> None:
    olares_sim.inject("/api/backend/v1/user-info", status=401, body='{"code":401,"message":"nope"}')
    with pytest.raises(AccessRejected, match=r"^server rejected the access token \(HTTP 401: "):
        account.whoami(refresh=True)
    assert olares_sim.hits("/api/backend/v1/user-info") == 2, "exactly one retry, no loop"
    assert olares_sim.hits("/api/refresh") == 1


def test_a_finished_refresh_is_not_replayed_to_later_callers(
    account: Account, olares_sim: Simulator, stale: str
) -> None:
    """Single-flight shares an outcome only with callers that arrived while it ran: a later caller re-reads
    the store, so it sees that another process invalidated the grant meanwhile."""
    _refresh(account, stale)
    account.vault.mark_invalidated(ALICE, 1_800_000_000_000)  # another process saw the grant die
    with pytest.raises(TokenInvalidated):
        _refresh(account, stale)
    assert olares_sim.hits("/api/refresh") == 1


def _waiting_on(lock: Path) -> bool:
    """Whether a thread of this process is blocked on ``lock`` (its waiter thread runs and holds an fd of it
    besides the holder's)."""
    waiter = any(t.name == f"flock-wait:{lock.name}" and t.is_alive() for t in threading.enumerate())
    fds = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds += os.readlink(f"/proc/self/fd/{fd}") == os.path.realpath(lock)
        except OSError:
            continue
    return waiter and fds >= 2


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="watches the waiter through /proc/self/fd")
def test_threads_that_joined_a_failing_refresh_wake_at_once(
    account: Account, olares_sim: Simulator, stale: str, paths: Paths
) -> None:
    """When the refreshing thread fails with an OS error, the threads that joined its flight get an error
    right away instead of waiting out the lock and request timeouts (about 50 s)."""
    from olares_auth_mcp.auth.errors import AuthError

    refresher = account.refresher
    lock = paths.refresh_lock(ALICE)
    results: list[object] = []

    def worker() -> None:
        try:
            results.append(refresher.refresh(ALICE, olares_sim.url, stale))
        except Exception as err:
            results.append(err)

    with flock_exclusive(lock, 5, lambda: AssertionError("holder")):
        leader = threading.Thread(target=worker)
        leader.start()
        deadline = time.monotonic() + 5
        while ALICE not in refresher._flights:  # bounded: the leader registers its flight at once
            assert time.monotonic() < deadline
            time.sleep(0.001)
        joiners = [threading.Thread(target=worker) for _ in range(5)]
        for thread in joiners:
            thread.start()
        # Swap the path only once the leader's waiter has opened the old inode: swapped earlier, the
        # leader's own open (O_CREAT) recreates the file and the directory cannot take its place.
        while not _waiting_on(lock):  # bounded: the leader reaches its wait at once
            assert time.monotonic() < deadline
            time.sleep(0.001)
        lock.unlink()
        os.mkdir(lock)  # after the release the leader opens the lock path and fails with an OSError
    began = time.monotonic()
    try:
        for thread in [leader, *joiners]:
            thread.join(20)
        assert time.monotonic() - began < 5, "joined threads waited instead of sharing the failure"
    finally:
        os.rmdir(lock)
    assert len(results) == 6
    assert sum(isinstance(r, OSError) for r in results) >= 1, "the leader saw the OS error itself"
    assert all(isinstance(r, AuthError | OSError) for r in results)
    assert olares_sim.hits("/api/refresh") == 0
