"""Shared pieces of the benchmarks: isolated homes, seeded profiles, stdio clients, percentiles."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from mcp import StdioServerParameters

from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import file_vault

BENCH = Path(__file__).parent


def make_home(profiles: int = 50) -> tuple[Path, dict[str, str]]:
    """A temporary olares-cli home with ``profiles`` logged-in profiles; returns (dir, env for the server)."""
    root = Path(tempfile.mkdtemp(prefix="olares-bench-"))
    paths = Paths(home=root / "home", keychain_dir=root / "data" / "olares-cli", platform="linux")
    vault = file_vault(paths)
    exp = int(time.time()) + 86400
    import base64
    import json

    def jwt(n: int) -> str:
        body = base64.urlsafe_b64encode(json.dumps({"exp": exp, "n": n}).encode()).rstrip(b"=").decode()
        return f"eyJhbGciOiJIUzUxMiJ9.{body}.c2ln"

    def change(config: Config) -> None:
        config.profiles = [Profile(f"user{n}@olares.com") for n in range(profiles)]
        config.current_profile = "user0@olares.com"

    ConfigStore(paths).mutate(change)
    for n in range(profiles):
        vault.set(
            TokenRecord(f"user{n}@olares.com", access_token=jwt(n), refresh_token=f"rt-{n}-{os.urandom(8).hex()}")
        )
    env = {**os.environ, "OLARES_CLI_HOME": str(paths.home), "OLARES_CLI_DATA_DIR": str(root / "data")}
    return root, env


def ours(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "olares_auth_mcp"], env=env)


def bare(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=[str(BENCH / "bare_server.py")], env=env)


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def row(label: str, values: Sequence[float], unit: str = "ms", scale: float = 1000.0) -> str:
    return (
        f"  {label:<34} p50 {pct(values, 50) * scale:8.2f} {unit}   p99 {pct(values, 99) * scale:8.2f} {unit}"
        f"   mean {statistics.fmean(values) * scale:8.2f} {unit}   n={len(values)}"
    )
