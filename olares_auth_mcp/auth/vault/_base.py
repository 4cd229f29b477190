"""The vault contract and the record logic every backend shares (beclab/Olares `cli/pkg/auth/token_store.go`).

A backend only moves opaque blobs (``BlobStore``); ``BlobVault`` turns them
into ``TokenRecord``s with olares-cli's semantics: ``set`` clears
``invalidatedAt``, ``mark_invalidated`` is a read-modify-write, ``delete``
reads first (so it reports ``token not found`` and fails on a corrupt blob).

Ours: a record whose stored ``olaresId`` differs from the one asked for is
unreadable (``ForeignRecord``), never a token: file backends share one file
between IDs that differ only in characters the file name replaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from olares_auth_mcp.auth.errors import ForeignRecord, TokenNotFound, VaultError
from olares_auth_mcp.auth.tokens import TokenRecord

__all__ = ["BlobStore", "BlobVault", "Found", "TokenVault"]


Found = TokenRecord | VaultError | None
"""A vault's answer for one Olares ID (``TokenVault.get_many``): its record, the error reading it, or none."""


@runtime_checkable
class TokenVault(Protocol):
    """Where grants live: one record per Olares ID."""

    @property
    def backend(self) -> str:
        """The label olares-cli prints: ``file``, ``system-keychain``, ``file-fallback``, …"""
        ...

    def get(self, olares_id: str) -> TokenRecord:
        """Raises ``TokenNotFound`` when absent and ``VaultError`` when unreadable."""
        ...

    def get_many(self, olares_ids: Sequence[str]) -> list[Found]:
        """``get`` for each ID in order: its record, None when absent, or the ``VaultError`` ``get`` raises.

        One pass for a listing (the key is loaded once, and nothing is read again that did not change).
        """
        ...

    def set(self, record: TokenRecord) -> None: ...

    def delete(self, olares_id: str) -> None: ...

    def mark_invalidated(self, olares_id: str, at_ms: int) -> None: ...

    def purge(self) -> None: ...


class BlobStore(Protocol):
    @property
    def backend(self) -> str: ...

    def get_blob(self, account: str) -> bytes | None:
        """The decrypted blob, None when absent. Raises ``VaultError`` subclasses with the cause."""
        ...

    def get_blobs(self, accounts: Sequence[str]) -> list[bytes | VaultError | OSError | None]:
        """``get_blob`` for each account in order: the blob, None, or the error ``get_blob`` raises."""
        ...

    def put_blob(self, account: str, data: bytes) -> None: ...

    def remove_blob(self, account: str) -> None:
        """Missing is not an error."""
        ...

    def purge(self) -> None: ...


def _wrap(op: str, account: str, err: Exception) -> VaultError:
    """``op`` is olares-cli's Go method name, capitalised as it prints it: Get, Set, Remove."""
    return VaultError.op_failed(op, account, err)


class BlobVault:
    """A ``TokenVault`` over any ``BlobStore``."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self._records: dict[str, tuple[bytes, TokenRecord]] = {}  # account → (blob, its decoded record)

    @property
    def backend(self) -> str:
        return self.store.backend

    def get(self, olares_id: str) -> TokenRecord:
        (found,) = self.get_many([olares_id])
        if found is None:
            raise TokenNotFound
        if isinstance(found, VaultError):
            raise found
        return found

    def get_many(self, olares_ids: Sequence[str]) -> list[Found]:
        found: list[Found] = []
        wanted = [olares_id for olares_id in olares_ids if olares_id != ""]
        blobs = iter(self.store.get_blobs(wanted))
        for olares_id in olares_ids:
            if olares_id == "":  # olares-cli's Get refuses it too: a profile without an Olares ID has no token file
                found.append(VaultError("olaresID is required"))
                continue
            blob = next(blobs)
            if isinstance(blob, (VaultError, OSError)):
                wrapped = _wrap("Get", olares_id, blob)
                wrapped.__cause__ = blob  # as ``raise ... from`` sets it: the cause stays inspectable
                found.append(wrapped)
            elif blob is None or blob == b"":
                # olares-cli reads a record that decrypts to an empty string as no record: "never", not "unknown"
                self._records.pop(olares_id, None)
                found.append(None)
            else:
                try:
                    found.append(self._decode(olares_id, blob))
                except VaultError as err:
                    found.append(err)
        return found

    def _decode(self, olares_id: str, blob: bytes) -> TokenRecord:
        """The record in ``blob``, decoded once per distinct blob (a ``TokenRecord`` is immutable).

        A record stored for another Olares ID is never a token for this one (cached or not).
        """
        cached = self._records.get(olares_id)
        if cached is not None and cached[0] == blob:
            return cached[1]
        record = TokenRecord.from_json(blob, olares_id)
        if record.olares_id != olares_id:
            foreign = ForeignRecord(olares_id, record.olares_id)
            raise _wrap("Get", olares_id, foreign) from foreign
        self._records[olares_id] = (blob, record)
        return record

    def set(self, record: TokenRecord) -> None:
        if record.olares_id == "":
            raise VaultError("StoredToken.OlaresID is required")
        try:
            self.store.put_blob(record.olares_id, record.valid().to_json().encode("utf-8"))
        except (VaultError, OSError) as err:
            raise _wrap("Set", record.olares_id, err) from err

    def delete(self, olares_id: str) -> None:
        self.get(olares_id)
        try:
            self.store.remove_blob(olares_id)
        except (VaultError, OSError) as err:
            raise _wrap("Remove", olares_id, err) from err

    def mark_invalidated(self, olares_id: str, at_ms: int) -> None:
        record = self.get(olares_id)
        try:
            self.store.put_blob(olares_id, record.invalidated(at_ms).to_json().encode("utf-8"))
        except (VaultError, OSError) as err:
            raise _wrap("Set", olares_id, err) from err

    def purge(self) -> None:
        try:
            self.store.purge()
        except OSError as err:
            raise VaultError(str(err)) from err
