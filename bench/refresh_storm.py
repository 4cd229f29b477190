"""Refresh storm: 16 processes x 8 threads refresh one stale token at once, against the simulator.

Prints how many ``/api/refresh`` calls reached the server (must be 1) and the storm's wall
time as a ratio to one lone refresh measured in the same run (every client on the process's one
TLS context), then where the storm's time goes: waking the workers, the one refresh (POST, then
the fsync'd write of the new token), and the coordination after it (waiters woken by the lock's
release, re-reading the store, handing the token to their threads). Not a timed test: run it with
``python bench/refresh_storm.py [--processes 16] [--threads 8] [--rounds 5]``. Target: storm /
lone <= 4 at the median.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.refresh import Refresher
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import file_vault
from olares_auth_mcp.auth.vault._files import RACY_NS
from olares_auth_mcp.auth.wire import default_http_factory
from olares_auth_mcp.sim import Simulator, SimUser

OLARES_ID = "storm@olares.com"
LONE_PER_ROUND = 3
LONE_IDS = tuple(f"lone{n}@olares.com" for n in range(LONE_PER_ROUND))

WORKER = textwrap.dedent(
    """
    import fcntl, json, os, sys, threading, time
    from pathlib import Path
    from olares_auth_mcp.auth.paths import Paths
    from olares_auth_mcp.auth.refresh import Refresher
    from olares_auth_mcp.auth.vault import file_vault
    from olares_auth_mcp.auth.wire import bounded, default_http_factory
    home, data, url, oid, stale, threads, barrier, mode = sys.argv[1:9]
    paths = Paths(home=Path(home), keychain_dir=Path(data), platform="linux")
    marks = {}

    class StampedVault:  # the worker's own wrapper: stamps when the new token is being written
        def __init__(self, vault):
            self.vault = vault
        def __getattr__(self, name):
            return getattr(self.vault, name)
        def set(self, record):
            marks["write"] = time.time()
            self.vault.set(record)
            marks["written"] = time.time()

    def http(**kwargs):
        marks["post"] = time.time()
        return default_http_factory(**kwargs)

    vault = StampedVault(file_vault(paths))
    refresher = Refresher(paths, vault, http, time.time)
    tokens = []
    go = threading.Event()
    def run():
        go.wait()
        tokens.append(refresher.refresh(oid, url, stale) if mode == "refresh" else stale)
    # Warm the process as the lone-refresh side is warm, and as a server is when its requests come back 401:
    # first-use costs (OpenSSL init, lazy imports, the exchange watchdog), the vault that read the stale token,
    # and the threads that make the requests all exist before the storm; starting 8 threads is not the storm.
    vault.get(oid)
    with default_http_factory() as client, bounded(client):
        client.get(url + "/api/olares-info")  # one bounded exchange, as the request that got the 401
    ts = [threading.Thread(target=run) for _ in range(int(threads))]
    [t.start() for t in ts]
    start = os.open(barrier, os.O_RDONLY)
    print("ready", flush=True)
    fcntl.flock(start, fcntl.LOCK_SH)  # the parent holds it exclusively; its one unlock wakes every worker
    marks["go"] = time.time()
    cpu = time.process_time()
    go.set()
    [t.join() for t in ts]
    done = time.time()  # when the last caller in this process held a valid token
    marks["cpu"] = time.process_time() - cpu  # every thread of this process, go -> done
    print(len(set(tokens)), tokens[0], repr(done), json.dumps(marks), flush=True)
    sys.stdin.readline()  # stay alive until every worker has its token: exits would steal the 2 cores
    """
)


def _serve_simulator(conn: Connection) -> None:
    """The simulator's own process: the bench's driver never holds the GIL its replies need, as no Olares
    server shares a process with its callers. Answers ``(method, args)`` calls on ``conn`` until None."""
    with Simulator([SimUser(olares_id, "pw") for olares_id in (*LONE_IDS, OLARES_ID)]) as sim:
        conn.send(sim.url)
        while (call := conn.recv()) is not None:
            method, args = call
            conn.send(getattr(sim, method)(*args))


class RemoteSimulator:
    """The few ``Simulator`` calls this bench makes, forwarded to the simulator's process."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._proc = context.Process(target=_serve_simulator, args=(child,), daemon=True)
        self._proc.start()
        self.url: str = self._conn.recv()

    def _call(self, method: str, *args: object) -> Any:
        self._conn.send((method, args))
        return self._conn.recv()

    def issue_tokens(self, olares_id: str) -> tuple[str, str]:
        access, refresh = self._call("issue_tokens", olares_id)
        return access, refresh

    def expire_access_tokens(self) -> None:
        self._call("expire_access_tokens")

    def reset_counters(self) -> None:
        self._call("reset_counters")

    def hits(self, route: str) -> int:
        return int(self._call("hits", route))

    def close(self) -> None:
        self._conn.send(None)
        self._proc.join(10)


def seed(sim: RemoteSimulator, paths: Paths, olares_id: str) -> str:
    """Log ``olares_id`` in; returns its access token (stale once the round expires them all)."""
    access, refresh = sim.issue_tokens(olares_id)
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile(olares_id)))
    file_vault(paths).set(TokenRecord(olares_id, access_token=access, refresh_token=refresh))
    return access


def lone_refresh(sim: RemoteSimulator, paths: Paths, olares_id: str, stale: str) -> tuple[float, float]:
    """(wall, of which the fsync'd write of the new token)."""
    vault = file_vault(paths)
    writes: list[float] = []

    class TimedVault:
        def __getattr__(self, name: str) -> object:
            return getattr(vault, name)

        def set(self, record: TokenRecord) -> None:
            began = time.perf_counter()
            vault.set(record)
            writes.append(time.perf_counter() - began)

    refresher = Refresher(paths, TimedVault(), default_http_factory, time.time)  # type: ignore[arg-type]
    vault.get(olares_id)  # as a server holds the record it found stale (the storm's workers do the same)
    started = time.perf_counter()
    refresher.refresh(olares_id, sim.url, stale)
    return time.perf_counter() - started, sum(writes)


def stale_tokens(sim: RemoteSimulator, paths: Paths) -> dict[str, str]:
    """One stale token per lone refresh of a round and one for its storm.

    A token goes stale an access-token lifetime after it was written, so when a real storm starts no file
    it reads is within the vault cache's racy window (a file changed in the last 2 s is compared byte for
    byte on every read). Seeding right before the clock would make both sides pay that; both wait it out.
    """
    stale = {olares_id: seed(sim, paths, olares_id) for olares_id in (*LONE_IDS, OLARES_ID)}
    sim.expire_access_tokens()
    time.sleep(RACY_NS / 1e9 + 0.1)  # not a synchronisation: the files' age, as in a real storm
    return stale


def storm(
    sim: RemoteSimulator,
    paths: Paths,
    stale: str,
    processes: int,
    threads: int,
    *,
    empty: bool = False,
    against: Path | None = None,
) -> tuple[float, int, int, dict[str, float]]:
    """One storm; ``empty``: the same processes and threads woken the same way, with no refresh at all.
    ``against``: the workers import the package from that checkout instead."""
    sim.reset_counters()
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
        str(paths.home / "start.barrier"),
        "empty" if empty else "refresh",
    ]
    barrier = os.open(paths.home / "start.barrier", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(barrier, fcntl.LOCK_EX)
    env = None if against is None else {**os.environ, "PYTHONPATH": str(against)}
    procs = [
        subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=against)
        for _ in range(processes)
    ]
    for proc in procs:  # every worker imported and parked at its barrier before the clock starts
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.time()  # wall clock: compared with the workers' own time.time() stamps
    fcntl.flock(barrier, fcntl.LOCK_UN)  # one release: the kernel wakes every worker at once
    os.close(barrier)
    finals, done, marks = set(), [], []
    lines = [proc.stdout.readline() for proc in procs]  # type: ignore[union-attr]
    for proc in procs:
        proc.communicate("bye\n", timeout=120)
    for out in lines:
        distinct, token, stamp, stamped = out.split(" ", 3)
        assert distinct == "1", "threads of one process disagreed"
        finals.add(token)
        done.append(float(stamp))
        marks.append(json.loads(stamped))
    wall = max(done) - started
    if empty:
        return wall, sim.hits("/api/refresh"), len(finals), {"cpu": sum(m["cpu"] for m in marks)}
    winner = next(m for m in marks if "written" in m)
    phases = {
        "first_go": min(m["go"] for m in marks) - started,  # the parent's writes and the first worker's wake
        "wake": max(m["go"] for m in marks) - started,  # the last worker process to see "go"
        "cpu": sum(m["cpu"] for m in marks),  # CPU time of all workers from their "go" to their "done"
        "cpu_waiter": statistics.median(m["cpu"] for m in marks if "written" not in m),
        "cpu_refresher": winner["cpu"],
        "to_post": winner["post"] - started,
        "post": winner["write"] - winner["post"],
        "write": winner["written"] - winner["write"],
        "after": max(done) - winner["written"],  # coordination after the new token is on disk
    }
    return wall, sim.hits("/api/refresh"), len(finals), phases


class Runs:
    """Every figure of one run of the bench (each list: one entry per round, or per lone refresh)."""

    def __init__(self) -> None:
        self.lone: list[float] = []
        self.lone_writes: list[float] = []
        self.storms: list[float] = []
        self.hits: list[int] = []
        self.finals: list[int] = []
        self.phases: list[dict[str, float]] = []
        self.empties: list[float] = []
        self.empty_cpu: list[float] = []
        self.theirs: list[float] = []


def run(args: argparse.Namespace) -> Runs:
    sim = RemoteSimulator()
    runs = Runs()
    with tempfile.TemporaryDirectory() as tmp, contextlib.closing(sim):
        paths = Paths(home=Path(tmp) / "home", keychain_dir=Path(tmp) / "data", platform="linux")
        warm = stale_tokens(sim, paths)
        lone_refresh(sim, paths, LONE_IDS[0], warm[LONE_IDS[0]])  # first use of the TLS context, not measured
        for _ in range(args.rounds):  # alternate, so drift hits both sides equally
            stale = stale_tokens(sim, paths)
            for olares_id in LONE_IDS:  # a lone refresh is short: one sample per round is mostly noise
                wall, write = lone_refresh(sim, paths, olares_id, stale[olares_id])
                runs.lone.append(wall)
                runs.lone_writes.append(write)
            wall, _, _, floor = storm(sim, paths, stale[OLARES_ID], args.processes, args.threads, empty=True)
            runs.empties.append(wall)
            runs.empty_cpu.append(floor["cpu"])
            wall, hit, final, phase = storm(sim, paths, stale[OLARES_ID], args.processes, args.threads)
            runs.storms.append(wall)
            runs.hits.append(hit)
            runs.finals.append(final)
            runs.phases.append(phase)
            if args.against is not None:  # a new stale token: the other checkout's workers storm on it
                stale = stale_tokens(sim, paths)
                wall, hit, final, _ = storm(
                    sim, paths, stale[OLARES_ID], args.processes, args.threads, against=args.against
                )
                runs.theirs.append(wall)
                runs.hits.append(hit)
                runs.finals.append(final)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another checkout whose workers storm too, in every round")
    args = parser.parse_args()
    runs = run(args)
    lone_p50, storm_p50 = statistics.median(runs.lone), statistics.median(runs.storms)
    ratio = storm_p50 / lone_p50

    def ms(name: str) -> str:
        return f"{statistics.median(p[name] for p in runs.phases) * 1000:6.1f} ms"

    print(f"refresh storm: {args.processes} processes x {args.threads} threads, {args.rounds} rounds")
    print(f"  /api/refresh calls per storm : {runs.hits}  (must be all 1)")
    print(f"  distinct final tokens        : {runs.finals}  (must be all 1)")
    print(
        f"  lone refresh p50             : {lone_p50 * 1000:.1f} ms  (of which the token write: "
        f"{statistics.median(runs.lone_writes) * 1000:.1f} ms)"
    )
    print(f"  storm wall p50               : {storm_p50 * 1000:.1f} ms  (from the parent's first 'go' write)")
    print(f"  ratio storm / lone           : {ratio:.2f}  (target <= 4)")
    print("  where the storm's time goes (medians over the rounds, from the workers' own stamps):")
    print(f"    start -> first worker sees go        {ms('first_go')}")
    print(f"    start -> last worker sees go         {ms('wake')}  (overlaps the refresh below; not added to it)")
    print(f"    start -> the refresher's POST        {ms('to_post')}")
    print(f"    POST -> response                     {ms('post')}")
    print(f"    write of the new token (fsync)       {ms('write')}")
    print(
        f"    written -> last thread has it        {ms('after')}  (lock release wakes the waiters, re-read, hand-off)"
    )
    empty_p50 = statistics.median(runs.empties)
    print(
        f"  the same storm with no refresh (every process and thread woken and joined as above): wall "
        f"{empty_p50 * 1000:.1f} ms, CPU {statistics.median(runs.empty_cpu) * 1000:.1f} ms; storm minus it: "
        f"{(storm_p50 - empty_p50) * 1000:.1f} ms = {(storm_p50 - empty_p50) / lone_p50:.2f} x the lone refresh"
    )
    print(
        f"  CPU of all workers, go -> done          {ms('cpu')}  (over {os.cpu_count()} cores: a floor under the wall; "
        f"per waiting process {ms('cpu_waiter').strip()}, the refresher {ms('cpu_refresher').strip()})"
    )
    if runs.theirs:
        per_round = " ".join(f"{o / t:.2f}" for o, t in zip(runs.storms, runs.theirs, strict=True))
        print(
            f"  against {args.against}: storm wall p50 {statistics.median(runs.theirs) * 1000:.1f} ms, "
            f"{statistics.median(runs.theirs) / lone_p50:.2f} x this run's lone refresh; ours / theirs by round: "
            f"{per_round}"
        )
    return 0 if set(runs.hits) == {1} and set(runs.finals) == {1} and ratio <= 4 else 1


if __name__ == "__main__":
    sys.exit(main())
