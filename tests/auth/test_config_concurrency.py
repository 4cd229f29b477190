"""16 processes × 50 concurrent writes to one config.json: no profile lost, the file always valid JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths

WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from olares_auth_mcp.auth.config import ConfigStore, Profile
    from olares_auth_mcp.auth.paths import Paths
    from olares_auth_mcp.auth.profiles import cache_backend_version, use_profile

    home, index, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    store = ConfigStore(Paths(home=home, keychain_dir=home / "k"), lock_timeout=60)
    me = f"w{index}@olares.com"
    store.mutate(lambda c: c.upsert(Profile(me)))
    for n in range(rounds):
        if n % 2:
            use_profile(store, me if n % 4 == 1 else "base@olares.com")
        else:
            cache_backend_version(store, me, f"1.{index}.{n}", now=1_800_000_000 + n)
    """
)


@pytest.mark.slow
def test_sixteen_processes_never_lose_a_profile(paths: Paths) -> None:
    store = ConfigStore(paths)
    store.mutate(lambda c: c.upsert(Profile("base@olares.com")))
    workers, rounds = 16, 50
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(paths.home), str(i), str(rounds)]) for i in range(workers)
    ]
    reads = 0
    deadline = time.monotonic() + 120
    while any(p.poll() is None for p in procs):
        assert time.monotonic() < deadline, "workers did not finish in time"
        json.loads(paths.config_file.read_text())  # every intermediate state is a whole, valid document
        reads += 1
    assert [p.wait(timeout=5) for p in procs] == [0] * workers
    config = store.load()
    ids = sorted(p.olares_id for p in config.profiles)
    assert ids == sorted(["base@olares.com"] + [f"w{i}@olares.com" for i in range(workers)])
    for i in range(workers):
        profile = config.find_by_olares_id(f"w{i}@olares.com")
        assert profile is not None
        assert profile.backend_version == f"1.{i}.{rounds - 2}", "the last cache write of each worker survived"
    assert config.current() is not None
    assert reads > 0
