"""The cost of the boundary: the vault is fingerprinted once before a call (the screen) and once after it (the
redaction, which must see a token the call itself stored), and a listing scans for loose key files once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.auth.vault._files import EncryptedFileStore
from olares_auth_mcp.tools._guard import ArgumentScreen, Guard
from olares_auth_mcp.tools.deps import Deps
from olares_auth_mcp.tools.models import WhoamiModel

pytestmark = pytest.mark.anyio


class CountingGuard(Guard):
    """A Guard that counts how often it fingerprints the vault (a subclass: nothing of ours is patched)."""

    fingerprints = 0

    def _vault_fingerprint(self) -> object:
        self.fingerprints += 1
        return super()._vault_fingerprint()


def _model() -> WhoamiModel:
    return WhoamiModel(
        olares_id="alice@olares.com",
        name=None,
        role="owner",
        role_label="Owner",
        source="cache",
        refreshed_at=None,
        previous_role=None,
        changed=False,
        lines=[],
    )


async def test_a_screened_call_fingerprints_once_before_and_once_after(paths: Paths, vault: BlobVault) -> None:
    vault.set(TokenRecord("alice@olares.com", access_token="stored-access-token-0001"))
    guard = CountingGuard(Deps(Runtime.build(paths, vault, audit_path=paths.audit_log)))
    screen = ArgumentScreen(guard)
    ctx = SimpleNamespace(method="tools/call", params={"name": "profile_whoami", "arguments": {"refresh": False}})

    async def call_next(_ctx: object) -> WhoamiModel:
        return guard.run("profile_whoami", {"refresh": False}, _model)

    result = await screen(ctx, call_next)
    assert result.olares_id == "alice@olares.com"
    assert guard.fingerprints == 2, "the screen's look, and one look after the call (result and audit line share it)"
    guard.run("profile_whoami", {}, _model)  # outside the screen: only the look after the call
    assert guard.fingerprints == 3


async def test_a_token_the_call_itself_stored_is_redacted_without_being_told(paths: Paths, vault: BlobVault) -> None:
    """No flag declares which calls store tokens: every result is redacted with the secrets stored after it."""
    from olares_auth_mcp.auth.config import ConfigStore, Profile

    ConfigStore(paths).mutate(lambda c: c.upsert(Profile("alice@olares.com")))
    guard = Guard(Deps(Runtime.build(paths, vault, audit_path=paths.audit_log)))
    fresh = "fresh-refresh-token-0123456789"
    guard.known_secrets()  # the secrets as they were before the call

    def stores_then_echoes() -> WhoamiModel:
        vault.set(TokenRecord("alice@olares.com", access_token="x", refresh_token=fresh))
        return _model().model_copy(update={"lines": [f"stored {fresh}"]})

    result = guard.run("whoami", {"refresh": True}, stores_then_echoes)
    assert result.lines == ["stored [redacted]"]


class CountingStore(EncryptedFileStore):
    """An ``EncryptedFileStore`` that counts its directory scans for loose key files (a subclass, not a patch)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.scans = 0
        self.asked: list[object] = []

    def loose_files(self, accounts=None):  # type: ignore[no-untyped-def]
        self.scans += 1
        self.asked.append(None if accounts is None else sorted(accounts))
        return super().loose_files(accounts)


async def test_listing_scans_for_loose_key_files_once_whatever_the_number_of_profiles(paths: Paths) -> None:
    from mcp import Client

    from olares_auth_mcp.auth.config import ConfigStore, Profile
    from olares_auth_mcp.auth.vault._files import RawKeyFile
    from olares_auth_mcp.server.app import build_server

    store = CountingStore(paths.keychain_dir, RawKeyFile(paths.keychain_dir))
    vault = BlobVault(store)
    ids = [f"user{n}@olares.com" for n in range(30)]
    ConfigStore(paths).mutate(lambda c: c.profiles.extend(Profile(i) for i in ids))
    for n, olares_id in enumerate(ids):
        if n % 2:
            vault.set(TokenRecord(olares_id, access_token="not-a-jwt", refresh_token=f"rt-{n}-0123456789"))
    async with Client(build_server(Deps(Runtime.build(paths, vault)))) as client:
        store.scans = 0
        listed = (await client.call_tool("profile_list", {})).structured_content
        assert len(listed["profiles"]) == 30
        assert store.scans == 1
        store.scans, store.asked = 0, []
        await client.call_tool("auth_readiness", {"profile": "user3@olares.com"})
        assert store.scans == 1 and store.asked == [["user3@olares.com"]]  # the gate stats its own profile's file
