"""Environment hints in the gate and the listing: the deprecated plaintext tokens.json, and the file fallback."""

from __future__ import annotations

import pytest
from mcp import Client

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import default_vault
from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.server.deps import Deps
from tests.auth.test_vault import FailingKeyring

pytestmark = pytest.mark.anyio


async def hints_of(deps: Deps) -> tuple[list[str], list[str]]:
    async with Client(build_server(deps)) as client:
        gate = (await client.call_tool("auth_readiness", {})).structured_content
        listing = (await client.call_tool("profile_list", {})).structured_content
    return gate["hints"], listing["hints"]


@pytest.mark.parametrize("legacy_file", [True, False])
async def test_legacy_hint_appears_exactly_when_tokens_json_exists(deps, paths, legacy_file) -> None:
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile("alice@olares.com")))
    if legacy_file:
        paths.legacy_tokens_file.write_text('{"tokens": {"alice@olares.com": {"accessToken": "x"}}}')
    gate, listing = await hints_of(deps)
    found = [h for h in gate + listing if "tokens.json" in h]
    assert bool(found) is legacy_file
    if legacy_file:
        assert len(gate) == 1 and "log in again" in gate[0].lower()
        assert paths.legacy_tokens_file.exists(), "never deleted"


async def test_no_legacy_hint_for_a_logged_in_profile(deps, paths, vault) -> None:
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile("alice@olares.com")))
    vault.set(TokenRecord("alice@olares.com", access_token="garbage", refresh_token="rt-123456789"))
    paths.legacy_tokens_file.write_text("{}")
    gate, _ = await hints_of(deps)
    assert gate == []


async def test_file_fallback_backend_is_named(tmp_path) -> None:
    paths = Paths(home=tmp_path / "h", keychain_dir=tmp_path / "Library" / "olares-cli", platform="darwin")
    vault = default_vault(paths, keyring_backend=FailingKeyring())
    vault.set(TokenRecord("alice@olares.com", access_token="eyJ.x.y"))
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile("alice@olares.com")))
    gate, listing = await hints_of(Deps(paths=paths, vault=vault))
    assert any("file fallback" in h for h in gate) and any("file fallback" in h for h in listing)
