"""The listing and the gate stay cheap without serving anything stale: the config snapshot, the vault
fingerprint (``change_witness``), one ``stat`` per file per listing (``stat_once``) and the redaction
pre-check. Each cache is shown to see a change made behind its back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.profiles import ProfileRow, profile_rows
from olares_auth_mcp.auth.readiness import environment_hints
from olares_auth_mcp.auth.redact import Redactor
from olares_auth_mcp.auth.status import Status
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.auth.vault._files import RACY_NS, ParsedFile, change_witness, stat_once
from tests.helpers import make_jwt

ALICE = "alice@olares.com"
BOB = "bob@olares.com"


def _tick_past(path: Path) -> None:
    """Return once the file system's coarse clock has moved past ``path``'s ctime (bounded)."""
    before = os.stat(path).st_ctime_ns
    probe = path.with_name(path.name + ".tick")
    for _ in range(100_000):
        probe.write_bytes(b"x")
        if os.stat(probe).st_ctime_ns != before:
            probe.unlink()
            return
    raise AssertionError("the file system clock never moved")


def _rewrite_in_place(path: Path, data: bytes) -> None:
    """Overwrite ``path``'s inode with ``data`` (same length) and put its mtime back."""
    st = os.stat(path)
    assert len(data) == st.st_size
    with open(path, "r+b") as handle:
        handle.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)


# --- config.json: the snapshot -------------------------------------------------------------------------


def test_the_snapshot_sees_an_in_place_rewrite_keeping_size_and_mtime(store: ConfigStore, paths: Paths) -> None:
    store.mutate(lambda c: c.upsert(Profile(ALICE, name="aaaa")))
    assert store.snapshot().profiles[0].name == "aaaa"
    _rewrite_in_place(paths.config_file, paths.config_file.read_bytes().replace(b'"aaaa"', b'"bbbb"'))
    assert store.snapshot().profiles[0].name == "bbbb"


def test_the_snapshot_sees_a_write_from_another_process(store: ConfigStore, paths: Paths) -> None:
    store.mutate(lambda c: c.upsert(Profile(ALICE, name="aaaa")))
    assert store.snapshot().profiles[0].name == "aaaa"
    writer = (
        "import sys; from pathlib import Path\n"
        "from olares_auth_mcp.auth.config import Config, ConfigStore, Profile\n"
        "from olares_auth_mcp.auth.paths import Paths\n"
        "paths = Paths(home=Path(sys.argv[1]), keychain_dir=Path(sys.argv[2]), platform='linux')\n"
        "ConfigStore(paths).mutate(lambda c: c.upsert(Profile(sys.argv[3], name='bbbb')))"
    )
    subprocess.run(
        [sys.executable, "-c", writer, str(paths.home), str(paths.keychain_dir), ALICE], check=True, timeout=60
    )
    assert store.snapshot().profiles[0].name == "bbbb"


def test_the_snapshot_sees_a_removed_and_a_broken_file(store: ConfigStore, paths: Paths) -> None:
    store.mutate(lambda c: c.upsert(Profile(ALICE)))
    assert len(store.snapshot().profiles) == 1
    paths.config_file.unlink()
    assert store.snapshot().profiles == []
    paths.config_file.write_text("{")
    try:
        store.snapshot()
    except Exception as err:  # the parse error, every time: errors are never kept
        assert "parse" in str(err)
    else:
        raise AssertionError("a broken config.json was served")


class Clock:
    def __init__(self) -> None:
        self.now_ns = 0

    def __call__(self) -> int:
        return self.now_ns


def test_a_parsed_file_is_kept_only_once_it_is_older_than_the_racy_window(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    target.write_bytes(b"first")
    clock = Clock()
    cache: ParsedFile[bytes] = ParsedFile(clock_ns=clock)
    loads: list[bytes] = []

    def load() -> bytes:
        loads.append(target.read_bytes())
        return loads[-1]

    clock.now_ns = os.stat(target).st_ctime_ns + RACY_NS // 2  # just written: parsed on every call
    assert cache.get(target, load) == cache.get(target, load) == b"first"
    assert len(loads) == 2
    clock.now_ns = os.stat(target).st_ctime_ns + RACY_NS  # old enough: kept by identity
    first = cache.get(target, load)
    assert cache.get(target, load) is first and len(loads) == 3
    _tick_past(target)
    _rewrite_in_place(target, b"other")  # same inode, size and mtime: the ctime moved
    assert cache.get(target, load) == b"other"


# --- the vault fingerprint -------------------------------------------------------------------------------


def test_the_witness_of_a_directory_moves_with_every_rename_into_it(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    directory.mkdir()
    (directory / "a.enc").write_bytes(b"1")
    racy = change_witness(directory)  # just changed: the entries' inodes are part of it
    assert racy == change_witness(directory)
    old = change_witness(directory, racy_ns=0)  # long ago: the directory's identity alone, one stat
    assert old == change_witness(directory, racy_ns=0) and old != racy
    _tick_past(directory / "a.enc")
    replacement = tmp_path / "new.enc"
    replacement.write_bytes(b"2")
    os.replace(replacement, directory / "a.enc")  # how every token write lands
    assert change_witness(directory, racy_ns=0) != old
    assert change_witness(directory) != racy


def test_inside_one_tick_a_rename_still_moves_the_racy_witness(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    directory.mkdir()
    (directory / "a.enc").write_bytes(b"1")
    before = change_witness(directory, racy_ns=10**18)
    replacement = directory / "a.enc.tmp"
    replacement.write_bytes(b"2")
    os.replace(replacement, directory / "a.enc")  # a new inode behind the same name, whatever the clock did
    assert change_witness(directory, racy_ns=10**18) != before


def test_a_racy_file_has_no_reusable_witness(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    target.write_bytes(b"{}")
    assert change_witness(target, racy_ns=10**18) != change_witness(target, racy_ns=10**18)
    assert change_witness(target, racy_ns=0) == change_witness(target, racy_ns=0)
    assert change_witness(tmp_path / "missing") is None


# --- one stat per file per listing -----------------------------------------------------------------------


def listing(config: Config, vault: BlobVault, *, now: float) -> tuple[list[ProfileRow], list[str]]:
    """What ``profile_list`` reads: the rows and their hints, in one ``stat_once`` block."""
    with stat_once():
        rows = profile_rows(config, vault, now=now)
        return rows, environment_hints({row.status for row in rows}, vault, False)


def _seed(store: ConfigStore, vault: BlobVault) -> None:
    store.mutate(lambda c: c.profiles.extend([Profile(ALICE), Profile(BOB)]))
    vault.set(TokenRecord(ALICE, access_token=make_jwt({"exp": 4102444800}), refresh_token="rt-alice-0123456789"))


def test_each_listing_sees_the_files_as_they_are_now(store: ConfigStore, vault: BlobVault, paths: Paths) -> None:
    _seed(store, vault)
    rows, hints = listing(store.snapshot(), vault, now=1_800_000_000)
    assert [row.status for row in rows] == [Status.LOGGED_IN, Status.NEVER] and hints == []
    (paths.keychain_dir / "master.key").chmod(0o644)
    vault.set(TokenRecord(BOB, access_token=make_jwt({"exp": 1}), refresh_token="rt-bob-0123456789"))
    rows, hints = listing(store.snapshot(), vault, now=1_800_000_000)
    assert [row.status for row in rows] == [Status.LOGGED_IN, Status.EXPIRED]
    assert len(hints) == 1 and "master.key is accessible to other users (mode 0644)" in hints[0]
    (paths.keychain_dir / "master.key").chmod(0o600)
    (paths.keychain_dir / "alice_olares.com.enc").unlink()
    rows, hints = listing(store.snapshot(), vault, now=1_800_000_000)
    assert [row.status for row in rows] == [Status.NEVER, Status.EXPIRED] and hints == []


def test_stat_once_answers_each_path_once_and_nothing_outlives_the_block(tmp_path: Path) -> None:
    from olares_auth_mcp.auth.vault._files import _stat

    target = tmp_path / "file"
    target.write_bytes(b"x")
    with stat_once():
        first = _stat(str(target))
        target.chmod(0o644)
        assert _stat(str(target)) is first  # one answer per listing
        with stat_once():  # a nested block shares the outer one
            assert _stat(str(target)) is first
    assert _stat(str(target)).st_mode & 0o777 == 0o644


# --- the redaction pre-check --------------------------------------------------------------------------


def test_clean_json_still_finds_secrets_that_are_not_jwts() -> None:
    jwt = make_jwt({"exp": 4102444800})
    redactor = Redactor(lambda: [jwt, "rt-secret-000111", "opaque-session-9876"])
    assert redactor.clean_json('{"rows": [{"name": "alice"}]}')
    assert not redactor.clean_json('{"note": "x rt-secret-000111 y"}')
    assert not redactor.clean_json('{"note": "opaque-session-9876"}')
    assert not redactor.clean_json('{"note": "' + jwt + '"}')
    assert not redactor.clean_json('{"note": "eyJ alone is enough to walk the value"}')


def test_the_screen_sees_a_secret_stored_after_its_pattern_was_built() -> None:
    from olares_auth_mcp.auth.redact import looks_like_secret

    known = [f"rt-{n:04d}-0123456789abcdef" for n in range(300)]
    assert looks_like_secret(f"x {known[150]} y", known, identifier=False)
    assert not looks_like_secret("x rt-9999-0123456789abcdef y", known, identifier=False)
    known.append("rt-9999-0123456789abcdef")  # the same list, grown in place: still seen
    assert looks_like_secret("x rt-9999-0123456789abcdef y", known, identifier=False)
    assert not looks_like_secret(f"x {known[150]} y", known[:150], identifier=False)
    assert not looks_like_secret("x short1 y", ["short1"], identifier=False)  # shorter than MIN_SECRET_LENGTH


# --- the audit log makes its directory only when it is missing ------------------------------------------


def test_the_audit_log_makes_its_private_directory_when_missing_and_again_after_removal(tmp_path: Path) -> None:
    import json
    import shutil
    import stat

    from olares_auth_mcp.auth.audit import AuditLog

    log_path = tmp_path / "home" / "logs" / "audit.log"
    log = AuditLog(log_path)
    log.record(tool="profile_list", profile=None, outcome="ok", arguments={}, now=1_800_000_000)
    log.record(tool="auth_readiness", profile=None, outcome="ok", arguments={}, now=1_800_000_001)
    assert [json.loads(line)["tool"] for line in log_path.read_text().splitlines()] == [
        "profile_list",
        "auth_readiness",
    ]
    for directory in (tmp_path / "home", log_path.parent):
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    shutil.rmtree(tmp_path / "home")
    log.record(tool="profile_use", profile="x", outcome="ok", arguments={}, now=1_800_000_002)
    assert json.loads(log_path.read_text())["tool"] == "profile_use"
    assert stat.S_IMODE(os.stat(log_path).st_mode) == 0o600
