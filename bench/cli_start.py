"""CLI start-up: `olares-auth-mcp profile list` on 5 profiles vs `python -c pass`, alternating runs.

An agent that drives the CLI in a loop pays the interpreter start and every import on each call, so
each verb imports only what it uses (`profile list` loads neither httpx nor ssl). The package is
byte-compiled first: with PYTHONDONTWRITEBYTECODE set, nothing else would write the .pyc files and
every run would re-compile the sources.

Run: python bench/cli_start.py [--runs 30]. Target: ours / `python -c pass` <= 3.5 at the median.
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import make_home, row

import olares_auth_mcp


def command() -> list[str]:
    """The installed console script next to this interpreter, else the module (same code path)."""
    script = Path(sys.executable).parent / "olares-auth-mcp"
    if script.exists() or shutil.which("olares-auth-mcp") == str(script):
        return [str(script), "profile", "list"]
    return [sys.executable, "-m", "olares_auth_mcp", "profile", "list"]


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(runs: int) -> float:
    compileall.compile_dir(str(Path(olares_auth_mcp.__file__).parent), quiet=1)
    _, env = make_home(profiles=5)
    ours, base = command(), [sys.executable, "-c", "pass"]
    results: dict[str, list[float]] = {"ours": [], "base": []}
    timed(ours, env)  # warm the page cache for both
    timed(base, env)
    for _ in range(runs):
        results["ours"].append(timed(ours, env))
        results["base"].append(timed(base, env))
    ratio = statistics.median(results["ours"]) / statistics.median(results["base"])
    print(f"CLI start-up, {runs} alternating runs, 5 profiles: {' '.join(ours)}")
    print(row("olares-auth-mcp profile list", results["ours"]))
    print(row("python -c pass", results["base"]))
    print(f"  ratio at the median: {ratio:.2f}  (target <= 3.5)")
    return ratio


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    sys.exit(0 if main(parser.parse_args().runs) <= 3.5 else 1)
