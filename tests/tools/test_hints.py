"""Environment hints in the gate and the listing: the deprecated plaintext tokens.json, and the file fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault, default_vault
from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.tools.deps import Deps
from tests.auth.test_vault import FailingKeyring

pytestmark = pytest.mark.anyio


async def hints_of(deps: Deps) -> tuple[list[str], list[str]]:
    async with Client(build_server(deps)) as client:
        gate = (await client.call_tool("auth_readiness", {})).structured_content
        listing = (await client.call_tool("profile_list", {})).structured_content
    return gate["hints"], listing["hints"]


@pytest.mark.parametrize("legacy_file", [True, False])
async def test_legacy_hint_appears_exactly_when_tokens_json_exists(deps: Deps, paths: Paths, legacy_file: bool) -> None:
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile("alice@olares.com")))
    if legacy_file:
        paths.legacy_tokens_file.write_text('{"tokens": {"alice@olares.com": {"accessToken": "x"}}}')
    gate, listing = await hints_of(deps)
    found = [h for h in gate + listing if "tokens.json" in h]
    assert bool(found) is legacy_file
    if legacy_file:
        assert len(gate) == 1 and "log in again" in gate[0].lower()
        assert paths.legacy_tokens_file.exists(), "never deleted"


async def test_no_legacy_hint_for_a_logged_in_profile(deps: Deps, paths: Paths, vault: BlobVault) -> None:
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile("alice@olares.com")))
    vault.set(TokenRecord("alice@olares.com", access_token="garbage", refresh_token="rt-123456789"))
    paths.legacy_tokens_file.write_text("{}")
    gate, _ = await hints_of(deps)
    assert gate == []


async def test_file_fallback_backend_is_named(tmp_path: Path) -> None:
    paths = Paths(home=tmp_path / "h", keychain_dir=tmp_path / "Library" / "olares-cli", platform="darwin")
    vault = default_vault(paths, keyring_backend=FailingKeyring())
    vault.set(TokenRecord("alice@olares.com", access_token="eyJ.x.y"))
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile("alice@olares.com")))
    gate, listing = await hints_of(Deps(Runtime.build(paths, vault)))
    assert any("file fallback" in h for h in gate) and any("file fallback" in h for h in listing)


def _with_olares_cli(deps: Deps, tmp_path: Path) -> Deps:
    """The same home, served by a server whose PATH has an `olares-cli`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    program = bin_dir / "olares-cli"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return deps.with_env({**deps.env, "PATH": str(bin_dir)})


@pytest.mark.parametrize("installed", [False, True])
async def test_commands_name_the_cli_on_the_servers_path(
    deps: Deps, paths: Paths, tmp_path: Path, installed: bool
) -> None:
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile("alice@olares.com")))
    serving = _with_olares_cli(deps, tmp_path) if installed else deps
    cli = "olares-cli" if installed else "olares-auth-mcp"
    async with Client(build_server(serving)) as client:
        gate = (await client.call_tool("auth_readiness", {})).structured_content
        explained = (
            await client.call_tool("explain_auth_error", {"error_text": "no access token for alice@olares.com"})
        ).structured_content
    assert gate["next_action"]["command"] == f"{cli} profile login --olares-id alice@olares.com"
    assert explained["fix"] == f"{cli} profile login --olares-id alice@olares.com"


async def test_explain_fills_the_id_and_never_suggests_turning_tls_off(deps: Deps) -> None:
    async with Client(build_server(deps)) as client:
        tls = (
            await client.call_tool(
                "explain_auth_error",
                {"error_text": "refresh for alice@olares.com: x509: certificate signed by unknown authority"},
            )
        ).structured_content
        bare = (await client.call_tool("explain_auth_error", {"error_text": "HTTP 401"})).structured_content
    assert (tls["kind"], tls["transient"], tls["olares_id"]) == ("tls", False, "alice@olares.com")
    assert "a human may choose `--insecure-skip-verify`" in tls["fix"]
    assert "never turn tls verification off yourself" in tls["retry"].lower()
    assert (bare["kind"], bare["olares_id"]) == ("access_rejected", None)
