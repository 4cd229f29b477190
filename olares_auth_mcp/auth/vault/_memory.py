"""An in-memory blob store for tests and benchmarks (same record logic as the real vaults)."""

from __future__ import annotations

import threading

__all__ = ["MemoryStore"]


class MemoryStore:
    backend = "memory"

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get_blob(self, account: str) -> bytes | None:
        with self._lock:
            return self._blobs.get(account)

    def put_blob(self, account: str, data: bytes) -> None:
        with self._lock:
            self._blobs[account] = data

    def remove_blob(self, account: str) -> None:
        with self._lock:
            self._blobs.pop(account, None)

    def purge(self) -> None:
        with self._lock:
            self._blobs.clear()
