"""The argument screen and Guard.run fingerprint the vault once per tool call, not twice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.server.deps import Deps
from olares_auth_mcp.tools._guard import ArgumentScreen, Guard
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


async def test_a_screened_call_fingerprints_once(paths: Paths, vault: BlobVault) -> None:
    vault.set(TokenRecord("alice@olares.com", access_token="stored-access-token-0001"))
    guard = CountingGuard(Deps(paths=paths, vault=vault, audit_path=paths.audit_log))
    screen = ArgumentScreen(guard)
    ctx = SimpleNamespace(method="tools/call", params={"name": "profile_whoami", "arguments": {"refresh": False}})

    async def call_next(_ctx: object) -> WhoamiModel:
        return guard.run("profile_whoami", {"refresh": False}, _model, stores_tokens=False)

    result = await screen(ctx, call_next)
    assert result.olares_id == "alice@olares.com"
    assert guard.fingerprints == 1
    guard.run("profile_whoami", {}, _model, stores_tokens=False)  # outside the screen: reads them itself
    assert guard.fingerprints == 2
