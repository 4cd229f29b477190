"""The simulator by hand (issue 12 item 5): ``POST /__sim/mint`` and ``sim mint`` give a refresh token for a
configured user, so ``profile import`` can be tried end to end against ``sim``."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from olares_auth_mcp.sim import Simulator, main
from tests.sim.test_sim_cli import running_sim


def test_mint_route_gives_a_refresh_token_the_simulator_honours(client: httpx.Client) -> None:
    minted = client.post("/__sim/mint", json={"olaresId": "alice@olares.com"})
    assert minted.status_code == 200
    token = minted.json()["refresh_token"]
    assert isinstance(token, str) and len(token) >= 32
    refreshed = client.post("/api/refresh", json={"refreshToken": token})
    assert refreshed.status_code == 200 and refreshed.json()["status"] == "OK"


@pytest.mark.parametrize(
    ("body", "status"),
    [({"olaresId": "mallory@olares.com"}, 404), ({"olaresId": 7}, 400), ([], 400)],
)
def test_mint_route_refuses_unknown_users_and_bad_bodies(client: httpx.Client, body: object, status: int) -> None:
    answer = client.post("/__sim/mint", json=body)
    assert answer.status_code == status and answer.json()["status"] == "KO"
    assert client.get("/__sim/mint").status_code == 405


def test_sim_mint_prints_the_export_line(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mint", "--url", sim.url, "alice@olares.com"]) == 0
    out, err = capsys.readouterr()
    match = re.fullmatch(r"export OLARES_REFRESH_TOKEN=(\S+)\n", out)
    assert match and err == ""
    assert main(["mint", "--url", sim.url, "mallory@olares.com"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"Error: {sim.url}/__sim/mint: no such user on this simulator\n"


def test_sim_mint_help_says_it_is_a_simulator_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mint", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "simulator token" in text and "not a real secret" in text and "--refresh-token-env" in text


def test_sim_mint_without_a_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mint", "alice@olares.com"]) == 2
    assert "--url" in capsys.readouterr().err


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "olares_auth_mcp", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sim_then_mint_then_profile_import_logs_in(tmp_path: Path) -> None:
    """What the README tells a new user: run sim, paste its export line, mint, import; logged in."""
    env = dict(os.environ)
    env.update(OLARES_CLI_HOME=str(tmp_path / "home"), OLARES_CLI_DATA_DIR=str(tmp_path / "data"))
    with running_sim("--user", "alice@olares.com:P@ssw0rd") as (_proc, lines):
        url = lines.get(timeout=20)
        assert lines.get(timeout=5) == "user alice@olares.com"
        export = lines.get(timeout=5)
        name, _, value = export.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0]
        assert env["OLARES_AUTH_MCP_SERVICE_URL"] == url
        assert lines.get(timeout=5).startswith("# a refresh token to import: ")
        minted = _cli(env, "sim", "mint", "--url", url, "alice@olares.com")
        assert minted.returncode == 0, minted.stderr
        name, _, value = minted.stdout.strip().removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0]
        imported = _cli(
            env,
            "profile",
            "import",
            "--olares-id",
            "alice@olares.com",
            "--refresh-token-env",
            "OLARES_REFRESH_TOKEN",
            "-o",
            "json",
        )
        assert imported.returncode == 0, imported.stderr
        assert json.loads(imported.stdout) == {
            "name": "alice@olares.com",
            "olaresId": "alice@olares.com",
            "switched": True,
            "previous": None,
            "role": "owner",
        }
        assert env["OLARES_REFRESH_TOKEN"] not in imported.stdout + imported.stderr
        status = json.loads(_cli(env, "profile", "status", "-o", "json").stdout)
        assert status["status"] == "logged-in" and status["authHost"] == "auth.alice.olares.com"
        whoami = json.loads(_cli(env, "profile", "whoami", "-o", "json").stdout)
        assert whoami["olaresId"] == "alice@olares.com"
