"""Gate latency: auth_readiness and profile_list over one stdio session each, vs the bare server's no-op
tool on the same home, interleaved call by call. Also the server's idle RSS after start and after the calls.

Two clients, each the same for both servers:
  * the SDK client, which re-validates every structured result against the tool's output schema with
    jsonschema on the client side (the no-op's plain string skips that work);
  * a raw JSON-RPC client (one line out, one line in), which measures the servers alone.

Run: python bench/gate_latency.py [--calls 200] [--profiles 50,200]. Targets, p50 ratio to the no-op:
auth_readiness <= 1.5 (both clients, 50 profiles) and, with the raw client, profile_list <= 2 at 50
profiles and <= 4 at 200, auth_readiness <= 1.3 at 200.

On a busy machine, wall-clock ratios from runs minutes apart are not comparable. ``--against DIR`` adds a
second checkout's server (another branch, ``/work/main``) to the raw-client runs, interleaved call by call
with ours and the no-op, and every raw-client run also prints each server's CPU time per call
(``/proc/<pid>/stat``), which other processes' load barely moves.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

sys.path.insert(0, str(Path(__file__).parent))
from _harness import bare, make_home, ours, row


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def server_pid(marker: str) -> int:
    """The pid of this process's child whose command line contains ``marker`` (the stdio server)."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == me and marker in cmd:
            return int(entry.name)
    raise LookupError(marker)


LIST_TARGETS = {50: 2.0, 200: 4.0}
GATE_TARGETS = {200: 1.3}


def report(
    title: str, results: dict[str, list[float]], profiles: int, listing_note: str = "", whose: str = "ours"
) -> tuple[float, float]:
    """Print one measurement's rows and ratios; return (auth_readiness, profile_list) / no-op at p50."""
    base_p50 = statistics.median(results["noop"])
    gate = statistics.median(results["auth_readiness"]) / base_p50
    listing = statistics.median(results["profile_list"]) / base_p50
    print(title)
    print(row(f"auth_readiness ({whose})", results["auth_readiness"]))
    print(row(f"profile_list, {profiles} rows ({whose})", results["profile_list"]))
    print(row("no-op tool (bare MCPServer)", results["noop"]))
    gate_target = GATE_TARGETS.get(profiles, 1.5)
    list_target = f"(target <= {LIST_TARGETS[profiles]})" if profiles in LIST_TARGETS else ""
    print(f"  ratio auth_readiness / no-op at p50: {gate:.2f}  (target <= {gate_target})")
    print(f"  ratio profile_list / no-op at p50:   {listing:.2f}  {list_target} {listing_note}".rstrip())
    return gate, listing


async def timed(client: Client, tool: str, arguments: dict[str, Any]) -> float:
    started = time.perf_counter()
    result = await client.call_tool(tool, arguments)
    elapsed = time.perf_counter() - started
    assert not result.is_error, result.content
    return elapsed


async def main(calls: int) -> float:
    _, env = make_home(profiles=50)
    results: dict[str, list[float]] = {"auth_readiness": [], "profile_list": [], "noop": []}
    memory: dict[str, tuple[int, int]] = {}
    async with Client(ours(env)) as mine, Client(bare(env)) as base:
        await mine.list_tools()
        await base.list_tools()
        pids = {"ours": server_pid("-m olares_auth_mcp"), "bare": server_pid("bare_server.py")}
        start_rss = {name: rss_kib(pid) for name, pid in pids.items()}
        for _ in range(10):  # warm-up: first-call imports and caches on both sides
            await timed(mine, "auth_readiness", {})
            await timed(mine, "profile_list", {})
            await timed(base, "noop", {})
        for _ in range(calls):
            results["noop"].append(await timed(base, "noop", {}))
            results["auth_readiness"].append(await timed(mine, "auth_readiness", {}))
            results["profile_list"].append(await timed(mine, "profile_list", {}))
        memory = {name: (start_rss[name], rss_kib(pid)) for name, pid in pids.items()}
    gate, _ = report(
        f"gate latency over stdio (SDK client), {calls} interleaved calls each, 50 profiles in the home",
        results,
        50,
        "(includes the SDK client's jsonschema check of the rows)",
    )
    print("idle memory (VmRSS)")
    for name, (before, after) in memory.items():
        print(
            f"  {name:<6} after start {before / 1024:6.1f} MiB   after {calls * (2 if name == 'ours' else 1) + 20}"
            f" calls {after / 1024:6.1f} MiB"
        )
    return gate


class RawClient:
    """JSON-RPC 2.0 over a server's stdio, one request at a time (2025-11-25 handshake)."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=cwd)
        self.next_id = 0
        self.request(
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        assert self.proc.stdout is not None
        while True:
            reply: dict[str, Any] = json.loads(self.proc.stdout.readline())
            if reply.get("id") == self.next_id:
                return reply

    def timed_call(self, tool: str, arguments: dict[str, Any] | None = None) -> float:
        started = time.perf_counter()
        reply = self.request("tools/call", {"name": tool, "arguments": arguments or {}})
        elapsed = time.perf_counter() - started
        assert not reply["result"].get("isError"), reply
        return elapsed

    def cpu_seconds(self) -> float:
        """The server's user + system CPU time so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


def _cpu_per_call(client: RawClient, calls: int, *tools: str) -> dict[str, float]:
    """CPU milliseconds per call of each tool, each measured over ``calls`` back-to-back calls."""
    out = {}
    for tool in tools:
        before = client.cpu_seconds()
        for _ in range(calls):
            client.timed_call(tool)
        out[tool] = (client.cpu_seconds() - before) * 1000 / calls
    return out


def raw_client_run(calls: int, profiles: int, against: Path | None = None) -> tuple[float, float]:
    _, env = make_home(profiles=profiles)
    mine = RawClient([sys.executable, "-m", "olares_auth_mcp"], env)
    base = RawClient([sys.executable, str(Path(__file__).parent / "bare_server.py")], env)
    other = None
    if against is not None:  # the same command, importing the package from the other checkout (-m: cwd first)
        env_against = {**env, "PYTHONPATH": str(against)}
        other = RawClient([sys.executable, "-m", "olares_auth_mcp"], env_against, cwd=against)
    results: dict[str, list[float]] = {"auth_readiness": [], "profile_list": [], "noop": []}
    theirs: dict[str, list[float]] = {"auth_readiness": [], "profile_list": [], "noop": results["noop"]}
    try:
        for _ in range(10):
            for client in (mine, other):
                if client is not None:
                    client.timed_call("auth_readiness")
                    client.timed_call("profile_list")
            base.timed_call("noop")
        for _ in range(calls):
            results["noop"].append(base.timed_call("noop"))
            results["auth_readiness"].append(mine.timed_call("auth_readiness"))
            results["profile_list"].append(mine.timed_call("profile_list"))
            if other is not None:
                theirs["auth_readiness"].append(other.timed_call("auth_readiness"))
                theirs["profile_list"].append(other.timed_call("profile_list"))
        cpu = {"ours": _cpu_per_call(mine, calls, "auth_readiness", "profile_list")}
        cpu["no-op"] = _cpu_per_call(base, calls, "noop")
        if other is not None:
            cpu[f"{against}"] = _cpu_per_call(other, calls, "auth_readiness", "profile_list")
    finally:
        for client in (mine, base, other):
            if client is not None:
                client.close()
    title = f"\nraw JSON-RPC client (no client-side schema validation), {calls} calls, {profiles} profiles in the home"
    ratios = report(title, results, profiles)
    if other is not None:
        report(f"  the same calls, interleaved, by the server in {against}", theirs, profiles, whose="against")
    print("  server CPU per call (ms): " + "; ".join(f"{name} {tools}" for name, tools in _rounded(cpu).items()))
    return ratios


def _rounded(cpu: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {name: {tool: round(ms, 2) for tool, ms in tools.items()} for name, tools in cpu.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--profiles", default="50,200", help="comma-separated profile counts for the raw client")
    parser.add_argument("--against", type=Path, help="another checkout whose server runs interleaved with ours")
    parser.add_argument("--raw-only", action="store_true", help="skip the SDK-client run")
    args = parser.parse_args()
    ok = args.raw_only or anyio.run(main, args.calls) <= 1.5
    for count in (int(n) for n in args.profiles.split(",")):
        gate, listing = raw_client_run(args.calls, count, args.against)
        ok = ok and gate <= GATE_TARGETS.get(count, 1.5) and listing <= LIST_TARGETS.get(count, float("inf"))
    sys.exit(0 if ok else 1)
