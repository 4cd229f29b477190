"""``run_doctor``: each check made to fail (or warn) and made to pass, on real files and a real simulator.

Local checks run on the isolated home; live checks reach the simulator on loopback through the
service-URL rig (plain HTTP, or HTTPS with a test CA made here), or nothing at all.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.doctor import DoctorOptions, DoctorReport, Finding, SessionReach, routes, run_doctor
from olares_auth_mcp.auth.errors import ConfigError
from olares_auth_mcp.auth.locks import flock_exclusive
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault, EncryptedFileStore, MacKeychainKey, default_vault, file_vault
from olares_auth_mcp.auth.wire import HttpFactory, default_http_factory
from olares_auth_mcp.sim import Simulator, SimUser
from tests.auth.test_vault import DictKeyring, FailingKeyring, HangingKeyring
from tests.certs import make_ca
from tests.conftest import ALICE, ALICE_PASSWORD
from tests.helpers import make_jwt
from tests.hostile import HostileServer

if TYPE_CHECKING:  # a Test* class imported at run time would be collected by pytest
    from tests.certs import TestCA

    TlsSim = Callable[..., tuple[Simulator, TestCA]]

QUICK = DoctorOptions(lock_wait=0.3, cli_timeout=2.0, net_timeout=2.0)


def account_on(
    paths: Paths, vault: BlobVault, url: str = "", http: HttpFactory = default_http_factory, **env: str
) -> Account:
    rig = {"OLARES_AUTH_MCP_SERVICE_URL": url} if url else {}
    return Account(paths, vault, http, time.time, {"PATH": "", **rig, **env})


def seed(account: Account, olares_id: str = ALICE, access: str = "", refresh: str = "", **fields: Any) -> None:
    account.store.mutate(lambda c: (c.upsert(Profile(olares_id, **fields)), c.set_current(olares_id)))
    if access or refresh:
        account.vault.set(TokenRecord(olares_id, access_token=access, refresh_token=refresh))


def find(report: DoctorReport, check: str) -> Finding:
    matches = [f for f in report.findings if f.check == check]
    assert len(matches) == 1, (check, report.findings)
    return matches[0]


def doctor(account: Account, **kwargs: Any) -> DoctorReport:
    kwargs.setdefault("options", QUICK)
    report = run_doctor(account, **kwargs)
    for finding in report.findings:  # the contract: exactly one fix for every warn/fail, none otherwise
        assert bool(finding.fix) == (finding.status in ("warn", "fail")), finding
    return report


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator([SimUser(ALICE, ALICE_PASSWORD)]) as simulator:
        yield simulator


@pytest.fixture
def alice(paths: Paths, vault: BlobVault, sim: Simulator) -> Account:
    """Alice logged in (a simulator grant), the rig pointing at the simulator."""
    account = account_on(paths, vault, sim.url)
    access, refresh = sim.issue_tokens(ALICE)
    seed(account, ALICE, access, refresh)
    return account


def test_a_finding_needs_exactly_one_fix_when_something_is_wrong() -> None:
    with pytest.raises(ValueError):
        Finding("x", "warn", "detail")
    with pytest.raises(ValueError):
        Finding("x", "ok", "detail", fix="chmod 600 x")
    assert Finding("x", "fail", "detail", "chmod 600 x").fix == "chmod 600 x"


# -- local: files, modes, owners --------------------------------------------------------------


def test_a_healthy_home_is_all_ok(alice: Account) -> None:
    report = doctor(alice)
    statuses = {f.check: f.status for f in report.findings}
    for check in ("state.home", "state.token_dir", "state.locks", "config.file", "config.parse"):
        assert statuses[check] == "ok", check
    assert statuses["vault.master_key"] == statuses["vault.token_files"] == statuses[f"token:{ALICE}"] == "ok"
    assert statuses["live"] == "skipped" and report.healthy


@pytest.mark.parametrize(
    ("check", "target", "mode", "want"),
    [
        ("state.home", lambda p: p.home, 0o755, "chmod 700"),
        ("state.token_dir", lambda p: p.keychain_dir, 0o750, "chmod 700"),
        ("state.locks", lambda p: p.locks, 0o705, "chmod 700"),
        ("config.file", lambda p: p.config_file, 0o644, "chmod 600"),
        ("vault.master_key", lambda p: p.keychain_dir / "master.key", 0o640, "chmod 600"),
        ("vault.token_files", lambda p: p.keychain_dir / "alice_olares.com.enc", 0o604, "chmod 600"),
    ],
)
def test_loose_modes_warn_with_the_chmod(
    alice: Account, paths: Paths, check: str, target: Callable[[Paths], Path], mode: int, want: str
) -> None:
    path = target(paths)
    path.chmod(mode)
    finding = find(doctor(alice), check)
    assert finding.status == "warn" and oct(mode)[2:] in finding.detail
    assert finding.fix is not None and finding.fix.startswith(want)
    subprocess.run(finding.fix, shell=True, check=True)  # noqa: S602 - the fix is what a human would paste
    assert find(doctor(alice), check).status == "ok", "the one fix fixes it"


def test_fixes_quote_paths_with_spaces(tmp_path: Path) -> None:
    """macOS keeps tokens under "Application Support": a pasted fix must still name the right file."""
    paths = Paths(home=tmp_path / "my home", keychain_dir=tmp_path / "Application Support" / "olares-cli")
    vault = file_vault(paths)
    account = account_on(paths, vault)
    seed(account, ALICE, make_jwt({"exp": int(time.time()) + 600}), "rt-0123456789abcdef")
    for path in (paths.config_file, paths.keychain_dir / "master.key", paths.keychain_dir / "alice_olares.com.enc"):
        path.chmod(0o644)
    report = doctor(account)
    for check in ("config.file", "vault.master_key", "vault.token_files"):
        fix = find(report, check).fix
        assert fix is not None
        subprocess.run(fix, shell=True, check=True)  # noqa: S602 - the fix is what a human would paste
    after = doctor(account)
    assert {find(after, c).status for c in ("config.file", "vault.master_key", "vault.token_files")} == {"ok"}


def test_files_of_another_user_fail_with_the_chown(alice: Account, paths: Paths) -> None:
    stranger = DoctorOptions(lock_wait=0.3, uid=os.getuid() + 4242)
    report = doctor(alice, options=stranger)
    for check in ("state.home", "state.token_dir", "config.file", "vault.master_key", "vault.token_files"):
        finding = find(report, check)
        assert finding.status == "fail" and finding.fix is not None and "chown" in finding.fix, check
    assert not report.healthy


def test_nothing_stored_yet_is_ok_and_nothing_is_created(paths: Paths, vault: BlobVault) -> None:
    report = doctor(account_on(paths, vault))
    assert {find(report, c).status for c in ("state.home", "config.file", "vault.master_key")} == {"ok"}
    assert not paths.home.exists() and not paths.keychain_dir.exists(), "the doctor never creates anything"


# -- local: config, key, records, backend, legacy ---------------------------------------------------


def test_a_broken_config_fails_with_the_config_stores_own_text(alice: Account, paths: Paths) -> None:
    paths.config_file.write_text('{"profiles": [}')
    with pytest.raises(ConfigError) as expected:
        ConfigStore(paths).load()
    report = doctor(alice, live=True)
    finding = find(report, "config.parse")
    assert finding.status == "fail" and finding.detail == str(expected.value)
    assert find(report, "tokens").status == "skipped" and find(report, "live").status == "skipped"


def test_a_master_key_of_the_wrong_length_fails(alice: Account, paths: Paths) -> None:
    (paths.keychain_dir / "master.key").write_bytes(b"k" * 31)
    finding = find(doctor(alice), "vault.master_key")
    assert finding.status == "fail" and "31 bytes" in finding.detail


def test_token_files_without_a_master_key_fail(alice: Account, paths: Paths) -> None:
    (paths.keychain_dir / "master.key").unlink()
    finding = find(doctor(alice), "vault.master_key")
    assert finding.status == "fail" and "none of them can be decrypted" in finding.detail


def test_an_undecryptable_record_fails_with_a_login_for_that_id(alice: Account, paths: Paths) -> None:
    (paths.keychain_dir / "alice_olares.com.enc").write_bytes(b"\x00" * 40)
    finding = find(doctor(alice, audience="agent"), f"token:{ALICE}")
    assert finding.status == "fail" and "authentication failed" in finding.detail
    assert finding.fix == f'start_login(olares_id="{ALICE}")'
    human = find(doctor(alice), f"token:{ALICE}")
    assert human.fix == f"olares-auth-mcp profile login --olares-id {ALICE}", "no olares-cli on this PATH"


def test_a_record_stored_for_another_id_fails(alice: Account, vault: BlobVault) -> None:
    """alice_olares.com.enc holding a record whose olaresId is someone else's is never alice's grant."""
    foreign = TokenRecord("alice_olares.com", access_token=make_jwt({"exp": int(time.time()) + 600}))
    vault.store.put_blob(ALICE, foreign.to_json().encode())
    finding = find(doctor(alice), f"token:{ALICE}")
    assert finding.status == "fail" and finding.fix is not None and ALICE in finding.fix


def test_an_invalidated_record_warns_and_a_missing_one_is_fine(alice: Account, vault: BlobVault) -> None:
    vault.mark_invalidated(ALICE, 1)
    assert find(doctor(alice), f"token:{ALICE}").status == "warn"
    vault.delete(ALICE)
    finding = find(doctor(alice), f"token:{ALICE}")
    assert finding.status == "ok" and "never logged in" in finding.detail


def _mac(tmp_path: Path, keyring: object) -> tuple[Paths, BlobVault]:
    paths = Paths(home=tmp_path / "mh", keychain_dir=tmp_path / "Library" / "olares-cli", platform="darwin")
    vault = default_vault(paths, keyring_backend=keyring)
    vault.set(TokenRecord(ALICE, access_token=make_jwt({"exp": int(time.time()) + 600})))
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile(ALICE)))
    return paths, vault


def test_the_file_fallback_warns_and_the_keychain_is_fine(tmp_path: Path) -> None:
    paths, vault = _mac(tmp_path / "fallback", FailingKeyring())
    report = doctor(account_on(paths, vault))
    assert find(report, "vault.backend").status == "warn" and "master.key.file" in find(report, "vault.backend").detail
    assert find(report, "vault.master_key").status == "ok"
    paths, vault = _mac(tmp_path / "keychain", DictKeyring())
    report = doctor(account_on(paths, vault))
    assert find(report, "vault.backend").status == "ok" and "system-keychain" in find(report, "vault.backend").detail
    assert find(report, f"token:{ALICE}").status == "ok"


def test_a_locked_keychain_fails_once_with_the_unlock_command(tmp_path: Path) -> None:
    paths = Paths(home=tmp_path / "mh", keychain_dir=tmp_path / "Library" / "olares-cli", platform="darwin")
    keyring = HangingKeyring()
    vault = BlobVault(EncryptedFileStore(paths.keychain_dir, MacKeychainKey(paths.keychain_dir, keyring, timeout=0.2)))
    ids = [ALICE, "bob@olares.com"]
    ConfigStore(paths).mutate(lambda c: [c.upsert(Profile(i)) for i in ids])
    for olares_id in ids:
        vault.store.path_for(olares_id).parent.mkdir(parents=True, exist_ok=True)  # type: ignore[attr-defined]
        vault.store.path_for(olares_id).write_bytes(b"\x00" * 40)  # type: ignore[attr-defined]
    try:
        report = doctor(account_on(paths, vault))
    finally:
        keyring.release.set()
    first, second = find(report, f"token:{ALICE}"), find(report, "token:bob@olares.com")
    assert first.status == "fail" and "unlock-keychain" in (first.fix or "")
    assert second.status == "skipped"


def test_the_linux_file_backend_is_named(alice: Account) -> None:
    finding = find(doctor(alice), "vault.backend")
    assert finding.status == "ok" and finding.detail.startswith("file:")


def test_a_legacy_tokens_json_warns_and_is_never_deleted(alice: Account, paths: Paths) -> None:
    assert find(doctor(alice), "legacy.tokens_json").status == "ok"
    paths.legacy_tokens_file.write_text("{}")
    finding = find(doctor(alice), "legacy.tokens_json")
    assert finding.status == "warn" and finding.fix is not None and str(paths.legacy_tokens_file) in finding.fix
    assert paths.legacy_tokens_file.exists()


# -- local: olares-cli on PATH ------------------------------------------------------------------


def fake_cli(directory: Path, script: str) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "olares-cli"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    return str(directory)


def test_olares_cli_on_path_reports_its_version_and_gets_no_secret(
    paths: Paths, vault: BlobVault, tmp_path: Path
) -> None:
    spy = tmp_path / "seen-env"
    bin_dir = fake_cli(tmp_path / "bin", f'env > {spy}; echo "$@" >> {spy}; echo "olares-cli version 0.9.3"')
    account = account_on(paths, vault, PATH=bin_dir, OLARES_REFRESH_TOKEN="rt-must-not-reach-the-child-1234")
    finding = find(doctor(account), "olares_cli")
    assert finding.status == "ok" and "0.9.3" in finding.detail
    seen = spy.read_text()
    assert "rt-must-not-reach-the-child" not in seen and "--version" in seen


@pytest.mark.parametrize("script", ["echo 'usage: olares-cli [command]'", "exit 3", "exec sleep 30"])
def test_olares_cli_without_a_version_or_hanging_warns(
    paths: Paths, vault: BlobVault, tmp_path: Path, script: str
) -> None:
    account = account_on(paths, vault, PATH=fake_cli(tmp_path / "bin", script))
    started = time.monotonic()
    finding = find(doctor(account, options=DoctorOptions(lock_wait=0.3, cli_timeout=0.5)), "olares_cli")
    assert finding.status == "warn" and time.monotonic() - started < 10


def test_olares_cli_missing_from_path_warns(paths: Paths, vault: BlobVault, tmp_path: Path) -> None:
    finding = find(doctor(account_on(paths, vault, PATH=str(tmp_path / "empty"))), "olares_cli")
    assert finding.status == "warn" and "not on PATH" in finding.detail


# -- local: locks ---------------------------------------------------------------------------------


def test_a_lock_held_longer_than_a_refresh_warns_and_is_kept(alice: Account, paths: Paths) -> None:
    lock = paths.refresh_lock(ALICE)
    with flock_exclusive(lock, 1.0, TimeoutError):
        finding = find(doctor(alice), "locks")
    assert finding.status == "warn" and lock.name in finding.detail and "never delete" in (finding.fix or "")
    assert lock.exists()
    after = find(doctor(alice), "locks")
    assert after.status == "ok" and "none held" in after.detail


# -- the session's reach -------------------------------------------------------------------------


def test_reach_routes_follow_what_the_client_declared() -> None:
    assert routes(SessionReach("2025-11-25", True, True)) == ("url-elicitation", "form-elicitation")
    assert routes(SessionReach("2025-06-18", True, False)) == ("url-in-result", "form-elicitation")
    assert routes(SessionReach("2025-06-18", True, True)) == ("url-in-result", "form-elicitation")  # no URL mode yet
    assert routes(SessionReach("2025-03-26", True, False)) == ("url-in-result", "cli-only")  # no elicitation yet
    assert routes(SessionReach("2026-07-28", False, False)) == ("url-in-result", "cli-only")
    # a server on the human's machine that can open their browser: the page and the confirmation go there
    assert routes(SessionReach("2025-03-26", False, False, browser=True)) == ("browser", "browser")
    assert routes(SessionReach("2025-06-18", True, False, browser=True)) == ("browser", "form-elicitation")
    assert routes(SessionReach("2025-11-25", True, True, browser=True)) == ("url-elicitation", "form-elicitation")


def test_reach_is_skipped_outside_a_session_and_warns_without_forms(alice: Account) -> None:
    assert find(doctor(alice), "session.reach").status == "skipped"
    bare = find(doctor(alice, session=SessionReach("2025-11-25", False, False), audience="agent"), "session.reach")
    assert bare.status == "warn" and "olares-auth-mcp profile remove" in (bare.fix or "")
    full = find(doctor(alice, session=SessionReach("2025-11-25", True, True)), "session.reach")
    assert full.status == "ok" and "URL elicitation" in full.detail
    opened = find(doctor(alice, session=SessionReach("2025-03-26", False, False, browser=True)), "session.reach")
    assert opened.status == "ok" and "opened in the human's browser" in opened.detail


# -- live: DNS, TCP ---------------------------------------------------------------------------------


def test_live_on_a_healthy_profile_is_ok(alice: Account) -> None:
    report = doctor(alice, live=True)
    for check in ("dns.auth", "tcp.auth", "dns.desktop", "tcp.desktop", "clock", "grant"):
        assert find(report, check).status == "ok", check
    assert find(report, "tls.auth").status == "skipped"  # the plain-http rig
    assert report.profile == ALICE and report.healthy


def test_an_unresolvable_host_fails_and_sends_nothing(paths: Paths, vault: BlobVault) -> None:
    account = account_on(paths, vault, "http://olares-doctor-test.invalid")  # RFC 6761: never resolves
    seed(account, ALICE, make_jwt({"exp": int(time.time()) + 600}), "rt-not-sent-0123456789")
    report = doctor(account, live=True)
    dns = find(report, "dns.auth")
    assert (
        dns.status == "fail" and "does not resolve" in dns.detail and "OLARES_AUTH_MCP_SERVICE_URL" in (dns.fix or "")
    )
    assert find(report, "grant").status == "skipped" and not report.healthy


def test_a_closed_port_fails_tcp(paths: Paths, vault: BlobVault) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    account = account_on(paths, vault, f"http://127.0.0.1:{port}")
    seed(account, ALICE, make_jwt({"exp": int(time.time()) + 600}), "rt-not-sent-0123456789")
    report = doctor(account, live=True)
    assert find(report, "dns.auth").status == "ok"
    assert find(report, "tcp.auth").status == "fail" and find(report, "grant").status == "skipped"


def test_the_arguments_choose_no_destination(alice: Account) -> None:
    """A profile argument naming an attacker's host is only a name that matches nothing: nothing is sent."""
    with HostileServer() as evil:
        for name in (evil.url, f"x@{evil.url.split('//')[1]}", "127.0.0.1"):
            report = doctor(alice, live=True, profile=name)
            finding = find(report, "live.profile")
            assert finding.status == "fail" and "nothing was contacted" in finding.detail
        assert evil.seen == []


# -- live: TLS ------------------------------------------------------------------------------------


@pytest.fixture
def tls_sim(tmp_path: Path) -> Iterator[TlsSim]:
    def start(*, expired: bool = False) -> tuple[Simulator, TestCA]:
        ca = make_ca(tmp_path / ("expired" if expired else "valid"), expired=expired)
        simulator = Simulator([SimUser(ALICE, ALICE_PASSWORD)])
        simulator.start(tls=ca.server_context())
        started.append(simulator)
        return simulator, ca

    started: list[Simulator] = []
    yield start
    for simulator in started:
        simulator.stop()


def _tls_account(paths: Paths, vault: BlobVault, simulator: Simulator, http: HttpFactory, **fields: Any) -> Account:
    account = account_on(paths, vault, simulator.url, http)
    access, refresh = simulator.issue_tokens(ALICE)
    seed(account, ALICE, access, refresh, **fields)
    return account


def test_tls_verified_reports_the_certificate_expiry(paths: Paths, vault: BlobVault, tls_sim: TlsSim) -> None:
    simulator, ca = tls_sim()
    report = doctor(_tls_account(paths, vault, simulator, ca.http_factory()), live=True)
    finding = find(report, "tls.auth")
    assert finding.status == "ok" and f"{ca.not_after:%Y-%m-%d}" in finding.detail
    assert find(report, "grant").status == "ok"


def test_an_expired_certificate_fails_with_its_date_and_no_token_is_sent(
    paths: Paths, vault: BlobVault, tls_sim: TlsSim
) -> None:
    simulator, ca = tls_sim(expired=True)
    report = doctor(_tls_account(paths, vault, simulator, ca.http_factory()), live=True)
    finding = find(report, "tls.auth")
    assert finding.status == "fail" and "expired" in finding.detail and f"{ca.not_after:%Y-%m-%d}" in finding.detail
    assert "never turn verification off" in (finding.fix or "")
    assert find(report, "grant").status == "skipped"
    assert simulator.hits("/api/backend/v1/user-info") == simulator.hits("/api/refresh") == 0


def test_a_certificate_from_an_unknown_ca_fails(paths: Paths, vault: BlobVault, tls_sim: TlsSim) -> None:
    simulator, _ = tls_sim()
    report = doctor(
        _tls_account(paths, vault, simulator, default_http_factory), live=True
    )  # the test CA is not trusted
    finding = find(report, "tls.auth")
    assert finding.status == "fail" and "not trusted" in finding.detail


def test_a_profile_with_verification_off_warns(paths: Paths, vault: BlobVault, tls_sim: TlsSim) -> None:
    simulator, ca = tls_sim()
    account = _tls_account(paths, vault, simulator, ca.http_factory(), insecure_skip_verify=True)
    finding = find(doctor(account, live=True), "tls.auth")
    assert finding.status == "warn" and "--insecure-skip-verify" in finding.detail


# -- live: clock skew --------------------------------------------------------------------------------


def skew_in(detail: str, way: str) -> int:
    match = re.search(rf"clock is (\d+)s {way} the server's", detail)
    assert match, detail
    return int(match.group(1))


def test_clock_skew_that_flips_status_fails(paths: Paths, vault: BlobVault) -> None:
    """Our clock 10 min behind the server's: STATUS says logged-in, the server already sees the token expired."""
    with Simulator([SimUser(ALICE, ALICE_PASSWORD)], access_ttl=300) as simulator:
        account = account_on(paths, vault, simulator.url)
        seed(account, ALICE, *simulator.issue_tokens(ALICE))
        simulator.set_date_offset(600)
        finding = find(doctor(account, live=True), "clock")
    assert finding.status == "fail" and "STATUS says logged-in" in finding.detail
    assert abs(skew_in(finding.detail, "behind") - 600) <= 2  # the Date header has one-second resolution
    assert "timedatectl" in (finding.fix or "")


def test_clock_skew_that_flips_nothing_yet_warns(alice: Account, sim: Simulator) -> None:
    sim.set_date_offset(-300)
    finding = find(doctor(alice, live=True), "clock")
    assert finding.status == "warn" and abs(skew_in(finding.detail, "ahead of") - 300) <= 2


def test_a_small_skew_is_ok(alice: Account, sim: Simulator) -> None:
    sim.set_date_offset(5)
    assert find(doctor(alice, live=True), "clock").status == "ok"


# -- live: the grant --------------------------------------------------------------------------------


def test_a_revoked_grant_fails_with_a_login(alice: Account, sim: Simulator) -> None:
    sim.revoke_user(ALICE)
    finding = find(doctor(alice, live=True, audience="agent"), "grant")
    assert finding.status == "fail" and finding.fix == f'start_login(olares_id="{ALICE}")'


def test_an_expired_access_token_is_refreshed_once_and_the_grant_is_ok(alice: Account, sim: Simulator) -> None:
    sim.expire_access_tokens()
    finding = find(doctor(alice, live=True), "grant")
    assert finding.status == "ok" and sim.hits("/api/refresh") == 1


def test_a_server_error_is_not_a_reason_to_log_in(alice: Account, sim: Simulator) -> None:
    sim.inject("/api/backend/v1/user-info", status=503, body=b'{"code":503,"message":"\\u001b[31mtell the human"}')
    finding = find(doctor(alice, live=True, audience="agent"), "grant")
    assert finding.status == "fail" and "do not log in again" in (finding.fix or "")
    assert "start_login" not in (finding.fix or "") and "\x1b" not in finding.detail


# -- the fixes name the installed CLI and never hand an agent a placeholder or a refused ID ------------


def test_fixes_name_olares_cli_only_when_it_is_on_the_path(
    paths: Paths, vault: BlobVault, sim: Simulator, tmp_path: Path
) -> None:
    (paths.keychain_dir).mkdir(parents=True, exist_ok=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "olares-cli"
    program.write_text("#!/bin/sh\necho 'olares-cli version v1.12.3'\n")
    program.chmod(0o755)
    for path, cli in (("", "olares-auth-mcp"), (str(bin_dir), "olares-cli")):
        account = account_on(paths, vault, sim.url, PATH=path)
        seed(account, ALICE)
        vault.set(TokenRecord(ALICE, access_token=make_jwt({"exp": int(time.time()) + 600}), refresh_token="rt-x"))
        vault.mark_invalidated(ALICE, 1)
        finding = find(doctor(account), f"token:{ALICE}")
        assert finding.fix == f"{cli} profile login --olares-id {ALICE}"


def test_with_no_profile_the_agent_is_told_to_ask_for_the_olares_id(
    paths: Paths, vault: BlobVault, sim: Simulator
) -> None:
    account = account_on(paths, vault, sim.url)
    finding = find(doctor(account, live=True, audience="agent"), "live.profile")
    assert finding.status == "fail" and "<olares-id>" not in (finding.fix or "")
    assert (finding.fix or "").startswith("ask the human for their Olares ID")


def test_an_id_start_login_refuses_is_never_offered_to_the_agent(
    paths: Paths, vault: BlobVault, sim: Simulator
) -> None:
    account = account_on(paths, vault, sim.url)
    seed(account, "Alice@Olares.com")
    vault.set(TokenRecord("Alice@Olares.com", access_token="not-a-jwt", refresh_token="rt-x"))
    finding = find(doctor(account, audience="agent"), "token:Alice@Olares.com")
    assert "start_login(" not in (finding.fix or "")
    assert "ask the human to run `olares-auth-mcp profile login --olares-id Alice@Olares.com`" in (finding.fix or "")
