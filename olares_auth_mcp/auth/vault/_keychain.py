"""macOS: the master key in the login keychain, with olares-cli's file fallback.
Upstream: beclab/Olares `cli/pkg/auth/token_store_keychain.go`.

The item is service ``olares-cli``, account ``master.key``, secret
``base64(key)``. olares-cli reaches it through go-keyring, which may store the
secret as ``go-keyring-base64:<base64(secret)>``; we read both forms and write
the prefixed one, which go-keyring decodes (the exact form olares-cli writes
is open question 4 of the compat doc).

Every keychain call runs on a helper thread with a timeout (5 s, as
olares-cli): a locked or hanging keychain becomes ``keychain access blocked``
instead of hanging the server. The keyring backend is injected, so tests pass
an in-memory backend object rather than patching ``keyring``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

from olares_auth_mcp.auth.errors import VaultCorrupted, VaultLocked
from olares_auth_mcp.auth.vault._files import KEY_SIZE, FileCache, create_key_file, read_key_file

__all__ = ["MacKeychainKey"]

SERVICE: Final = "olares-cli"
ACCOUNT: Final = "master.key"
GO_KEYRING_PREFIX: Final = "go-keyring-base64:"
T = TypeVar("T")


def call_with_timeout(fn: Callable[[], T], timeout: float) -> T:
    """Run ``fn`` on a daemon thread; ``VaultLocked`` if it fails or does not return in time."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = fn()
        except Exception as err:
            box["error"] = err
        done.set()

    threading.Thread(target=run, name="keychain-call", daemon=True).start()
    if not done.wait(timeout):
        raise VaultLocked
    if "error" in box:
        raise VaultLocked from box["error"]
    value: T = box["value"]
    return value


def decode_secret(secret: str) -> bytes:
    text = secret
    try:
        if text.startswith(GO_KEYRING_PREFIX):
            text = base64.b64decode(text[len(GO_KEYRING_PREFIX) :], validate=True).decode("ascii")
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise VaultCorrupted from err
    if len(key) != KEY_SIZE:
        raise VaultCorrupted
    return key


def encode_secret(key: bytes) -> str:
    inner = base64.b64encode(key).decode("ascii")
    return GO_KEYRING_PREFIX + base64.b64encode(inner.encode("ascii")).decode("ascii")


class MacKeychainKey:
    """Key source: ``master.key.file`` first, then the login keychain, else a new file key."""

    def __init__(self, directory: Path, keyring_backend: Any, *, timeout: float = 5.0) -> None:
        self.file = directory / "master.key.file"
        self.keyring = keyring_backend
        self.timeout = timeout
        self._cache: FileCache[bytes] = FileCache()

    @property
    def backend(self) -> str:
        try:
            if self.file.stat().st_size == KEY_SIZE:
                return "file-fallback"
        except FileNotFoundError:
            pass
        return "system-keychain"

    def _keychain_get(self) -> bytes | None:
        secret = call_with_timeout(lambda: self.keyring.get_password(SERVICE, ACCOUNT), self.timeout)
        return None if secret is None else decode_secret(secret)

    def load(self) -> bytes | None:
        return read_key_file(self.file, self._cache) or self._keychain_get()

    def load_or_create(self) -> bytes:
        existing = read_key_file(self.file, self._cache)
        if existing is not None:
            return existing
        try:
            key = self._keychain_get()
            if key is None:
                new = os.urandom(KEY_SIZE)
                call_with_timeout(lambda: self.keyring.set_password(SERVICE, ACCOUNT, encode_secret(new)), self.timeout)
                key = new
            return key
        except VaultLocked:
            # sandbox / CI: no usable keychain, so olares-cli falls back to a key file
            return create_key_file(self.file)

    def purge(self) -> None:
        with contextlib.suppress(VaultLocked):
            call_with_timeout(lambda: self.keyring.delete_password(SERVICE, ACCOUNT), self.timeout)
