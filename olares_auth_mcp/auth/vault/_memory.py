"""An in-memory blob store for tests and benchmarks (same record logic as the real vaults)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from olares_auth_mcp.auth.errors import VaultError

__all__ = ["MemoryStore"]


class MemoryStore:
    backend = "memory"

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get_blob(self, account: str) -> bytes | None:
        with self._lock:
            return self._blobs.get(account)

    def get_blobs(self, accounts: Sequence[str]) -> list[bytes | VaultError | OSError | None]:
        with self._lock:
            return [self._blobs.get(account) for account in accounts]

    def put_blob(self, account: str, data: bytes) -> None:
        with self._lock:
            self._blobs[account] = data

    def remove_blob(self, account: str) -> None:
        with self._lock:
            self._blobs.pop(account, None)

    def purge(self) -> None:
        with self._lock:
            self._blobs.clear()
