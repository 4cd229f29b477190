"""The contract every ``TokenVault`` backend passes (run by tests/auth/test_vault.py for each backend)."""

from __future__ import annotations

import pytest

from olares_auth_mcp.auth.errors import ForeignRecord, TokenNotFound, VaultError
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import TokenVault

RECORD = TokenRecord(
    "alice@olares.com", access_token="at-1", refresh_token="rt-1", session_id="s-1", granted_at=1777040985123
)


def check_round_trip(vault: TokenVault) -> None:
    vault.set(RECORD)
    assert vault.get("alice@olares.com") == RECORD


def check_missing_is_token_not_found(vault: TokenVault) -> None:
    with pytest.raises(TokenNotFound):
        vault.get("nobody@olares.com")
    with pytest.raises(TokenNotFound):
        vault.delete("nobody@olares.com")
    with pytest.raises(TokenNotFound):
        vault.mark_invalidated("nobody@olares.com", 5)


def check_set_clears_invalidation(vault: TokenVault) -> None:
    vault.set(RECORD)
    vault.mark_invalidated(RECORD.olares_id, 1777040999000)
    marked = vault.get(RECORD.olares_id)
    assert marked.invalidated_at == 1777040999000
    assert marked.access_token == RECORD.access_token
    assert marked.refresh_token == RECORD.refresh_token
    vault.set(marked)
    assert vault.get(RECORD.olares_id).invalidated_at == 0


def check_delete_then_get(vault: TokenVault) -> None:
    vault.set(RECORD)
    vault.delete(RECORD.olares_id)
    with pytest.raises(TokenNotFound):
        vault.get(RECORD.olares_id)


def check_accounts_are_independent(vault: TokenVault) -> None:
    vault.set(RECORD)
    other = TokenRecord("bob@olares.com", access_token="at-b")
    vault.set(other)
    vault.delete(RECORD.olares_id)
    assert vault.get("bob@olares.com") == other


def check_purge_removes_everything(vault: TokenVault) -> None:
    vault.set(RECORD)
    vault.purge()
    with pytest.raises(TokenNotFound):
        vault.get(RECORD.olares_id)
    vault.set(RECORD)  # usable again after a purge
    assert vault.get(RECORD.olares_id) == RECORD


def check_an_empty_record_is_no_record(vault: TokenVault) -> None:
    """A record that decrypts to an empty string reads as no record (``never``), as olares-cli reads it."""
    vault.store.put_blob(RECORD.olares_id, b"")  # type: ignore[attr-defined]  # every backend here is a BlobVault
    with pytest.raises(TokenNotFound):
        vault.get(RECORD.olares_id)


def check_record_of_another_id_is_unreadable(vault: TokenVault) -> None:
    """A blob stored under one ID whose record names another is an error, never that other ID's token."""
    store = vault.store  # type: ignore[attr-defined]  # every backend here is a BlobVault
    foreign = TokenRecord("alice_olares.com", access_token="at-x", refresh_token="rt-x")
    store.put_blob(RECORD.olares_id, foreign.to_json().encode())
    with pytest.raises(VaultError) as info:
        vault.get(RECORD.olares_id)
    assert not isinstance(info.value, TokenNotFound)
    assert isinstance(info.value.__cause__, ForeignRecord)
    assert "at-x" not in str(info.value) and "rt-x" not in str(info.value)
    with pytest.raises(VaultError):
        vault.delete(RECORD.olares_id)  # delete reads first: the foreign record is left alone
    with pytest.raises(VaultError):
        vault.mark_invalidated(RECORD.olares_id, 5)
    assert store.get_blob(RECORD.olares_id) == foreign.to_json().encode()


CONTRACT = [
    check_round_trip,
    check_missing_is_token_not_found,
    check_set_clears_invalidation,
    check_delete_then_get,
    check_accounts_are_independent,
    check_purge_removes_everything,
    check_record_of_another_id_is_unreadable,
    check_an_empty_record_is_no_record,
]
