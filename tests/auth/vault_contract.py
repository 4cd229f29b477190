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


def _one(vault: TokenVault, olares_id: str) -> TokenRecord | str | None:
    """``get``'s answer as a value: the record, None when absent, or the error's text."""
    try:
        return vault.get(olares_id)
    except TokenNotFound:
        return None
    except VaultError as err:
        return str(err)


def check_get_many_answers_as_get_does(vault: TokenVault) -> None:
    """``get_many`` (one pass, for listings) gives each ID exactly ``get``'s answer, in the order asked."""
    store = vault.store  # type: ignore[attr-defined]  # every backend here is a BlobVault
    vault.set(RECORD)
    vault.set(TokenRecord("bob@olares.com", access_token="at-b"))
    store.put_blob("carol@olares.com", b"")  # decrypts to nothing: no record
    store.put_blob("dave@olares.com", TokenRecord("eve@olares.com", access_token="at-e").to_json().encode())
    store.put_blob("frank@olares.com", b"{not json")
    ids = ["bob@olares.com", "", "nobody@olares.com", "carol@olares.com", "dave@olares.com", RECORD.olares_id]
    ids.append("frank@olares.com")
    for _ in range(2):  # cold, then from whatever the backend keeps
        many = [str(found) if isinstance(found, VaultError) else found for found in vault.get_many(ids)]
        assert many == [_one(vault, olares_id) for olares_id in ids]
    assert many[0] == TokenRecord("bob@olares.com", access_token="at-b") and many[-2] == RECORD
    assert many[2] is None and many[3] is None and isinstance(many[1], str) and isinstance(many[4], str)
    assert vault.get_many([]) == []


CONTRACT = [
    check_round_trip,
    check_missing_is_token_not_found,
    check_set_clears_invalidation,
    check_delete_then_get,
    check_accounts_are_independent,
    check_purge_removes_everything,
    check_record_of_another_id_is_unreadable,
    check_an_empty_record_is_no_record,
    check_get_many_answers_as_get_does,
]
