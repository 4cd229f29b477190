"""The habits people expect of a CLI (issue 12 item 3): --version, cobra's "Did you mean this?", usage on
argument errors, close names after "not found", ``profile status``, ``-o json`` and a quiet closed pipe."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from olares_auth_mcp import __version__
from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.cli._args import suggestions
from olares_auth_mcp.sim import Simulator
from tests.conftest import cli_env, run_cli
from tests.helpers import make_jwt

NOW = 1_800_000_000


run = run_cli


@pytest.fixture
def seeded(store: ConfigStore, vault: BlobVault, paths: Paths) -> Paths:
    def change(config: Config) -> None:
        config.profiles = [
            Profile("alice@olares.com", backend_version="1.12.6"),
            Profile("bob@olares.com", name="work", auth_url_override="https://auth.example.test/"),
        ]
        config.current_profile = "alice@olares.com"

    store.mutate(change)
    exp = 4_000_000_000
    vault.set(TokenRecord("alice@olares.com", access_token=make_jwt({"exp": exp}), refresh_token="rt-canary-123"))
    return paths


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(paths: Paths, flag: str) -> None:
    result = run(paths, flag)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"olares-auth-mcp {__version__}\n", "")


def test_unknown_profile_command_suggests_like_cobra(paths: Paths) -> None:
    result = run(paths, "profile", "lst")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(
        'Error: unknown command "lst" for "olares-auth-mcp profile"\n\nDid you mean this?\n\tlist\n'
    )
    assert result.stderr.endswith("\n\nRun 'olares-auth-mcp profile --help' for usage.\n")


def test_unknown_top_level_command_suggests_like_cobra(paths: Paths) -> None:
    result = run(paths, "profle")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        'Error: unknown command "profle" for "olares-auth-mcp"\n\nDid you mean this?\n\tprofile\n\n'
        "Run 'olares-auth-mcp --help' for usage.\n"
    )
    far = run(paths, "xyzzy")
    assert (
        far.stderr
        == 'Error: unknown command "xyzzy" for "olares-auth-mcp"\nRun \'olares-auth-mcp --help\' for usage.\n'
    )


def test_suggestions_follow_cobra_distance_and_prefix() -> None:
    assert suggestions("lst", ["list", "login", "import"]) == ["list"]
    assert suggestions("imp", ["list", "import"]) == ["import"]  # a prefix
    assert suggestions("LIST", ["list"]) == ["list"]  # case-insensitive
    assert suggestions("remve", ["remove", "use"]) == ["remove"]
    assert suggestions("zzzzzz", ["list", "use"]) == []


@pytest.mark.parametrize("verb", ["use", "remove"])
def test_use_and_remove_help_name_one_key(paths: Paths, verb: str) -> None:
    result = run(paths, "profile", verb, "--help")
    assert result.returncode == 0
    assert f"olares-auth-mcp profile {verb} <name|olares-id>" in result.stdout
    assert "[key ...]" not in result.stdout and "key" not in result.stdout.split()


@pytest.mark.parametrize("verb", ["use", "remove"])
def test_not_found_keeps_olares_cli_line_first_then_close_names(seeded: Paths, verb: str) -> None:
    before = (seeded.home / "config.json").read_bytes()
    result = run(seeded, "profile", verb, "alice")
    assert (result.returncode, result.stdout) == (1, "")
    first, _, rest = result.stderr.partition("\n")
    assert first == 'Error: profile "alice" not found'  # olares-cli's line, byte for byte
    assert rest == "\nDid you mean this?\n\talice@olares.com\n"
    assert (seeded.home / "config.json").read_bytes() == before
    alias = run(seeded, "profile", verb, "wrok")
    assert alias.stderr == 'Error: profile "wrok" not found\n\nDid you mean this?\n\twork\n'


def test_use_and_remove_json(seeded: Paths) -> None:
    used = run(seeded, "profile", "use", "work", "-o", "json")
    assert used.returncode == 0, used.stderr
    assert json.loads(used.stdout) == {"name": "work", "olaresId": "bob@olares.com", "previous": "alice@olares.com"}
    removed = run(seeded, "profile", "remove", "work", "-o", "json")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout) == {
        "removed": {"name": "work", "olaresId": "bob@olares.com"},
        "current": "alice@olares.com",
        "remaining": 1,
        "warnings": [],
    }


def test_status_shows_identity_host_status_expiry_and_storage(seeded: Paths) -> None:
    result = run(seeded, "profile", "status", OLARES_AUTH_MCP_SERVICE_URL="http://127.0.0.1:9")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "alice@olares.com (current profile)"
    text = result.stdout
    assert "auth host:      auth.alice.olares.com" in text  # the configured destination, not the test rig
    assert "STATUS:         logged-in" in text
    assert "expires:        in " in text
    assert f"file vault in {seeded.keychain_dir}" in text
    assert "rt-canary-123" not in text and "127.0.0.1" not in text
    data = json.loads(run(seeded, "profile", "status", "-o", "json").stdout)
    assert data["olaresId"] == "alice@olares.com" and data["status"] == "logged-in"
    assert data["authHost"] == "auth.alice.olares.com" and data["vaultBackend"] == "file"
    assert data["expiresInSeconds"] > 0 and data["hasRefreshToken"] is True


def test_status_of_another_profile_and_of_none(seeded: Paths, paths: Paths) -> None:
    other = json.loads(run(seeded, "profile", "status", "--profile", "work", "-o", "json").stdout)
    assert other["olaresId"] == "bob@olares.com" and other["current"] is False
    assert other["authHost"] == "auth.example.test" and other["status"] == "never"
    missing = run(seeded, "profile", "status", "--profile", "alice")
    assert missing.returncode == 1
    assert missing.stderr == 'Error: profile "alice" not found\n\nDid you mean this?\n\talice@olares.com\n'


def test_status_without_profiles(paths: Paths) -> None:
    result = run(paths, "profile", "status")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no Olares profile is configured")


@pytest.mark.parametrize(("command", "read"), [("profile list", 0), ("demo", 0), ("demo", 4)])
def test_a_closed_pipe_ends_quietly(seeded: Paths, command: str, read: int) -> None:
    """``… | head -N``: the reader goes away early (for the demo also mid-story, inside its task group);
    no BrokenPipe traceback, a prompt exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "olares_auth_mcp", *command.split()],
        env=cli_env(seeded),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    for _ in range(read):
        proc.stdout.readline()
    proc.stdout.close()  # `| head -N` exits
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (0, 1)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_login_json_names_the_profile_and_no_token(paths: Paths, olares_sim: Simulator, vault: BlobVault) -> None:
    from tests.conftest import ALICE, ALICE_PASSWORD

    login = ("profile", "login", "--olares-id", ALICE, "--password-stdin", "-o", "json")
    result = subprocess.run(
        [sys.executable, "-m", "olares_auth_mcp", *login],
        env=cli_env(paths, OLARES_AUTH_MCP_SERVICE_URL=olares_sim.url),
        input=ALICE_PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {"name": ALICE, "olaresId": ALICE, "switched": True, "previous": None, "role": "owner"}
    record = vault.get(ALICE)
    assert record.refresh_token not in result.stdout and record.access_token not in result.stdout
