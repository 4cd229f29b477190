"""Cold start: spawn -> first tools/list answer over stdio; ours vs a bare MCPServer, alternating runs.

The package is byte-compiled first (the SDK's own .pyc were written by pip): with PYTHONDONTWRITEBYTECODE
set, a module whose .pyc is missing or stale would be compiled again at every start, and this would time
the compiler.

Run: python bench/cold_start.py [--runs 10]. Target: ours / bare <= 1.25 at p50.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import sys
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

import olares_auth_mcp

sys.path.insert(0, str(Path(__file__).parent))
from _harness import bare, make_home, ours, row


async def first_list(params: StdioServerParameters) -> float:
    started = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        return time.perf_counter() - started


async def main(runs: int) -> float:
    compileall.compile_dir(str(Path(olares_auth_mcp.__file__).parent), quiet=1)
    _, env = make_home(profiles=5)
    results: dict[str, list[float]] = {"ours": [], "bare": []}
    await first_list(ours(env))  # warm the OS page cache for both before measuring
    await first_list(bare(env))
    for _ in range(runs):
        results["ours"].append(await first_list(ours(env)))
        results["bare"].append(await first_list(bare(env)))
    ratio = statistics.median(results["ours"]) / statistics.median(results["bare"])
    print(f"cold start (spawn -> first tools/list over stdio), {runs} alternating runs")
    print(row("olares-auth-mcp", results["ours"]))
    print(row("bare MCPServer, one no-op tool", results["bare"]))
    print(f"  ratio ours / bare at p50: {ratio:.2f}  (target <= 1.25)")
    return ratio


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    ratio = anyio.run(main, parser.parse_args().runs)
    sys.exit(0 if ratio <= 1.25 else 1)
