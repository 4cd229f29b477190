"""Gate latency: auth_readiness and profile_list (50 profiles) over one stdio session each, vs the bare
server's no-op tool, interleaved call by call. Also the server's idle RSS after start and after the calls.

Run: python bench/gate_latency.py [--calls 200]. Target: auth_readiness / no-op <= 1.5 at p50.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

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


async def timed(client: Client, tool: str, arguments: dict) -> float:
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
    base_p50 = statistics.median(results["noop"])
    gate = statistics.median(results["auth_readiness"]) / base_p50
    listing = statistics.median(results["profile_list"]) / base_p50
    print(f"gate latency over stdio, {calls} interleaved calls each, 50 profiles in the home")
    print(row("auth_readiness (ours)", results["auth_readiness"]))
    print(row("profile_list, 50 rows (ours)", results["profile_list"]))
    print(row("no-op tool (bare MCPServer)", results["noop"]))
    print(f"  ratio auth_readiness / no-op at p50: {gate:.2f}  (target <= 1.5)")
    print(f"  ratio profile_list / no-op at p50:   {listing:.2f}  (50 AES-GCM decryptions per call)")
    print("idle memory (VmRSS)")
    for name, (before, after) in memory.items():
        print(
            f"  {name:<6} after start {before / 1024:6.1f} MiB   after {calls * (2 if name == 'ours' else 1) + 20}"
            f" calls {after / 1024:6.1f} MiB"
        )
    return gate


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    ratio = anyio.run(main, parser.parse_args().calls)
    sys.exit(0 if ratio <= 1.5 else 1)
