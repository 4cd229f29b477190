"""``olares-auth-mcp profile list/use/remove`` as a user runs it: real processes, real files (beclab/Olares `cli/cmd/ctl/profile/list.go`, `cli/cmd/ctl/profile/remove.go`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from tests.conftest import cli_env
from tests.helpers import make_jwt


def run(paths: Paths, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "olares_auth_mcp", "profile", *args],
        env=cli_env(paths),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def seeded(store: ConfigStore, vault: BlobVault, paths: Paths) -> Paths:
    now = 1_800_000_000

    def change(config: Config) -> None:
        config.profiles = [Profile("alice@olares.com", backend_version="1.12.6"), Profile("bob@olares.com", name="bob")]
        config.current_profile = "alice@olares.com"

    store.mutate(change)
    vault.set(TokenRecord("alice@olares.com", access_token=make_jwt({"exp": now * 2}), refresh_token="rt"))
    return paths


def test_list_prints_table_and_json(seeded: Paths) -> None:
    table = run(seeded, "list")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[1].startswith("*   alice@olares.com")
    rows = json.loads(run(seeded, "list", "-o", "json").stdout)
    assert rows[0]["status"] == "logged-in" and rows[0]["hasRefreshToken"] is True
    assert rows[1] == {
        "name": "bob",
        "olaresId": "bob@olares.com",
        "status": "never",
        "version": None,
        "current": False,
        "source": "local",
        "expiresInSeconds": None,
        "hasRefreshToken": False,
    }
    assert "rt" not in json.dumps(rows[0]["name"])


def test_list_with_no_profiles(paths: Paths) -> None:
    result = run(paths, "list")
    assert result.stdout == (
        "no profiles configured.\n"
        "run `olares-cli profile login --olares-id <id>` or "
        "`olares-cli profile import --olares-id <id> --refresh-token <tok>` to add one.\n"
    )


def test_tampered_blob_lists_unknown_without_a_warning(seeded: Paths) -> None:
    """olares-cli's `profile list` shows `unknown` and prints nothing on stderr (list.go ``profileStatus``)."""
    (seeded.keychain_dir / "alice_olares.com.enc").write_bytes(b"\0" * 40)
    for args in (("list",), ("list", "-o", "json")):
        result = run(seeded, *args)
        assert result.returncode == 0
        assert "unknown" in result.stdout
        assert result.stderr == ""
    refreshed = run(seeded, "list", "--refresh-version")  # the one warning olares-cli's list does print
    assert refreshed.returncode == 0 and "unknown" in refreshed.stdout
    assert refreshed.stderr.count("\n") == 1
    assert refreshed.stderr.startswith("warning: could not refresh backend version for the current profile: ")


def test_use_and_use_dash(seeded: Paths) -> None:
    assert run(seeded, "use", "bob").stdout == "switched to profile bob (bob@olares.com)\n"
    assert run(seeded, "use", "-").stdout == "switched to profile alice@olares.com (alice@olares.com)\n"


def _usage(verb: str, line: str) -> str:
    return f"Usage:\n  {line}\n\nRun 'olares-auth-mcp profile {verb} --help' for its flags.\n"


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (("use", "ghost"), 'Error: profile "ghost" not found\n'),
        (
            ("use",),
            "Error: accepts 1 arg(s), received 0\n"
            + _usage("use", "olares-auth-mcp profile use <name|olares-id> [flags]"),
        ),
        (
            ("remove", "a", "b"),
            "Error: accepts 1 arg(s), received 2\n"
            + _usage("remove", "olares-auth-mcp profile remove <name|olares-id> [flags]"),
        ),
        (
            ("list", "extra"),
            'Error: unknown command "extra" for "olares-auth-mcp profile list"\n'
            + _usage("list", "olares-auth-mcp profile list [flags]"),
        ),
        (("list", "-o", "yaml"), 'Error: unsupported --output "yaml" (allowed: table, json)\n'),
    ],
)
def test_errors_exit_1_and_argument_errors_show_usage(seeded: Paths, args: tuple[str, ...], stderr: str) -> None:
    """olares-cli's error line first, byte for byte; an argument error is followed by the usage (cobra)."""
    before = (seeded.home / "config.json").read_bytes()
    result = run(seeded, *args)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", stderr)
    assert (seeded.home / "config.json").read_bytes() == before


def test_use_dash_without_previous(seeded: Paths) -> None:
    result = run(seeded, "use", "-")
    assert (result.returncode, result.stderr) == (1, "Error: no previous profile to switch back to\n")


def test_corrupt_config_is_reported_not_overwritten(seeded: Paths) -> None:
    (seeded.home / "config.json").write_text("{oops")
    result = run(seeded, "use", "bob")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: parse {seeded.home / 'config.json'}: ")
    assert (seeded.home / "config.json").read_text() == "{oops"


def test_remove_prints_olares_cli_lines(seeded: Paths) -> None:
    result = run(seeded, "remove", "alice@olares.com")
    assert result.stdout == "removed profile alice@olares.com (alice@olares.com)\ncurrent profile is now: bob\n"
    assert not (seeded.keychain_dir / "alice_olares.com.enc").exists()


def test_hostile_token_spoils_only_its_own_row(seeded: Paths, vault: BlobVault) -> None:
    """A token nesting 600 deep (a hostile server's grant) lists as unparseable; the other profiles still list."""
    nested = '{"exp":1,"x":' + "[" * 600 + "]" * 600 + "}"
    vault.set(TokenRecord("bob@olares.com", access_token=make_jwt(payload=nested), refresh_token="rt"))
    result = run(seeded, "list")
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert "logged-in  " in lines[1] and lines[1].startswith("*   alice@olares.com")
    assert "logged-in (unparseable token)" in lines[2]
    rows = json.loads(run(seeded, "list", "-o", "json").stdout)
    assert [row["status"] for row in rows] == ["logged-in", "logged-in (unparseable token)"]


@pytest.mark.parametrize(
    "content",
    ['{"profiles":[],"x":' + "[" * 500 + "]" * 500 + "}", '{"pad":"' + "a" * (5 * 2**20) + '"}'],
    ids=["nested-500", "5MiB"],
)
def test_hostile_config_is_one_error_line(seeded: Paths, content: str) -> None:
    (seeded.home / "config.json").write_text(content)
    result = run(seeded, "list")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: parse {seeded.home / 'config.json'}: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


OSC52 = "\x1b]52;c;aGVsbG8=\x07"


def test_alias_with_an_osc52_sequence_prints_escaped(seeded: Paths) -> None:
    """An alias an older tool saved with an OSC 52 clipboard write, C1 CSI and bidi characters prints as escapes."""
    config = (seeded.home / "config.json").read_text()
    evil = f"{OSC52}bob\u202e\u200b\x9b2J"
    (seeded.home / "config.json").write_text(config.replace('"name": "bob"', f'"name": {json.dumps(evil)}'))
    for args in (("list",), ("list", "-o", "json"), ("use", evil), ("remove", evil)):
        result = run(seeded, *args)
        assert result.returncode == 0, result.stderr
        out = result.stdout + result.stderr
        for raw in ("\x1b", "\x07", "\x9b", "\u202e", "\u200b"):
            assert raw not in out, (args, raw)
        if args == ("list",):
            assert "\\x1b]52;c;aGVsbG8=\\x07bob\\u202e\\u200b\\x9b2J" in result.stdout
    assert run(seeded, "list").stdout.splitlines()[1].startswith("*   alice@olares.com")


def test_error_messages_print_escaped(seeded: Paths) -> None:
    result = run(seeded, "use", f"ghost{OSC52}\u202e")
    assert result.returncode == 1
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert result.stderr == 'Error: profile "ghost\\x1b]52;c;aGVsbG8=\\x07\\u202e" not found\n'


def test_a_profile_without_olares_id_is_listed_unknown_and_named_by_its_alias(paths: Paths) -> None:
    """olares-cli lists it with an empty OLARES-ID cell and status unknown, nothing on stderr (list.go)."""
    paths.home.mkdir(parents=True)
    paths.config_file.write_text(
        '{"currentProfile":"alice@olares.com","profiles":[{"olaresId":"alice@olares.com"},{"name":"ghost"},null]}'
    )
    listed = run(paths, "list")
    assert (listed.returncode, listed.stderr) == (0, "")
    assert listed.stdout == (
        "    NAME              OLARES-ID         STATUS   VERSION\n"
        "*   alice@olares.com  alice@olares.com  never    -\n"
        "    ghost                               unknown  -\n"
        "                                        unknown  -\n"
    )
    rows = json.loads(run(paths, "list", "-o", "json").stdout)
    assert [(r["name"], r["olaresId"], r["status"]) for r in rows] == [
        ("alice@olares.com", "alice@olares.com", "never"),
        ("ghost", "", "unknown"),
        ("", "", "unknown"),
    ]
    assert run(paths, "use", "ghost").stdout == "switched to profile ghost ()\n"
    removed = run(paths, "remove", "ghost")
    assert (removed.returncode, removed.stderr) == (0, "")
    assert removed.stdout == (
        "warning: failed to clear stored token for : olaresID is required\n"
        "removed profile ghost ()\n"
        "current profile is now: alice@olares.com\n"
    )
    assert json.loads(paths.config_file.read_text())["profiles"] == [
        {"olaresId": "alice@olares.com"},
        {"olaresId": ""},
    ]
    empty = run(paths, "use", "")
    assert (empty.returncode, empty.stderr) == (1, 'Error: profile "" not found\n')
