"""``profile login``/``import``/``whoami``/``list --refresh-version`` end to end: a real pty, the real CLI,
the simulator over HTTP (beclab/Olares `cli/pkg/auth/login.go`, `cli/cmd/ctl/profile/import.go`, `cli/pkg/cmdutil/olares_version.go`, `cli/cmd/ctl/profile/whoami.go`)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pexpect
import pyotp
import pytest

from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.errors import TokenNotFound
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import BlobVault
from tests.conftest import ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD, BOB_TOTP, cli_env

if TYPE_CHECKING:  # the simulator is imported where it starts
    from olares_auth_mcp.sim import Simulator


@pytest.fixture
def env(paths: Paths, olares_sim: Simulator) -> dict[str, str]:
    return cli_env(paths, OLARES_AUTH_MCP_SERVICE_URL=olares_sim.url)


def spawn(env: dict[str, str], *args: str) -> pexpect.spawn[str]:
    return pexpect.spawn(
        sys.executable, ["-m", "olares_auth_mcp", "profile", *args], env=env, encoding="utf-8", timeout=20
    )


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "olares_auth_mcp", "profile", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def finish(child: pexpect.spawn[str]) -> tuple[str, int]:
    child.expect(pexpect.EOF)
    child.close()
    assert child.before is not None and child.exitstatus is not None, child.signalstatus
    return child.before, child.exitstatus


def test_password_login_through_a_pty(
    env: dict[str, str], store: ConfigStore, vault: BlobVault, olares_sim: Simulator
) -> None:
    child = spawn(env, "login", "--olares-id", ALICE)
    child.expect_exact(f"password for {ALICE}: ")
    assert child.waitnoecho(5), "the password prompt turns echo off"  # type: ignore[func-returns-value]  # types-pexpect says None; pexpect returns a bool
    child.sendline(ALICE_PASSWORD)
    output, status = finish(child)
    assert status == 0, output
    assert ALICE_PASSWORD not in output
    assert output.replace("\r\n", "\n").splitlines()[1:] == [
        f"logged in as {ALICE} (profile: {ALICE})",
        f"switched current profile to {ALICE}",
        f'token stored via file (service "olares-cli", account "{ALICE}").',
        "role: Owner",
    ]
    profile = store.load().profiles[0]
    assert (profile.owner_role, profile.backend_version) == ("owner", "1.12.6")
    assert profile.whoami_refreshed_at > 0 and profile.backend_version_refreshed_at > 0
    record = vault.get(ALICE)
    assert record.refresh_token and record.access_token.count(".") == 2
    assert olares_sim.hits("/api/firstfactor") == 1


def test_totp_login_prompts_and_logs_in_twice(
    env: dict[str, str], store: ConfigStore, vault: BlobVault, olares_sim: Simulator
) -> None:
    """Interactive 2FA: the first factor runs again from scratch after the code is read (two firstfactor POSTs)."""
    child = spawn(env, "login", "--olares-id", BOB, "--name", "bob")
    child.expect_exact(f"password for {BOB}: ")
    child.sendline(BOB_PASSWORD)
    child.expect_exact(f"two-factor code for {BOB}: ")
    child.sendline(pyotp.TOTP(BOB_TOTP).now())
    output, status = finish(child)
    assert status == 0, output
    assert f"logged in as {BOB} (profile: bob)" in output
    assert "role: User" in output
    assert olares_sim.hits("/api/firstfactor") == 2
    assert olares_sim.hits("/api/secondfactor/totp") == 1
    assert store.load().current_profile == "bob"


def test_totp_flag_skips_the_prompt(env: dict[str, str], olares_sim: Simulator) -> None:
    result = run(
        env,
        "login",
        "--olares-id",
        BOB,
        "--password-stdin",
        "--totp",
        pyotp.TOTP(BOB_TOTP).now(),
        stdin=BOB_PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert olares_sim.hits("/api/firstfactor") == 1


@pytest.mark.parametrize(
    ("args", "stdin", "error"),
    [
        (
            ("--olares-id", BOB, "--password-stdin"),
            BOB_PASSWORD + "\n",
            "Error: two-factor authentication required: re-run with --totp <code>\n",
        ),
        (("--olares-id", ALICE, "--password-stdin"), "\n", "Error: password is empty\n"),
        (
            ("--olares-id", ALICE),
            "",
            "Error: stdin is not a terminal; pass --password-stdin and pipe the password instead\n",
        ),
        (("--password-stdin",), "x\n", "Error: --olares-id is required\n"),
        (("--olares-id", "a@b@c", "--password-stdin"), "x\n", "Error: olaresId \"a@b@c\" contains more than one '@'\n"),
        (("--olares-id", ALICE, "--password", "x"), "", None),
    ],
)
def test_login_input_errors_change_nothing(
    env: dict[str, str], paths: Paths, args: tuple[str, ...], stdin: str, error: str | None
) -> None:
    result = run(env, "login", *args, stdin=stdin)
    assert result.returncode == 1
    if error is not None:
        assert result.stderr == error
    assert not paths.config_file.exists()


def test_wrong_password_is_reported_and_nothing_written(env: dict[str, str], paths: Paths, vault: BlobVault) -> None:
    result = run(env, "login", "--olares-id", ALICE, "--password-stdin", stdin="wrong\n")
    assert result.returncode == 1
    assert result.stderr.startswith('Error: /api/firstfactor returned HTTP 401: server said: "{')
    assert "wrong" not in result.stderr
    assert not paths.config_file.exists()
    with pytest.raises(TokenNotFound):
        vault.get(ALICE)


def _wrong_code() -> str:
    return "000000" if pyotp.TOTP(BOB_TOTP).now() != "000000" else "111111"


def test_wrong_totp_three_times_fails_with_olares_clis_error(
    env: dict[str, str], paths: Paths, olares_sim: Simulator
) -> None:
    """Three wrong codes: asked again twice (our stderr line after each), then olares-cli's own error."""
    child = spawn(env, "login", "--olares-id", BOB)
    child.expect_exact(f"password for {BOB}: ")
    child.sendline(BOB_PASSWORD)
    for left in ("2 tries", "1 try"):
        child.expect_exact(f"two-factor code for {BOB}: ")
        child.sendline(_wrong_code())
        child.expect_exact(f"That code didn't work. {left} left.\r\n")
    child.expect_exact(f"two-factor code for {BOB}: ")
    child.sendline(_wrong_code())
    output, status = finish(child)
    assert status == 1
    lines = output.replace("\r\n", "\n").splitlines()
    assert lines[-1].startswith("Error: /api/secondfactor/totp returned HTTP 401: server said: ")
    assert "password for" not in output
    assert olares_sim.hits("/api/firstfactor") == 2
    assert olares_sim.hits("/api/secondfactor/totp") == 3
    assert not paths.config_file.exists()


def test_wrong_totp_then_right_one_logs_in_without_the_password_again(
    env: dict[str, str], store: ConfigStore, olares_sim: Simulator
) -> None:
    child = spawn(env, "login", "--olares-id", BOB)
    child.expect_exact(f"password for {BOB}: ")
    child.sendline(BOB_PASSWORD)
    child.expect_exact(f"two-factor code for {BOB}: ")
    child.sendline(_wrong_code())
    child.expect_exact("That code didn't work. 2 tries left.\r\n")
    child.expect_exact(f"two-factor code for {BOB}: ")
    child.sendline(pyotp.TOTP(BOB_TOTP).now())
    output, status = finish(child)
    assert status == 0, output
    assert f"logged in as {BOB} (profile: {BOB})" in output
    assert "password for" not in output  # asked once, before the first code
    assert olares_sim.hits("/api/firstfactor") == 2  # olares-cli's two (from scratch after the prompt), no third
    assert olares_sim.hits("/api/secondfactor/totp") == 2
    assert store.load().profiles[0].olares_id == BOB


def test_server_down_is_a_transport_error(paths: Paths) -> None:
    env = cli_env(paths, OLARES_AUTH_MCP_SERVICE_URL="http://127.0.0.1:9")
    result = run(env, "login", "--olares-id", ALICE, "--password-stdin", stdin="x\n")
    assert result.returncode == 1
    assert result.stderr.startswith(
        'Error: /api/firstfactor: Post "http://127.0.0.1:9/api/firstfactor?hideCookie=true": '
    )


def test_second_login_is_refused_before_any_prompt(env: dict[str, str]) -> None:
    assert run(env, "login", "--olares-id", ALICE, "--password-stdin", stdin=ALICE_PASSWORD + "\n").returncode == 0
    result = run(env, "login", "--olares-id", ALICE, "--password-stdin", stdin=ALICE_PASSWORD + "\n")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: already authenticated for {ALICE} (expires in 23h59m).\n")
    assert result.stderr.endswith(f"to re-authenticate, run: olares-cli profile remove {ALICE}\n")


def test_import_from_an_environment_variable(
    env: dict[str, str], olares_sim: Simulator, vault: BlobVault, store: ConfigStore
) -> None:
    _, refresh = olares_sim.issue_tokens(ALICE)
    result = run({**env, "OLARES_RT": refresh}, "import", "--olares-id", ALICE, "--refresh-token-env", "OLARES_RT")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"imported credentials for {ALICE} (profile: {ALICE})"
    assert refresh not in result.stdout + result.stderr
    assert olares_sim.hits("/api/refresh") == 1
    assert vault.get(ALICE).refresh_token != refresh  # rotated by the server
    assert store.load().profiles[0].owner_role == "owner"


def test_import_with_rejected_token_writes_nothing(env: dict[str, str], paths: Paths) -> None:
    result = run(env, "import", "--olares-id", ALICE, "--refresh-token", "bogus")
    assert result.returncode == 1
    assert result.stderr.startswith(
        'Error: refresh token rejected by server: /api/refresh returned HTTP 401: server said: "{'
    )
    assert not paths.config_file.exists()


@pytest.mark.parametrize(
    ("args", "extra_env", "error"),
    [
        (("--olares-id", ALICE), {}, "Error: --refresh-token is required\n"),
        (
            ("--olares-id", ALICE, "--refresh-token", "-x"),
            {},
            "Error: argument --refresh-token: expected one argument\n"  # a flag error: cobra's usage follows
            "Usage:\n  olares-auth-mcp profile import --olares-id ID --refresh-token-env NAME [flags]\n\n"
            "Run 'olares-auth-mcp profile import --help' for its flags.\n",
        ),
        ((), {}, "Error: --refresh-token is required\n"),
        (
            ("--olares-id", ALICE, "--refresh-token-env", "MISSING"),
            {},
            'Error: environment variable "MISSING" is empty or not set\n',
        ),
    ],
)
def test_import_usage_errors(env: dict[str, str], args: tuple[str, ...], extra_env: dict[str, str], error: str) -> None:
    result = run({**env, **extra_env}, "import", *args)
    assert (result.returncode, result.stderr) == (1, error)


def test_whoami_cache_then_server(env: dict[str, str], olares_sim: Simulator) -> None:
    assert run(env, "login", "--olares-id", ALICE, "--password-stdin", stdin=ALICE_PASSWORD + "\n").returncode == 0
    cached = run(env, "whoami")
    assert cached.stdout.splitlines()[0] == f"{ALICE} — Owner"
    assert cached.stdout.splitlines()[1].startswith("from cache, refreshed ")
    fresh = json.loads(run(env, "whoami", "--refresh", "-o", "json").stdout)
    assert fresh["source"] == "server" and fresh["role"] == "owner" and fresh["olaresId"] == ALICE
    assert run(env, "whoami", "-o", "yaml").returncode == 1


def test_whoami_without_profiles(env: dict[str, str]) -> None:
    result = run(env, "whoami")
    assert result.stderr.startswith("Error: no Olares profile is configured: ")


def test_list_refresh_version(env: dict[str, str], olares_sim: Simulator, store: ConfigStore) -> None:
    assert run(env, "login", "--olares-id", ALICE, "--password-stdin", stdin=ALICE_PASSWORD + "\n").returncode == 0
    store.mutate(lambda c: setattr(c.profiles[0], "backend_version", "0.0.1"))
    result = run(env, "list", "--refresh-version")
    assert "1.12.6" in result.stdout and result.stderr == ""
    olares_sim.inject("/api/olares-info", status=500, body="{}")
    result = run(env, "list", "--refresh-version")
    assert result.returncode == 0
    assert result.stderr.startswith("warning: could not refresh backend version for the current profile: ")
    assert "alice@olares.com" in result.stdout


def test_import_through_a_pty(env: dict[str, str], olares_sim: Simulator, vault: BlobVault) -> None:
    """The import verb driven like a user's terminal (pexpect), token from the environment."""
    _, refresh = olares_sim.issue_tokens(ALICE)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "olares_auth_mcp", "profile", "import", "--olares-id", ALICE, "--refresh-token-env", "RT"],
        env={**env, "RT": refresh},
        encoding="utf-8",
        timeout=20,
    )
    output, status = finish(child)
    assert status == 0, output
    lines = output.replace("\r\n", "\n").splitlines()
    assert lines[:4] == [
        f"imported credentials for {ALICE} (profile: {ALICE})",
        f"switched current profile to {ALICE}",
        f'token stored via file (service "olares-cli", account "{ALICE}").',
        "role: Owner",
    ]
    assert refresh not in output
    assert vault.get(ALICE).refresh_token and olares_sim.hits("/api/refresh") == 1


# --- trust boundary: IDs, names and server strings ------------------------------------------------------------


@pytest.mark.parametrize(
    ("olares_id", "reason"),
    [
        ("alice_olares.com", "write it in full, as name@domain"),
        ("alice#x@olares.com", "the name and each part of the domain must be letters, digits and inner hyphens"),
        ("two-factor code for b@olares.com", "the name and each part"),
        ("alice@olares.com\x1b]52;c;aGk=\x07", "the name and each part"),
    ],
)
def test_login_and_import_refuse_an_invalid_olares_id_before_anything(
    env: dict[str, str], paths: Paths, olares_sim: Simulator, olares_id: str, reason: str
) -> None:
    """olares-cli's rule (hostname labels) is checked before a password is read or a token sent (R4)."""
    for args, stdin in (
        (("login", "--olares-id", olares_id, "--password-stdin"), ALICE_PASSWORD + "\n"),
        (("import", "--olares-id", olares_id, "--refresh-token", "rt-x"), None),
    ):
        result = run(env, *args, stdin=stdin)
        assert result.returncode == 1
        assert result.stderr.startswith("Error: olaresId ") and reason in result.stderr
        assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr
    assert olares_sim.hits("/api/firstfactor") == 0 and olares_sim.hits("/api/refresh") == 0
    assert not paths.config_file.exists()


@pytest.mark.parametrize("name", [ALICE, "work"])
def test_an_alias_another_profile_has_is_refused_before_anything(
    env: dict[str, str], paths: Paths, olares_sim: Simulator, vault: BlobVault, name: str
) -> None:
    """One name, one profile (R5): login/import with --name equal to another profile's ID or alias writes nothing."""
    login = ("login", "--olares-id", ALICE, "--name", "work", "--password-stdin")
    assert run(env, *login, stdin=ALICE_PASSWORD + "\n").returncode == 0
    before = paths.config_file.read_bytes()
    olares_sim.reset_counters()
    _, refresh = olares_sim.issue_tokens(BOB)
    for args, stdin in (
        (("login", "--olares-id", BOB, "--name", name, "--password-stdin"), BOB_PASSWORD + "\n"),
        (("import", "--olares-id", BOB, "--name", name, "--refresh-token-env", "RT"), None),
    ):
        result = run({**env, "RT": refresh}, *args, stdin=stdin)
        assert result.returncode == 1
        assert result.stderr == (
            f'Error: name "{name}" is already the {"Olares ID" if name == ALICE else "name"} of profile '
            f'"{ALICE}"; choose another --name\n'
        )
    assert olares_sim.hits("/api/firstfactor") == 0 and olares_sim.hits("/api/refresh") == 0
    assert paths.config_file.read_bytes() == before
    with pytest.raises(TokenNotFound):
        vault.get(BOB)


EVIL_ROLE = "\x1b]52;c;aGVsbG8=\x07owner\u202e"
EVIL_VERSION = "1.12.6-" + "a" * 5000


@pytest.fixture
def hostile_sim() -> Iterator[Simulator]:
    """An Olares-like server whose user-info role and osVersion are hostile strings."""
    from olares_auth_mcp.sim import Simulator, SimUser

    sim = Simulator([SimUser(ALICE, ALICE_PASSWORD, owner_role=EVIL_ROLE)], os_version=EVIL_VERSION)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def test_hostile_role_and_version_are_never_saved_or_printed_raw(
    paths: Paths, store: ConfigStore, hostile_sim: Simulator
) -> None:
    """R13: a role outside owner/admin/normal and a 5 KB version are not cached; whoami says (unknown)."""
    env = cli_env(paths, OLARES_AUTH_MCP_SERVICE_URL=hostile_sim.url)
    login = run(env, "login", "--olares-id", ALICE, "--password-stdin", stdin=ALICE_PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    assert "role:" not in login.stdout
    profile = store.load().profiles[0]
    assert (profile.owner_role, profile.backend_version) == ("", "")
    text = paths.config_file.read_text()
    assert "ownerRole" not in text and "backendVersion" not in text and "aaaa" not in text
    whoami = run(env, "whoami")
    assert whoami.returncode == 0, whoami.stderr
    assert whoami.stdout.splitlines()[0] == f"{ALICE} — (unknown)"
    as_json = run(env, "whoami", "-o", "json")
    assert "role" not in json.loads(as_json.stdout)
    listing = run(env, "list", "--refresh-version")
    assert "\x1b" not in listing.stdout + listing.stderr
    assert listing.stderr.startswith("warning: could not refresh backend version for the current profile: ")
    assert len(listing.stderr) < 300
    assert "backendVersion" not in paths.config_file.read_text()
