"""AES-256-GCM token files, as olares-cli's ``aesgcm.go`` writes them (compat §5.3, §5.4).

``<dir>/<safe-name>.enc`` is ``nonce(12) ‖ ciphertext ‖ tag(16)`` under a
32-byte master key, no associated data. On Linux the key is the raw file
``<dir>/master.key``; on macOS it lives in the login keychain (``MacKeychainKey``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import uuid
from pathlib import Path
from typing import Final, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from olares_auth_mcp.auth._fs import atomic_write, make_private_dirs
from olares_auth_mcp.auth.errors import VaultCorrupted, VaultError

__all__ = ["EncryptedFileStore", "KeySource", "RawKeyFile", "safe_file_name"]

KEY_SIZE: Final = 32
NONCE_SIZE: Final = 12
MIN_BLOB: Final = NONCE_SIZE + 16
_UNSAFE: Final = re.compile(r"[^a-zA-Z0-9._-]")


def safe_file_name(account: str) -> str:
    """``alice@olares.com`` → ``alice_olares.com.enc`` (``@`` is replaced, despite a Go comment)."""
    return _UNSAFE.sub("_", account) + ".enc"


class KeySource(Protocol):
    @property
    def backend(self) -> str: ...

    def load(self) -> bytes | None:
        """The master key, None when none exists yet. Never creates one."""
        ...

    def load_or_create(self) -> bytes: ...

    def purge(self) -> None: ...


def read_key_file(path: Path) -> bytes | None:
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        return None
    if len(key) != KEY_SIZE:
        raise VaultCorrupted
    return key


def create_key_file(path: Path) -> bytes:
    """Create ``path`` with 32 random bytes unless it exists; a lost race reads the winner's key."""
    make_private_dirs(path.parent)
    tmp = path.parent / f"{path.name}.{uuid.uuid4()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, secrets.token_bytes(KEY_SIZE))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # unlike rename, link never replaces a key another process already wrote
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    key = read_key_file(path)
    if key is None:
        raise VaultError(f"master key {path} vanished after creation")
    return key


class RawKeyFile:
    """Linux: ``<dir>/master.key``, 32 raw bytes, 0600, created on the first write."""

    backend = "file"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "master.key"

    def load(self) -> bytes | None:
        return read_key_file(self.path)

    def load_or_create(self) -> bytes:
        return self.load() or create_key_file(self.path)

    def purge(self) -> None:
        """The key file goes with the directory."""


class EncryptedFileStore:
    """A ``BlobStore`` of AES-GCM ``.enc`` files in one directory."""

    def __init__(self, directory: Path, keys: KeySource) -> None:
        self.directory = directory
        self.keys = keys

    @property
    def backend(self) -> str:
        return self.keys.backend

    def path_for(self, account: str) -> Path:
        return self.directory / safe_file_name(account)

    def get_blob(self, account: str) -> bytes | None:
        try:
            blob = self.path_for(account).read_bytes()
        except FileNotFoundError:
            return None
        key = self.keys.load()
        if key is None:
            raise VaultError("keychain not initialized")
        if len(blob) < MIN_BLOB:
            raise VaultCorrupted("ciphertext too short")
        try:
            return AESGCM(key).decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], None)
        except InvalidTag as err:
            raise VaultCorrupted("cipher: message authentication failed") from err

    def put_blob(self, account: str, data: bytes) -> None:
        key = self.keys.load_or_create()
        nonce = secrets.token_bytes(NONCE_SIZE)
        blob = nonce + AESGCM(key).encrypt(nonce, data, None)
        target = self.path_for(account)
        atomic_write(target, blob, f"{target.name}.{uuid.uuid4()}.tmp")

    def remove_blob(self, account: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(account).unlink()

    def purge(self) -> None:
        self.keys.purge()
        if self.directory.exists():
            shutil.rmtree(self.directory)

    def loose_files(self) -> list[tuple[Path, str]]:
        """Ours: key material (``master.key``, ``master.key.file``, ``*.enc``) that group or others can
        access, or that another user owns, each with the reason. olares-cli reads such files anyway,
        so this is for a warning, never a refusal.
        """
        found = []
        me = os.geteuid()
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return []
        for entry in sorted(entries, key=lambda e: e.name):
            if not (entry.name.endswith(".enc") or entry.name in ("master.key", "master.key.file")):
                continue
            try:
                st = entry.stat()  # follows a symlink, as every reader does
            except OSError:
                continue
            path = Path(entry.path)
            if st.st_uid != me:
                found.append((path, f"is owned by uid {st.st_uid}, not by you (uid {me})"))
            elif st.st_mode & 0o077:
                found.append((path, f"is accessible to other users (mode {st.st_mode & 0o777:04o})"))
        return found
