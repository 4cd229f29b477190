"""R17 at the MCP surface: profile_list and auth_readiness carry the loose-key-file hint with its fix."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mcp import Client

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import BlobVault
from tests.tools.conftest import seed_every_status

pytestmark = pytest.mark.anyio


async def test_list_and_gate_report_a_world_readable_master_key(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault
) -> None:
    seed_every_status(paths, vault)
    key = paths.keychain_dir / "master.key"
    async with connect() as client:
        listed = (await client.call_tool("profile_list", {})).structured_content
        gate = (await client.call_tool("auth_readiness", {"profile": "live"})).structured_content
        assert not any("chmod" in hint for hint in listed["hints"] + gate["hints"]), "0600 files: no hint"
        key.chmod(0o644)
        listed = (await client.call_tool("profile_list", {})).structured_content
        gate = (await client.call_tool("auth_readiness", {"profile": "live"})).structured_content
    fix = f"Fix: chmod 600 {key}"
    assert [hint for hint in listed["hints"] if fix in hint] == [
        f"{key} is accessible to other users (mode 0644): whoever can read it can decrypt or use the stored "
        f"tokens; olares-cli still reads it, so it is used, not refused. {fix}"
    ]
    assert any(fix in hint for hint in gate["hints"])
    assert gate["decision"] == "proceed", "a warning, not a refusal"
