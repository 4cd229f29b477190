"""Each CLI verb imports only what it uses: the local verbs never load the HTTP stack (issue: start-up cost)."""

from __future__ import annotations

import json
import subprocess
import sys

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from tests.conftest import cli_env
from tests.helpers import make_jwt

PROBE = """
import json, sys
from olares_auth_mcp.__main__ import main
code = main(sys.argv[1:])
sys.stdout.flush()
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"httpx", "httpcore", "ssl", "anyio", "mcp", "h11"})
print("\\nMODULES " + json.dumps({"code": code, "heavy": heavy}))
"""


def _probe(paths: Paths, probe: str, marker: str, *argv: str) -> dict[str, object]:
    """Run the CLI with ``argv`` in a fresh interpreter under ``probe``; the JSON it prints after ``marker``."""
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        env=cli_env(paths),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith(marker))
    result: dict[str, object] = json.loads(line.removeprefix(marker))
    return result


def _loaded(paths: Paths, *argv: str) -> dict[str, object]:
    return _probe(paths, PROBE, "MODULES ", *argv)


def _seed(paths: Paths, vault: BlobVault) -> None:
    ConfigStore(paths).mutate(lambda c: (c.upsert(Profile("alice@olares.com")), c.set_current("alice@olares.com")))
    vault.set(
        TokenRecord("alice@olares.com", access_token=make_jwt({"exp": 4102444800}), refresh_token="rt-alice-0001")
    )


def test_profile_list_does_not_import_the_http_stack(paths: Paths, vault: BlobVault) -> None:
    _seed(paths, vault)
    assert _loaded(paths, "profile", "list") == {"code": 0, "heavy": []}
    assert _loaded(paths, "profile", "list", "-o", "json") == {"code": 0, "heavy": []}


def test_profile_use_and_help_do_not_import_the_http_stack(paths: Paths, vault: BlobVault) -> None:
    _seed(paths, vault)
    assert _loaded(paths, "profile", "use", "alice@olares.com") == {"code": 0, "heavy": []}
    assert _loaded(paths, "profile", "--help") == {"code": 0, "heavy": []}


def test_network_verbs_still_get_their_imports(paths: Paths, vault: BlobVault) -> None:
    """The probe can see httpx when a verb loads it (so the tests above can fail)."""
    _seed(paths, vault)
    result = _loaded(paths, "profile", "whoami")
    assert "httpx" in result["heavy"]  # type: ignore[operator]


RUNS_PROBE = """
import json, sys
from olares_auth_mcp.__main__ import main
code = main(sys.argv[1:])
sys.stdout.flush()
from olares_auth_mcp.auth import gojson
print("\\nRUNS " + json.dumps({"code": code, "compiled": gojson._runs.cache_info().currsize}))
"""


def _compiled_runs(paths: Paths, *argv: str) -> dict[str, object]:
    return _probe(paths, RUNS_PROBE, "RUNS ", *argv)


def test_a_valid_config_never_compiles_the_syntax_error_scanner(paths: Paths, vault: BlobVault) -> None:
    """Go-worded syntax errors need large regexes (~50 ms to compile); only a broken config.json pays for them."""
    _seed(paths, vault)
    assert _compiled_runs(paths, "profile", "list") == {"code": 0, "compiled": 0}
    paths.config_file.write_bytes(b'{"profiles": [{"olaresId": "alice@olares.com"},]}')
    broken = _compiled_runs(paths, "profile", "list")
    assert broken["code"] == 1 and broken["compiled"] > 0  # type: ignore[operator]  # the probe sees a compile
