"""whoami(refresh=true) against the simulator vs the cached whoami, and the server's RSS over 2000 of them.

Every refreshing call used to make an HTTP client and open a connection (the simulator starts a thread
per connection); before the shared TLS context each client also parsed the CA bundle (~20 ms) and RSS grew
without bound. Calls now lease the profile's pooled client and reuse its keep-alive connection. Raw
JSON-RPC client over stdio, calls interleaved.

Run: python bench/whoami_refresh.py [--calls 300] [--soak 2000]. Targets: refresh / cached <= 2 at
p50; RSS after --soak refreshing calls within 8 MiB of RSS after 100.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _harness import row
from gate_latency import RawClient, rss_kib

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import file_vault
from olares_auth_mcp.sim import Simulator, SimUser

OLARES_ID = "alice@olares.com"


def seeded_env(sim: Simulator, root: Path) -> dict[str, str]:
    paths = Paths(home=root / "home", keychain_dir=root / "data" / "olares-cli", platform="linux")
    access, refresh = sim.issue_tokens(OLARES_ID)
    ConfigStore(paths).mutate(lambda c: (c.upsert(Profile(OLARES_ID)), c.set_current(OLARES_ID)))
    file_vault(paths).set(TokenRecord(OLARES_ID, access_token=access, refresh_token=refresh))
    return {
        **os.environ,
        "OLARES_CLI_HOME": str(paths.home),
        "OLARES_CLI_DATA_DIR": str(root / "data"),
        "OLARES_AUTH_MCP_SERVICE_URL": sim.url,
    }


def main(calls: int, soak: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp, Simulator([SimUser(OLARES_ID, "pw", owner_role="owner")]) as sim:
        env = seeded_env(sim, Path(tmp))
        server = RawClient([sys.executable, "-m", "olares_auth_mcp"], env)
        try:
            server.timed_call("whoami", {"refresh": True})  # fills the role cache
            results: dict[str, list[float]] = {"cached": [], "refresh": []}
            for _ in range(10):
                server.timed_call("whoami", {"refresh": False})
                server.timed_call("whoami", {"refresh": True})
            for _ in range(calls):
                results["cached"].append(server.timed_call("whoami", {"refresh": False}))
                results["refresh"].append(server.timed_call("whoami", {"refresh": True}))
            done = 10 + calls + 1
            while done < 100:
                server.timed_call("whoami", {"refresh": True})
                done += 1
            rss_100 = rss_kib(server.proc.pid)
            while done < soak:
                server.timed_call("whoami", {"refresh": True})
                done += 1
            rss_soak = rss_kib(server.proc.pid)
        finally:
            server.close()
    ratio = statistics.median(results["refresh"]) / statistics.median(results["cached"])
    growth = (rss_soak - rss_100) / 1024
    print(f"whoami over stdio (raw JSON-RPC client) against the simulator, {calls} interleaved calls each")
    print(row("whoami(refresh=true)", results["refresh"]))
    print(row("whoami (cached role)", results["cached"]))
    print(f"  ratio refresh / cached at p50: {ratio:.2f}  (target <= 2)")
    print(
        f"  VmRSS after {max(done, 100) and 100} refreshing calls {rss_100 / 1024:6.1f} MiB, after {soak}: "
        f"{rss_soak / 1024:6.1f} MiB  (growth {growth:+.1f} MiB, target <= 8)"
    )
    return ratio <= 2 and growth <= 8


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--soak", type=int, default=2000)
    args = parser.parse_args()
    sys.exit(0 if main(args.calls, args.soak) else 1)
