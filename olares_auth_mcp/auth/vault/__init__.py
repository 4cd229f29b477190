"""Token vaults: one ``TokenVault`` contract, several backends (beclab/Olares `cli/pkg/auth/token_store.go`).

A ``BlobVault`` keeps each profile's ``TokenRecord`` as one opaque blob in a ``BlobStore``:
``EncryptedFileStore`` writes olares-cli's AES-GCM files, keyed by ``RawKeyFile`` (``master.key``,
Linux) or ``MacKeychainKey`` (the macOS keychain); ``MemoryStore`` is for tests and benchmarks.
``default_vault`` picks the one olares-cli itself would use on the platform, so both programs read
and write the same tokens.
"""

from __future__ import annotations

from typing import Any

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault._base import BlobStore, BlobVault, Found, TokenVault
from olares_auth_mcp.auth.vault._files import EncryptedFileStore, RawKeyFile, safe_file_name
from olares_auth_mcp.auth.vault._keychain import MacKeychainKey
from olares_auth_mcp.auth.vault._memory import MemoryStore

__all__ = [
    "BlobStore",
    "BlobVault",
    "EncryptedFileStore",
    "Found",
    "MacKeychainKey",
    "MemoryStore",
    "RawKeyFile",
    "TokenVault",
    "default_vault",
    "file_vault",
    "memory_vault",
    "safe_file_name",
]


def file_vault(paths: Paths) -> BlobVault:
    """Linux (and every non-darwin unix): AES-GCM files keyed by ``master.key``."""
    return BlobVault(EncryptedFileStore(paths.keychain_dir, RawKeyFile(paths.keychain_dir)))


def memory_vault() -> BlobVault:
    return BlobVault(MemoryStore())


def default_vault(paths: Paths, *, keyring_backend: Any = None) -> BlobVault:
    """The vault olares-cli would use on ``paths.platform``."""
    if paths.platform == "darwin":
        if keyring_backend is None:
            import keyring  # only macOS needs it; keep it off the Linux start-up path

            keyring_backend = keyring.get_keyring()
        keys = MacKeychainKey(paths.keychain_dir, keyring_backend)
        return BlobVault(EncryptedFileStore(paths.keychain_dir, keys))
    return file_vault(paths)
