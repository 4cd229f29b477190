"""Print relay latencies (not a test): run `python -m tests.login.measure_latency [runs]`.

(a) fake program writes its password prompt -> ``wait_for_prompt`` returns in the parent;
(b) the page receives the POST (client side, just before sending) -> the fake has read the password.
Both ends read CLOCK_MONOTONIC, which is shared by all processes on Linux.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from olares_auth_mcp.login import LoginManager, LoginState, SecretPageRegistry, SecretPageServer, spawn_login
from tests.login.conftest import OLARES_ID, fake_argv

PASSWORD = "latency-pw"


def _marks(path: Path) -> dict[str, float]:
    marks = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        event, stamp = line.split()
        marks[event] = float(stamp)
    return marks


def _env(timing: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "FAKE_PASSWORD": PASSWORD, "FAKE_TIMING_FILE": str(timing)}


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    return f"{name}: n={len(ms)} p50={statistics.median(ms):.2f} ms p90={p90:.2f} ms max={ms[-1]:.2f} ms"


def prompt_latency(runs: int, tmp: Path) -> list[float]:
    samples = []
    for i in range(runs):
        timing = tmp / f"a{i}"
        process = spawn_login(fake_argv(), _env(timing))
        try:
            assert process.wait_for_prompt(10) is LoginState.AWAITING_PASSWORD
            returned = time.monotonic()
            samples.append(returned - _marks(timing)["prompt"])
        finally:
            process.cancel()
    return samples


def post_latency(runs: int, tmp: Path) -> list[float]:
    samples = []
    with LoginManager(sweep_interval=None) as manager:
        registry = SecretPageRegistry(manager)
        with SecretPageServer(registry) as server, httpx.Client(timeout=10) as client:
            assert server.base_url is not None
            for i in range(runs):
                timing = tmp / f"b{i}"
                session = manager.start(fake_argv(), _env(timing), OLARES_ID)
                session.wait_for_prompt(10)
                url = registry.url_for(session.login_id)
                client.get(url)  # warm the connection, as the human's browser already has it
                sent = time.monotonic()
                response = client.post(url, data={"password": PASSWORD}, headers={"Origin": server.base_url})
                assert response.status_code == 200, response.status_code
                samples.append(_marks(timing)["read"] - sent)
    return samples


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as tmp:
        print(_summary("(a) prompt written -> wait_for_prompt returns", prompt_latency(runs, Path(tmp))))
        print(_summary("(b) page POST sent -> fake read the password", post_latency(runs, Path(tmp))))


if __name__ == "__main__":
    main()
