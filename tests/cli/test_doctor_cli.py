"""``olares-auth-mcp doctor`` as a user runs it: a real process on real files, plain and live, table and JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.sim import Simulator
from tests.conftest import ALICE, run_cli
from tests.helpers import make_jwt
from tests.hostile import HostileServer
from tests.tools.conftest import CANARY_ACCESS, CANARY_REFRESH, EXPIRED_REFRESH, seed_every_status
from tests.tools.test_doctor_tool import rejects_then_quotes


def doctor(paths: Paths, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(paths, "doctor", *args, **env)


@pytest.fixture
def alice(paths: Paths, vault: BlobVault, olares_sim: Simulator) -> str:
    access, refresh = olares_sim.issue_tokens(ALICE)
    ConfigStore(paths).mutate(lambda c: (c.upsert(Profile(ALICE)), c.set_current(ALICE)))
    vault.set(TokenRecord(ALICE, access_token=access, refresh_token=refresh))
    return olares_sim.url


def test_a_healthy_machine_exits_0_and_says_so_per_check(paths: Paths, alice: str) -> None:
    done = doctor(paths)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("ok") and "config.parse" in line for line in lines)
    assert any(line.startswith("skip") and "session.reach" in line for line in lines)
    assert "add --live" in done.stdout


def test_live_json_reports_the_grant_and_the_hosts(paths: Paths, alice: str) -> None:
    done = doctor(paths, "--live", "-o", "json", OLARES_AUTH_MCP_SERVICE_URL=alice)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    checks = {f["check"]: f for f in report["findings"]}
    assert report["live"] is True and report["profile"] == ALICE and report["session"] is None
    assert checks["grant"]["status"] == checks["dns.auth"]["status"] == checks["clock"]["status"] == "ok"
    assert checks["session.reach"]["status"] == "skipped"


def test_a_failing_check_exits_1_with_its_fix(paths: Paths, alice: str) -> None:
    paths.config_file.write_text("{nope")
    done = doctor(paths)
    assert done.returncode == 1
    assert f"parse {paths.config_file}:" in done.stdout and "fix: repair the JSON" in done.stdout


def test_fixes_are_commands_for_a_human(paths: Paths, vault: BlobVault, alice: str, tmp_path: Path) -> None:
    (paths.keychain_dir / "alice_olares.com.enc").write_bytes(b"\x01" * 40)
    (tmp_path / "empty-bin").mkdir()
    done = doctor(paths, PATH=str(tmp_path / "empty-bin"))  # no olares-cli on PATH: our own CLI is named
    assert f"fix: olares-auth-mcp profile login --olares-id {ALICE}" in done.stdout
    assert "start_login" not in done.stdout


def test_bad_usage_is_an_error(paths: Paths) -> None:
    done = doctor(paths, "-o", "yaml")
    assert done.returncode != 0 and 'unsupported --output "yaml"' in done.stderr


def test_names_from_files_cannot_drive_the_terminal(paths: Paths, vault: BlobVault) -> None:
    evil = "eve\x1b]52;c;aGk=\x07@olares.com"
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile(evil)))
    vault.set(TokenRecord(evil, access_token=make_jwt({"exp": 1})))
    (paths.keychain_dir / "eve__52_c_aGk___olares.com.enc").write_bytes(b"\x00" * 40)
    done = doctor(paths)
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\\x1b]52" in done.stdout


def test_no_token_in_any_cli_output_plain_or_live(paths: Paths, vault: BlobVault) -> None:
    """Canary: stored tokens, and the live profile's refresh token quoted back by a hostile server."""
    seed_every_status(paths, vault)
    with HostileServer(rejects_then_quotes) as echo:
        runs = [
            doctor(paths, *args, OLARES_AUTH_MCP_SERVICE_URL=echo.url)
            for args in ([], ["-o", "json"], ["--live"], ["--live", "--profile", "stale@olares.com", "-o", "json"])
        ]
        quoted = [seen.body.decode() for seen in echo.requests_to("/api/refresh")]
    assert any(EXPIRED_REFRESH in body for body in quoted)
    assert "[redacted]" in runs[3].stdout
    for done in runs:
        for secret in (CANARY_ACCESS, CANARY_REFRESH, EXPIRED_REFRESH):
            assert secret not in done.stdout and secret not in done.stderr
