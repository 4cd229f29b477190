"""``auth_doctor`` over MCP, in both protocol eras: annotations, the session's reach, and no secret anywhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault, memory_vault
from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.sim import Simulator
from olares_auth_mcp.tools.deps import Deps
from tests.conftest import ALICE
from tests.hostile import HostileServer, Reply, Seen, echo_400
from tests.tools.conftest import CANARY_ACCESS, CANARY_REFRESH, EXPIRED_REFRESH, Human, block_text, seed_every_status

pytestmark = pytest.mark.anyio


def by_check(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {finding["check"]: finding for finding in data["findings"]}


async def test_doctor_is_read_only_and_may_go_to_the_network(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    hints = tools["auth_doctor"].annotations
    assert hints is not None
    assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
        True,
        False,
        True,
        True,
    )
    assert "first" in (tools["auth_doctor"].description or "")


async def test_a_client_that_can_elicit_reaches_the_human_in_the_client(
    connect: Callable[..., Client], era: str
) -> None:
    async with connect(human=Human()) as client:
        data = (await client.call_tool("auth_doctor", {})).structured_content
    session = data["session"]
    assert session["protocol_version"] == ("2026-07-28" if era == "modern" else "2025-11-25")
    assert (session["form_elicitation"], session["url_elicitation"]) == (True, True)
    assert (session["login_route"], session["confirmation_route"]) == ("url-elicitation", "form-elicitation")
    assert by_check(data)["session.reach"]["status"] == "ok"


async def test_a_client_without_elicitation_is_told_confirmations_need_the_cli(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        data = (await client.call_tool("auth_doctor", {})).structured_content
    assert (data["session"]["login_route"], data["session"]["confirmation_route"]) == ("url-in-result", "cli-only")
    reach = by_check(data)["session.reach"]
    assert reach["status"] == "warn" and "olares-auth-mcp profile remove" in reach["fix"]  # none on PATH


async def test_live_doctor_through_the_tool_checks_the_profile_asked(
    connect: Callable[..., Client], paths: Paths, vault: BlobVault, olares_sim: Simulator
) -> None:
    access, refresh = olares_sim.issue_tokens(ALICE)
    seed_every_status(paths, vault)
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile(ALICE)))
    vault.set(TokenRecord(ALICE, access_token=access, refresh_token=refresh))
    async with connect() as client:
        data = (await client.call_tool("auth_doctor", {"profile": ALICE, "live": True})).structured_content
    checks = by_check(data)
    assert data["profile"] == ALICE and checks["grant"]["status"] == "ok" and checks["dns.auth"]["status"] == "ok"
    assert checks["token:broken@olares.com"]["status"] == "fail"
    assert checks["token:broken@olares.com"]["fix"] == 'start_login(olares_id="broken@olares.com")'


def rejects_then_quotes(seen: Seen) -> Reply:
    """401 to every API call (so the client refreshes), then a 400 that quotes the refresh body back."""
    if seen.path == "/api/refresh":
        return echo_400(seen)
    return Reply(401, {"code": 401, "message": f"bad token {seen.headers.get('x-authorization', '')}"})


async def test_no_token_appears_in_any_doctor_result_or_the_audit_log(paths: Paths, vault: BlobVault, era: str) -> None:
    """Canary: every stored token, the live profile's grant sent to a server that quotes requests back."""
    seed_every_status(paths, vault)
    with HostileServer(rejects_then_quotes) as echo:
        deps = Deps(
            Runtime.build(paths, vault, env={"OLARES_AUTH_MCP_SERVICE_URL": echo.url}, audit_path=paths.audit_log)
        )
        async with Client(build_server(deps), mode="legacy" if era == "legacy" else "auto") as client:
            outputs, details = [], []
            for arguments in ({}, {"live": True}, {"live": True, "profile": "stale@olares.com"}):
                result = await client.call_tool("auth_doctor", arguments)
                details.append(by_check(result.structured_content).get("grant", {}).get("detail", ""))
                outputs.append(
                    json.dumps(result.structured_content) + json.dumps([c.model_dump() for c in result.content])
                )
        sent = [seen.body.decode() for seen in echo.requests_to("/api/refresh")]
    assert any(EXPIRED_REFRESH in body for body in sent), "the stale profile's refresh went through the normal path"
    assert "[redacted]" in details[2], details  # the quoted token came back, and was cut out
    everything = "".join(outputs) + paths.audit_log.read_text()
    for secret in (CANARY_ACCESS, CANARY_REFRESH, EXPIRED_REFRESH, CANARY_ACCESS.split(".")[1]):
        assert secret not in everything


async def test_the_auth_guide_and_the_readme_send_a_surprised_agent_to_the_doctor(
    connect: Callable[..., Client],
) -> None:
    async with connect() as client:
        guide = block_text((await client.read_resource("olares://guide/auth")).contents[0])
    assert "auth_doctor" in guide and "surprises" in guide
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "`auth_doctor(profile?, live?)`" in readme and "olares-auth-mcp doctor" in readme


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=20, deadline=None)
@given(
    value=st.one_of(
        st.text(max_size=120),
        st.sampled_from(
            ["-", "../../etc/passwd", "\x1b]52;c;aGk=\x07", "a" * 5000, "\u202eevil", "http://127.0.0.1:9"]
        ),
    )
)
def test_doctor_survives_any_profile_name_and_shows_it_harmlessly(
    tmp_path_factory: pytest.TempPathFactory, value: str
) -> None:
    home = tmp_path_factory.mktemp("h")
    deps = Deps(
        Runtime.build(Paths(home=home, keychain_dir=home / "d" / "olares-cli", platform="linux"), memory_vault())
    )

    async def run() -> None:
        async with Client(build_server(deps)) as client:
            result = await client.call_tool("auth_doctor", {"profile": value, "live": True})
        text = json.dumps(result.structured_content) + " ".join(getattr(b, "text", "") for b in result.content)
        assert "Error executing tool" not in text
        assert not any(ch in text for ch in "\x1b\x07\u202e")

    anyio.run(run)
