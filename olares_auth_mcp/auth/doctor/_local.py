"""The local checks: files, modes, owners, the config, every token record, the backend, olares-cli, locks.

Nothing here writes, creates or deletes a file, and nothing touches the network.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shlex
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from olares_auth_mcp.auth.commands import OLARES_CLI, login_command
from olares_auth_mcp.auth.config import Config, ConfigStore
from olares_auth_mcp.auth.doctor._model import Audience, DoctorOptions, Finding, clean, escape
from olares_auth_mcp.auth.errors import (
    AuthError,
    InvalidOlaresID,
    JWTError,
    TokenNotFound,
    VaultError,
    VaultLocked,
)
from olares_auth_mcp.auth.jwt import expires_at
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import TokenVault
from olares_auth_mcp.auth.vault._files import KEY_SIZE

__all__ = ["local_checks", "login_fix", "sh"]

_VERSION: Final = re.compile(r"v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?")
_OUTPUT_CAP: Final = 4096


def sh(value: str | Path) -> str:
    """A path or ID as one shell word, so a fix copied into a terminal does what it says (spaces on macOS)."""
    return shlex.quote(str(value))


def login_fix(olares_id: str | None, audience: Audience, cli: str = OLARES_CLI) -> str:
    """The one way a profile gets a fresh grant: a login (which overwrites whatever is stored).

    With no Olares ID, or one ``start_login`` refuses as written, the agent is told to ask the human,
    never handed a call with a placeholder or a refused ID.
    """
    if olares_id is None:
        if audience == "agent":
            return "ask the human for their Olares ID (name@domain), then call start_login with exactly that"
        return f"{cli} profile login --olares-id <your Olares ID>"
    shown = escape(olares_id)
    if audience == "agent":
        try:
            OlaresID.validated(olares_id, agent=True)
        except InvalidOlaresID:
            return f"ask the human to run `{login_command(cli, shown)}` themselves (start_login refuses this ID)"
        return f'start_login(olares_id="{shown}")'
    return login_command(cli, shown)


def _mode(st: os.stat_result) -> str:
    return f"{stat.S_IMODE(st.st_mode):04o}"


def _private(check: str, path: Path, *, directory: bool, what: str, opts: DoctorOptions) -> Finding | None:
    """None when ``path`` is missing; otherwise ok, or the one problem with its fix (owner first)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as err:
        return Finding(check, "fail", f"{what} {path} cannot be read: {clean(str(err.strerror))}", f"ls -ld {sh(path)}")
    if directory != stat.S_ISDIR(st.st_mode):
        kind = "a directory" if directory else "a regular file"
        return Finding(check, "fail", f"{what} {path} is not {kind}", f"mv {sh(path)} {sh(str(path) + '.bak')}")
    if opts.uid >= 0 and st.st_uid != opts.uid:
        return Finding(
            check,
            "fail",
            f"{what} {path} belongs to uid {st.st_uid}, not to you (uid {opts.uid}): olares-cli and this server "
            "may fail to write it, and its owner can read or replace it",
            f"sudo chown {opts.uid} {sh(path)}",
        )
    loose = stat.S_IMODE(st.st_mode) & 0o077
    if loose:
        want = "700" if directory else "600"
        return Finding(
            check,
            "warn",
            f"{what} {path} has mode {_mode(st)}: other users on this machine can "
            f"{'list' if directory else 'read'} it (want 0{want})",
            f"chmod {want} {sh(path)}",
        )
    return Finding(check, "ok", f"{what} {path} is private (mode {_mode(st)}, yours)")


def _state_dirs(paths: Paths, opts: DoctorOptions) -> list[Finding]:
    out = []
    for check, path, what in (
        ("state.home", paths.home, "the config home"),
        ("state.token_dir", paths.keychain_dir, "the token directory"),
        ("state.locks", paths.locks, "the lock directory"),
    ):
        found = _private(check, path, directory=True, what=what, opts=opts)
        out.append(found or Finding(check, "ok", f"{what} {path} does not exist yet (nothing stored there)"))
    return out


def _config(paths: Paths, opts: DoctorOptions) -> tuple[list[Finding], Config | None]:
    path = paths.config_file
    private = _private("config.file", path, directory=False, what="config.json", opts=opts)
    if private is None:
        return [Finding("config.file", "ok", f"{path} does not exist yet: no profiles")], Config()
    try:
        config = ConfigStore(paths).load()
    except AuthError as err:  # the ConfigStore's own text: olares-cli fails with the same words
        fix = f"repair the JSON in {path} by hand (olares-cli fails on it the same way); nothing was changed"
        return [private, Finding("config.parse", "fail", clean(str(err)), fix)], None
    count = len(config.profiles)
    return [private, Finding("config.parse", "ok", f"{path} parses: {count} profile(s)")], config


def _master_key(paths: Paths, vault: TokenVault, opts: DoctorOptions) -> Finding:
    backend = vault.backend
    if backend == "file":
        path = paths.keychain_dir / "master.key"
    elif backend == "file-fallback":
        path = paths.keychain_dir / "master.key.file"
    elif backend == "system-keychain":
        return Finding("vault.master_key", "ok", "the master key is in the macOS login keychain (no key file)")
    else:
        return Finding("vault.master_key", "skipped", f"the {backend!r} vault has no master key file")
    token_files = _token_files(paths)
    private = _private("vault.master_key", path, directory=False, what=path.name, opts=opts)
    if private is None:
        if token_files:
            return Finding(
                "vault.master_key",
                "fail",
                f"{path} is missing but {len(token_files)} token file(s) exist: none of them can be decrypted",
                f"restore {path} from a backup; otherwise each profile logs in again (nothing else reads them)",
            )
        return Finding("vault.master_key", "ok", f"{path} does not exist yet (the first login creates it)")
    if private.status == "fail":
        return private
    try:
        size = path.stat().st_size
    except OSError as err:
        return Finding("vault.master_key", "fail", f"{path}: {clean(str(err.strerror))}", f"ls -l {sh(path)}")
    if size != KEY_SIZE:
        return Finding(
            "vault.master_key",
            "fail",
            f"{path} is {size} bytes, not {KEY_SIZE}: every token read fails with 'keychain is corrupted'",
            f"restore the {KEY_SIZE}-byte {path.name} from a backup; otherwise each profile logs in again",
        )
    if private.status == "warn":
        return private
    return Finding("vault.master_key", "ok", f"{path} is {KEY_SIZE} bytes, private and yours")


def _token_files(paths: Paths) -> list[Path]:
    try:
        return sorted(p for p in paths.keychain_dir.iterdir() if p.name.endswith(".enc"))
    except OSError:
        return []


def _token_file_modes(paths: Paths, opts: DoctorOptions) -> Finding:
    files = _token_files(paths)
    if not files:
        return Finding("vault.token_files", "ok", f"no token files in {paths.keychain_dir}")
    loose: list[str] = []
    foreign: list[Path] = []
    for path in files:
        with contextlib.suppress(OSError):
            st = path.stat()
            if opts.uid >= 0 and st.st_uid != opts.uid:
                foreign.append(path)
            elif stat.S_IMODE(st.st_mode) & 0o077:
                loose.append(f"{path.name} (mode {_mode(st)})")
    if foreign:
        names = ", ".join(p.name for p in foreign[:5])
        return Finding(
            "vault.token_files",
            "fail",
            f"{len(foreign)} token file(s) do not belong to you (uid {opts.uid}): {names}",
            f"sudo chown {opts.uid} {sh(paths.keychain_dir)}/*.enc",
        )
    if loose:
        names = ", ".join(loose[:5])
        return Finding(
            "vault.token_files",
            "warn",
            f"{len(loose)} token file(s) are readable by other users: {names}",
            f"chmod 600 {sh(paths.keychain_dir)}/*.enc",
        )
    return Finding("vault.token_files", "ok", f"{len(files)} token file(s), all private")


def _backend(paths: Paths, vault: TokenVault, audience: Audience) -> Finding:
    backend = vault.backend
    if backend == "file":
        return Finding(
            "vault.backend",
            "ok",
            f"file: AES-256-GCM files in {paths.keychain_dir}, keyed by master.key beside them (olares-cli's "
            "store on Linux); anyone who can read that directory as you can decrypt the tokens",
        )
    if backend == "system-keychain":
        return Finding(
            "vault.backend",
            "ok",
            f"system-keychain: the key is in the macOS login keychain, the encrypted tokens in {paths.keychain_dir}",
        )
    if backend == "file-fallback":
        key = paths.keychain_dir / "master.key.file"
        return Finding(
            "vault.backend",
            "warn",
            f"file-fallback: the login keychain was unusable when the key was created, so the key sits in {key} "
            "next to the tokens; anyone who can read that directory as you can decrypt them",
            f"move {key} aside and log in again from a desktop session with the login keychain unlocked "
            "(the tokens under the old key become unreadable)",
        )
    return Finding("vault.backend", "ok", f"{backend}: tokens are kept by the {backend} vault")


def _token_records(config: Config | None, vault: TokenVault, audience: Audience, now: float, cli: str) -> list[Finding]:
    if config is None:
        return [Finding("tokens", "skipped", "config.json does not parse, so the profiles are unknown")]
    if not config.profiles:
        return [Finding("tokens", "skipped", "no profiles: nothing to decrypt")]
    out: list[Finding] = []
    locked = False
    for profile in config.profiles:
        oid = profile.olares_id
        check = f"token:{escape(oid)}"
        if locked:  # each keychain call waits out its timeout: ask once, not once per profile
            out.append(Finding(check, "skipped", "the login keychain is locked (see above)"))
            continue
        try:
            record = vault.get(oid)
        except TokenNotFound:
            status = "pending (the platform issues it)" if profile.managed else "never logged in"
            out.append(Finding(check, "ok", f"no token stored ({status})"))
            continue
        except VaultError as err:
            if isinstance(err, VaultLocked) or isinstance(err.__cause__, VaultLocked):  # the vault wraps it
                locked = True
                fix = "unlock the login keychain: security unlock-keychain login.keychain"
            else:
                fix = login_fix(oid or None, audience, cli)  # a new login overwrites the unreadable record
            out.append(Finding(check, "fail", f"the stored token cannot be read: {clean(str(err))}", fix))
            continue
        out.append(_record_finding(check, oid, record, audience, now, cli))
    return out


def _record_finding(
    check: str, olares_id: str, record: TokenRecord, audience: Audience, now: float, cli: str
) -> Finding:
    if record.olares_id != olares_id:
        return Finding(
            check,
            "fail",
            f"the record in this profile's token file belongs to {escape(record.olares_id[:120])!r}: it is not "
            "this profile's grant and is never used as one",
            login_fix(olares_id, audience, cli),
        )
    if record.invalidated_at > 0:
        return Finding(
            check,
            "warn",
            "decrypts; the server rejected this grant earlier (invalidated): only a new login recovers",
            login_fix(olares_id, audience, cli),
        )
    if record.access_token == "":
        return Finding(check, "ok", "decrypts; no access token yet (a platform-issued grant still pending)")
    try:
        left = int(expires_at(record.access_token) - now)
    except JWTError as err:
        if "exp" in str(err):
            return Finding(check, "ok", "decrypts, matches its Olares ID; the access token has no expiry")
        return Finding(
            check,
            "warn",
            "decrypts, but the access token is not a readable JWT (STATUS: logged-in (unparseable token))",
            login_fix(olares_id, audience, cli),
        )
    when = f"expires in {left}s" if left > 0 else f"expired {-left}s ago (the next request refreshes it)"
    return Finding(check, "ok", f"decrypts, matches its Olares ID; access token {when}")


def _legacy(paths: Paths) -> Finding:
    path = paths.legacy_tokens_file
    if not path.exists():
        return Finding("legacy.tokens_json", "ok", "no legacy tokens.json")
    return Finding(
        "legacy.tokens_json",
        "warn",
        f"{path} (the deprecated plaintext store) exists: keychain-era olares-cli and this server never read it, "
        "and it may still hold old tokens in plain text",
        f"once every profile works, delete it: rm {sh(path)}",
    )


def _olares_cli(env: Mapping[str, str], opts: DoctorOptions) -> Finding:
    found = shutil.which("olares-cli", path=env.get("PATH", ""))
    if found is None:
        return Finding(
            "olares_cli",
            "warn",
            "olares-cli is not on PATH: this server manages the login, but Olares commands need olares-cli",
            "install olares-cli (github.com/beclab/Olares, cli/) and put it on PATH",
        )
    # no secret in argv or environment: only what a version print could need
    child_env = {k: env[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in env}
    try:
        proc = subprocess.run(
            [found, "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=child_env,
            timeout=opts.cli_timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Finding(
            "olares_cli",
            "warn",
            f"{found} did not answer --version within {opts.cli_timeout:g}s",
            f"run `{found} --version` yourself; reinstall olares-cli if it hangs",
        )
    except OSError as err:
        return Finding(
            "olares_cli",
            "warn",
            f"{found} cannot run: {clean(str(err.strerror or err))}",
            "reinstall olares-cli (github.com/beclab/Olares, cli/)",
        )
    text = (proc.stdout[:_OUTPUT_CAP] + b"\n" + proc.stderr[:_OUTPUT_CAP]).decode("utf-8", "replace")
    match = _VERSION.search(text)
    if proc.returncode == 0 and match:
        return Finding("olares_cli", "ok", f"{found}: version {match.group(0)}")
    return Finding(
        "olares_cli",
        "warn",
        f"{found} printed no version (exit {proc.returncode}); builds that old may predate the keychain-era "
        "files this server shares",
        "update olares-cli to a current release (github.com/beclab/Olares, cli/)",
    )


def _held(path: Path) -> bool | None:
    """Whether someone holds ``path`` exclusively now (None: not a readable lock file). Takes and drops a
    shared lock when free; opens read-only without creating anything."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)  # closing drops the shared lock if we took it
    return False


def _locks(paths: Paths, opts: DoctorOptions) -> Finding:
    try:
        files = sorted(p for p in paths.locks.iterdir() if p.name.endswith(".lock"))
    except OSError:
        files = []
    held = [p for p in files if _held(p)]
    if not held:
        return Finding("locks", "ok", f"{len(files)} lock file(s), none held (lock files are kept on purpose)")
    deadline = time.monotonic() + opts.lock_wait
    pause = threading.Event()  # never set: a bounded, interruptible pause between probes
    while held and time.monotonic() < deadline:
        pause.wait(min(0.1, max(deadline - time.monotonic(), 0)))
        held = [p for p in held if _held(p)]
    if not held:
        return Finding("locks", "ok", f"{len(files)} lock file(s); the ones held at first were released in time")
    names = ", ".join(p.name for p in held[:5])
    return Finding(
        "locks",
        "warn",
        f"{names} still held after {opts.lock_wait:g}s, longer than a refresh can take: a process may be stuck "
        "holding it (refreshes and config writes for it wait, then time out)",
        f"find the holder with `lsof {sh(held[0])}` and end it if stuck; never delete the lock file",
    )


def local_checks(
    paths: Paths, vault: TokenVault, env: Mapping[str, str], *, audience: Audience, now: float, opts: DoctorOptions
) -> tuple[list[Finding], Config | None]:
    """Every local finding, and the parsed config (None when it does not parse)."""
    findings = _state_dirs(paths, opts)
    config_findings, config = _config(paths, opts)
    findings.extend(config_findings)
    findings.append(_backend(paths, vault, audience))
    findings.append(_master_key(paths, vault, opts))
    findings.append(_token_file_modes(paths, opts))
    findings.extend(_token_records(config, vault, audience, now, opts.cli or OLARES_CLI))
    findings.append(_legacy(paths))
    findings.append(_olares_cli(env, opts))
    findings.append(_locks(paths, opts))
    return findings, config
