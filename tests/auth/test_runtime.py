"""``Runtime``: the one object a process runs against, its derived parts made once, from its own inputs."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import httpx

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.vault import BlobVault


def test_from_env_resolves_like_olares_cli_and_keeps_the_audit_log_in_the_config_home(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "h"), "OLARES_CLI_HOME": str(tmp_path / "c"), "OLARES_CLI_DATA_DIR": str(tmp_path)}
    runtime = Runtime.from_env(env)
    assert runtime.paths == Paths.resolve(env)
    assert runtime.env == env and runtime.env is not env  # a snapshot: later changes to the caller's dict stay out
    assert runtime.audit.path == tmp_path / "c" / "olares-auth-mcp-audit.jsonl"


def test_the_account_is_made_once_on_the_runtimes_own_parts(paths: Paths, vault: BlobVault) -> None:
    made: list[bool] = []

    def http(*, insecure: bool = False, timeout: float = 30.0, auth: httpx.Auth | None = None) -> httpx.Client:
        made.append(insecure)
        return httpx.Client(timeout=timeout, auth=auth)

    runtime = Runtime.build(paths, vault, http=http, clock=lambda: 1234.0, env={"X": "1"})
    account = runtime.account
    assert runtime.account is account
    assert account.store is runtime.store  # one config store (one snapshot cache) per runtime
    assert (account.paths, account.vault, account.http, account.clock(), dict(account.env)) == (
        paths,
        vault,
        http,
        1234.0,
        {"X": "1"},
    )


def test_threads_racing_for_the_account_all_get_the_same_one(paths: Paths, vault: BlobVault) -> None:
    runtime = Runtime.build(paths, vault)
    start = threading.Barrier(8, timeout=10)
    seen: list[object] = []

    def take() -> None:
        start.wait()
        seen.append(runtime.account)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(seen) == 8 and all(account is seen[0] for account in seen)


def test_replaced_makes_the_derived_parts_again_from_the_new_inputs(paths: Paths, vault: BlobVault) -> None:
    runtime = Runtime.build(paths, vault, env={"A": "1"}, audit_path=paths.audit_log)
    first = runtime.account
    other = runtime.replaced(env={"B": "2"})
    assert dict(other.account.env) == {"B": "2"} and other.account is not first
    assert other.store is not runtime.store and other.account.store is other.store
    assert (other.paths, other.vault, other.http, other.audit.path) == (paths, vault, runtime.http, paths.audit_log)
    assert dict(runtime.account.env) == {"A": "1"}  # the original is untouched


def test_building_a_runtime_loads_no_http_stack_until_the_account_is_used(tmp_path: Path) -> None:
    """The local CLI verbs run on a Runtime too and must stay light; the account (and httpx) comes on first use."""
    probe = (
        "import sys\n"
        "from olares_auth_mcp.auth.runtime import Runtime\n"
        f"runtime = Runtime.from_env({{'HOME': {str(tmp_path)!r}}})\n"
        "runtime.store.snapshot()\n"
        "before = 'httpx' in sys.modules\n"
        "runtime.account\n"
        "print(before, 'httpx' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


def test_a_runtimes_repr_never_shows_the_environment(paths: Paths, vault: BlobVault) -> None:
    """The environment may hold a refresh or bearer token; a repr (a traceback, a debug line) must not show it."""
    from olares_auth_mcp.tools.deps import Deps

    runtime = Runtime.build(paths, vault, env={"OLARES_REFRESH_TOKEN": "rt-canary-0123456789"})
    assert "rt-canary-0123456789" not in repr(runtime)
    assert "rt-canary-0123456789" not in repr(Deps(runtime))
