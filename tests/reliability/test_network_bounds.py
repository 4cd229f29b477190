"""R15: the network is bounded. Bodies stop at a byte cap, exchanges at a deadline, and network calls run on
their own limiter so a purely local tool always answers. The hostile server is on loopback only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.errors import RefreshFailed, ServerError
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.auth.wire import default_http_factory, refresh_grant
from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.tools.deps import Deps
from tests.conftest import ALICE, seed_grant
from tests.helpers import make_jwt
from tests.hostile import HeaderDrip, HostileServer, Reply, Seen

ROOT = Path(__file__).resolve().parents[2]
REFRESH = "rt-BOUNDS-0f1e2d3c4b5a69788796a5b4c3d2e1f0"

HUGE = textwrap.dedent(
    """
    import gzip, json, resource, sys, zlib
    import httpx
    from olares_auth_mcp.auth.wire import default_http_factory, refresh_grant
    from olares_auth_mcp.auth.errors import RefreshFailed
    from tests.hostile import HostileServer, Reply

    MB = 1024 * 1024
    shape = sys.argv[1]

    def body():
        yield b'{"status":"KO","message":"'
        block = b"A" * (64 * 1024)
        for _ in range(200 * MB // len(block)):
            yield block
        yield b'"}'

    def bomb():
        squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
        yield squeeze.compress(b'{"status":"KO","message":"')
        block = b"A" * MB
        for _ in range(200):
            out = squeeze.compress(block)
            if out:
                yield out
        yield squeeze.compress(b'"}') + squeeze.flush()

    def reply(_):
        if shape == "chunked":
            return Reply(400, chunks=body)
        if shape == "declared":
            return Reply(400, chunks=body, length=200 * MB + 30)
        return Reply(200, chunks=bomb, headers={"Content-Encoding": "gzip"})

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # MiB

    with HostileServer(lambda _: Reply(400, {"status": "KO"})) as warm:  # load every lazy import first
        try:
            with default_http_factory(timeout=30.0) as client:
                refresh_grant(client, warm.url, "rt-warm")
        except RefreshFailed:
            pass
    before = peak()
    with HostileServer(reply) as evil:
        with default_http_factory(timeout=30.0) as client:
            try:
                refresh_grant(client, evil.url, "rt-huge-token-0123456789")
                error = ""
            except RefreshFailed as err:
                error = str(err)
    print(json.dumps({"grew_mib": peak() - before, "error": error}))
    """
)


@pytest.mark.parametrize("shape", ["chunked", "declared", "gzip-bomb"])
def test_a_200_mb_body_is_not_read_and_not_returned(shape: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", HUGE, shape], check=False, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["grew_mib"] < 8, outcome
    assert outcome["error"] and len(outcome["error"]) < 400
    assert "exceeds 65536 bytes" in outcome["error"]


def dripping(seen: Seen) -> Reply:
    return Reply(200, b" " * 400 + b'{"status":"OK"}', drip=0.2, max_seconds=15)


def test_a_dripping_refresh_ends_at_its_deadline() -> None:
    with HostileServer(dripping) as evil, default_http_factory(timeout=30.0) as client:
        start = time.monotonic()
        with pytest.raises(RefreshFailed) as info:
            refresh_grant(client, evil.url, REFRESH, seconds=1.0)
        elapsed = time.monotonic() - start
    assert elapsed < 3.0, f"held for {elapsed:.1f}s"
    assert "deadline exceeded" in str(info.value) and info.value.transient


def test_a_dripping_whoami_ends_at_the_accounts_deadline(paths: Paths, vault: BlobVault) -> None:
    with HostileServer(dripping) as evil:
        account = Account(paths, vault, default_http_factory, time.time, {"OLARES_AUTH_MCP_SERVICE_URL": evil.url})
        account.exchange_seconds = 1.0
        seed_grant(account, ALICE, make_jwt({"exp": int(time.time()) + 3600}), REFRESH)
        start = time.monotonic()
        with pytest.raises(ServerError, match="deadline exceeded"):
            account.whoami(refresh=True)
        elapsed = time.monotonic() - start
    assert elapsed < 3.0, f"held for {elapsed:.1f}s"


def test_a_server_dripping_its_headers_ends_at_the_deadline_too() -> None:
    evil = HeaderDrip()
    try:
        with default_http_factory(timeout=30.0) as client:
            start = time.monotonic()
            with pytest.raises(RefreshFailed, match="deadline exceeded"):
                refresh_grant(client, evil.url, REFRESH, seconds=1.0)
            elapsed = time.monotonic() - start
    finally:
        evil.close()
    assert elapsed < 3.0, f"held for {elapsed:.1f}s"


@pytest.mark.anyio
async def test_dripping_network_calls_never_starve_a_local_tool(paths: Paths, vault: BlobVault) -> None:
    """45 whoami(refresh) calls against a server that drips (more than the default thread pool's 40 tokens):
    a local profile_list still answers at once, long before any of the network calls could end."""
    arrived = threading.Event()
    count = [0]
    lock = threading.Lock()

    def responder(seen: Seen) -> Reply:
        with lock:
            count[0] += 1
            if count[0] >= 8:
                arrived.set()
        return Reply(200, b" " * 400 + b'{"code":0}', drip=0.2, max_seconds=10)

    with HostileServer(responder) as evil:
        deps = Deps(
            Runtime.build(paths, vault, env={"OLARES_AUTH_MCP_SERVICE_URL": evil.url}, audit_path=paths.audit_log)
        )
        deps.account.exchange_seconds = 5.0  # each network call is held this long; the local call must not wait
        seed_grant(deps.account, ALICE, make_jwt({"exp": int(time.time()) + 3600}), REFRESH)
        async with Client(build_server(deps)) as client, anyio.create_task_group() as group:
            for _ in range(45):
                group.start_soon(client.call_tool, "whoami", {"refresh": True})
            with anyio.fail_after(20):
                await anyio.to_thread.run_sync(arrived.wait, 20)
            start = time.monotonic()
            with anyio.fail_after(10):
                listed = await client.call_tool("profile_list", {})
            waited = time.monotonic() - start
            group.cancel_scope.cancel()  # the queued network calls are dropped; the running ones end by their deadline
    assert not listed.is_error and listed.structured_content["profiles"][0]["olares_id"] == ALICE
    assert waited < 2.5, f"profile_list waited {waited:.1f}s behind the network calls"
