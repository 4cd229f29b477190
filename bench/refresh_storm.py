"""Refresh storm: 16 processes x 8 threads refresh one stale token at once, against the simulator.

Prints how many ``/api/refresh`` calls reached the server (must be 1) and the storm's wall
time as a ratio to one lone refresh measured in the same run. Not a timed test: run it with
``python bench/refresh_storm.py [--processes 16] [--threads 8] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.refresh import Refresher
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import file_vault
from olares_auth_mcp.auth.wire import default_http_factory
from olares_auth_mcp.sim import Simulator, SimUser

OLARES_ID = "storm@olares.com"

WORKER = textwrap.dedent(
    """
    import sys, threading, time
    from pathlib import Path
    from olares_auth_mcp.auth.paths import Paths
    from olares_auth_mcp.auth.refresh import Refresher
    from olares_auth_mcp.auth.vault import file_vault
    from olares_auth_mcp.auth.wire import default_http_factory
    home, data, url, oid, stale, threads = sys.argv[1:7]
    paths = Paths(home=Path(home), keychain_dir=Path(data), platform="linux")
    refresher = Refresher(paths, file_vault(paths), default_http_factory, time.time)
    tokens = []
    barrier = threading.Barrier(int(threads))
    def run():
        barrier.wait()
        tokens.append(refresher.refresh(oid, url, stale))
    # warm the process as the lone-refresh side is warm: first-use costs (OpenSSL init, lazy imports) are not the storm
    file_vault(paths).get(oid); default_http_factory().close()
    print("ready", flush=True)
    sys.stdin.readline()
    ts = [threading.Thread(target=run) for _ in range(int(threads))]
    [t.start() for t in ts]; [t.join() for t in ts]
    done = time.time()  # when the last caller in this process held a valid token
    print(len(set(tokens)), tokens[0], repr(done), flush=True)
    sys.stdin.readline()  # stay alive until every worker has its token: exits would steal the 2 cores
    """
)


def seed(sim: Simulator, paths: Paths) -> str:
    access, refresh = sim.issue_tokens(OLARES_ID)
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile(OLARES_ID)))
    file_vault(paths).set(TokenRecord(OLARES_ID, access_token=access, refresh_token=refresh))
    sim.expire_access_tokens()
    sim.reset_counters()
    return access


def lone_refresh(sim: Simulator, paths: Paths) -> float:
    stale = seed(sim, paths)
    refresher = Refresher(paths, file_vault(paths), default_http_factory, time.time)
    started = time.perf_counter()
    refresher.refresh(OLARES_ID, sim.url, stale)
    return time.perf_counter() - started


def storm(sim: Simulator, paths: Paths, processes: int, threads: int) -> tuple[float, int, int]:
    stale = seed(sim, paths)
    argv = [
        sys.executable,
        "-c",
        WORKER,
        str(paths.home),
        str(paths.keychain_dir),
        sim.url,
        OLARES_ID,
        stale,
        str(threads),
    ]
    procs = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    for proc in procs:  # every worker imported and parked at its barrier before the clock starts
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.time()  # wall clock: compared with the workers' own time.time() stamps
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    finals, done = set(), []
    lines = [proc.stdout.readline() for proc in procs]  # type: ignore[union-attr]
    for proc in procs:
        proc.communicate("bye\n", timeout=120)
    for out in lines:
        distinct, token, stamp = out.split()
        assert distinct == "1", "threads of one process disagreed"
        finals.add(token)
        done.append(float(stamp))
    wall = max(done) - started
    return wall, sim.hits("/api/refresh"), len(finals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Simulator([SimUser(OLARES_ID, "pw")]) as sim:
        paths = Paths(home=Path(tmp) / "home", keychain_dir=Path(tmp) / "data", platform="linux")
        lone, storms, hits, finals = [], [], [], []
        for _ in range(args.rounds):  # alternate, so drift hits both sides equally
            lone.append(lone_refresh(sim, paths))
            wall, hit, final = storm(sim, paths, args.processes, args.threads)
            storms.append(wall)
            hits.append(hit)
            finals.append(final)
    lone_p50, storm_p50 = statistics.median(lone), statistics.median(storms)
    print(f"refresh storm: {args.processes} processes x {args.threads} threads, {args.rounds} rounds")
    print(f"  /api/refresh calls per storm : {hits}  (must be all 1)")
    print(f"  distinct final tokens        : {finals}  (must be all 1)")
    print(f"  lone refresh p50             : {lone_p50 * 1000:.1f} ms")
    print(f"  storm wall p50               : {storm_p50 * 1000:.1f} ms")
    print(f"  ratio storm / lone           : {storm_p50 / lone_p50:.2f}  (target <= 2)")
    return 0 if set(hits) == {1} and set(finals) == {1} else 1


if __name__ == "__main__":
    sys.exit(main())
