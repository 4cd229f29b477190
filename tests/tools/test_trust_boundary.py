"""The MCP tools' trust boundary (issue 10): what a prompt-injected agent can no longer do through a tool call.

``sim`` is the real Olares (via ``OLARES_AUTH_MCP_SERVICE_URL``); a ``HostileServer`` on loopback stands in
for the attacker's domain. Both protocol eras unless a test says otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitRequestURLParams, ElicitResult

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.errors import TokenNotFound
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.sim import Simulator
from olares_auth_mcp.tools.deps import Deps
from tests.conftest import ALICE, ALICE_PASSWORD, BOB
from tests.hostile import HostileServer
from tests.tools.conftest import EXPIRED_ACCESS, Action, Human, block_text, type_into_page

pytestmark = pytest.mark.anyio

DESTINATION_ARGUMENTS = ("auth_url_override", "local_url_prefix", "insecure_skip_verify")
INTERNAL_NAMES = ("Resolver", "resolver", "CannotAsk", "confirm_removal", "confirm_import", "Arguments", "schema")


def options(era: str) -> dict[str, Any]:
    return {"mode": "legacy"} if era == "legacy" else {}


class Person(Human):
    """A ``Human`` that also records the text of every URL elicitation (what the client shows beside the link)."""

    def __init__(self, action: Action = "accept", confirm: bool = True) -> None:
        super().__init__(action, confirm)
        self.url_messages: list[str] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        if isinstance(params, ElicitRequestURLParams):
            self.url_messages.append(params.message)
        return await super().__call__(context, params)


class Answers:
    """A client whose form elicitation answers with exactly ``content`` (a hand-written, possibly malformed reply)."""

    def __init__(self, content: dict[str, str | int | float | bool | list[str] | None] | None) -> None:
        self.content = content
        self.asked: list[str] = []

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        return ElicitResult(action="accept", content=self.content)


def _cmdlines(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(cmdline.replace("\0", " "))
    return found


async def _page_status(url: str) -> int:
    return await anyio.to_thread.run_sync(lambda: httpx.get(url, timeout=10).status_code)


async def _page_spent(url: str, within: float = 20.0) -> bool:
    """Poll (bounded) until the one-time page stops answering: its token was spent."""
    with anyio.move_on_after(within):
        while await _page_status(url) not in (404, 410):
            await anyio.sleep(0.05)
        return True
    return False


# --- R1: destinations are not the agent's to choose ---------------------------------------------------------


async def test_no_tool_takes_a_destination_or_tls_argument(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name in ("start_login", "profile_import"):
        schema = json.dumps(tools[name].input_schema)
        assert not [arg for arg in DESTINATION_ARGUMENTS if arg in schema], name
    assert "no_switch" not in json.dumps(tools["profile_import"].input_schema)


async def test_start_login_ignores_an_agents_auth_url_override(deps: Deps, era: str, paths: Paths) -> None:
    """The phishing attempt: the password goes to the real host, the attacker's server gets nothing, nothing is saved."""
    human = Person()
    with HostileServer() as evil:
        smuggled = {"auth_url_override": evil.url, "local_url_prefix": "evil.", "insecure_skip_verify": True}
        async with Client(build_server(deps), elicitation_callback=human, **options(era)) as client:
            started = (await client.call_tool("start_login", {"olares_id": ALICE, **smuggled})).structured_content
            assert started["state"] == "awaiting_password"
            await anyio.to_thread.run_sync(type_into_page, human.urls[0], "password", ALICE_PASSWORD)
            done = await client.call_tool("login_status", {"login_id": started["login_id"], "wait_seconds": 20})
        assert evil.seen == []
    assert done.structured_content["state"] == "succeeded"
    saved = json.loads(paths.config_file.read_text())["profiles"][0]
    assert {"authUrlOverride", "localUrlPrefix", "insecureSkipVerify"}.isdisjoint(saved)
    assert "auth.alice.olares.com" in human.url_messages[0]


async def test_the_login_childs_argv_carries_no_destination_flags(connect: Callable[..., Client]) -> None:
    marker = "argv-check@olares.com"
    async with connect() as client:
        started = (
            await client.call_tool(
                "start_login",
                {"olares_id": marker, "auth_url_override": "http://127.0.0.1:9", "local_url_prefix": "x."},
            )
        ).structured_content
        argv = _cmdlines(marker)
        await client.call_tool("login_cancel", {"login_id": started["login_id"]})
    assert argv, "the login child is running"
    assert all("--auth-url-override" not in a and "--local-url-prefix" not in a for a in argv)
    assert all("--insecure-skip-verify" not in a for a in argv)


async def test_a_humans_settings_on_disk_decide_the_host_shown(deps: Deps, era: str, paths: Paths) -> None:
    """An existing profile's human-set prefix (CLI flag) is honoured; the elicitation names that exact host."""
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile(ALICE, local_url_prefix="dev.")))
    human = Person()
    async with Client(build_server(deps), elicitation_callback=human, **options(era)) as client:
        started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        await client.call_tool("login_cancel", {"login_id": started["login_id"]})
    assert "your password goes to auth.dev.alice.olares.com" in human.url_messages[0]


async def test_without_elicitation_the_result_names_the_host(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        await client.call_tool("login_cancel", {"login_id": started["login_id"]})
    assert started["url_delivery"] == "result" and "(it goes to auth.alice.olares.com)" in started["next_step"]


# --- R12: IDs and aliases a human can read -----------------------------------------------------------------


@pytest.mark.parametrize(
    "olares_id", ["<olares-id>", "alice", "alice@оlares.com", "alice@oIares.com", "two-factor code for b@olares.com"]
)
async def test_start_login_refuses_ids_a_human_cannot_read(connect: Callable[..., Client], olares_id: str) -> None:
    human = Person()
    async with connect(human=human) as client:
        result = await client.call_tool("start_login", {"olares_id": olares_id})
    assert result.is_error and "not a valid Olares ID" in block_text(result.content[0])
    assert human.urls == [], "no login was started, nothing was shown"


@pytest.mark.parametrize("name", ["work\u202eexe", "a\u200bb", "x\x1b]52;c;AAAA\x07", "line\nbreak"])
async def test_aliases_with_invisible_characters_are_refused(
    connect: Callable[..., Client], paths: Paths, name: str
) -> None:
    human = Person()
    async with connect(human=human) as client:
        login = await client.call_tool("start_login", {"olares_id": ALICE, "name": name})
        imported = await client.call_tool("profile_import", {"olares_id": ALICE, "name": name})
    for result in (login, imported):
        assert result.is_error and "profile name" in block_text(result.content[0])
    assert human.urls == [] and human.asked == []
    assert not paths.config_file.exists()


async def test_import_refuses_a_bad_id_before_reading_or_sending(deps: Deps, era: str, paths: Paths) -> None:
    with HostileServer() as evil:
        env = {**deps.env, "OLARES_AUTH_MCP_SERVICE_URL": evil.url, "OLARES_REFRESH_TOKEN": "rt-real-grant-0123456789"}
        async with Client(build_server(deps.with_env(env)), elicitation_callback=Person(), **options(era)) as c:
            result = await c.call_tool("profile_import", {"olares_id": "alice@evil.example\u200b"})
        assert evil.seen == []
    assert result.is_error and "not a valid Olares ID" in block_text(result.content[0])
    assert not paths.config_file.exists()


# --- R2: import ---------------------------------------------------------------------------------------------


async def test_import_refuses_any_other_environment_variable_unread(deps: Deps, era: str, paths: Paths) -> None:
    secret = "AKIAEXAMPLE/aws-secret-value-do-not-leak-0123456789"
    human = Person()
    with HostileServer() as evil:
        env = {**deps.env, "OLARES_AUTH_MCP_SERVICE_URL": evil.url, "AWS_SECRET_ACCESS_KEY": secret}
        async with Client(build_server(deps.with_env(env)), elicitation_callback=human, **options(era)) as c:
            result = await c.call_tool(
                "profile_import", {"olares_id": ALICE, "refresh_token_env": "AWS_SECRET_ACCESS_KEY"}
            )
        assert evil.seen == [], "nothing was sent anywhere"
    text = block_text(result.content[0])
    assert result.is_error and "reads only OLARES_REFRESH_TOKEN" in text and "OLARES_AUTH_MCP_IMPORT_ENV" in text
    assert secret not in text and human.asked == []
    assert not paths.config_file.exists()


async def test_import_of_a_new_id_without_a_way_to_ask_sends_nothing(deps: Deps, era: str, paths: Paths) -> None:
    with HostileServer() as evil:
        env = {**deps.env, "OLARES_AUTH_MCP_SERVICE_URL": evil.url, "OLARES_REFRESH_TOKEN": "rt-real-grant-0123456789"}
        async with Client(build_server(deps.with_env(env)), **options(era)) as client:
            result = await client.call_tool("profile_import", {"olares_id": "alice@attacker.example"})
        assert evil.seen == []
    text = block_text(result.content[0])
    assert result.is_error and "Nothing was sent" in text
    assert (
        "olares-auth-mcp profile import --olares-id alice@attacker.example --refresh-token-env OLARES_REFRESH_TOKEN"
        in text
    )
    assert not paths.config_file.exists()


@pytest.mark.parametrize(("action", "confirm"), [("decline", True), ("cancel", True), ("accept", False)])
async def test_import_of_a_new_id_the_human_refuses_sends_nothing(
    deps: Deps, era: str, paths: Paths, action: Action, confirm: bool
) -> None:
    human = Person(action, confirm)
    with HostileServer() as evil:
        env = {**deps.env, "OLARES_AUTH_MCP_SERVICE_URL": evil.url, "OLARES_REFRESH_TOKEN": "rt-real-grant-0123456789"}
        async with Client(build_server(deps.with_env(env)), elicitation_callback=human, **options(era)) as c:
            result = await c.call_tool("profile_import", {"olares_id": "alice@attacker.example"})
        assert evil.seen == []
    assert result.is_error and "Not imported" in block_text(result.content[0])
    assert human.asked and "alice@attacker.example" in human.asked[0]
    assert "auth.alice.attacker.example" in human.asked[0], "the human sees the exact host, not the test-rig redirect"
    assert evil.url.split("//")[1] not in human.asked[0]
    assert not paths.config_file.exists()


async def test_import_for_an_existing_profile_asks_nobody_and_does_not_switch(
    deps: Deps, era: str, olares_sim: Simulator, paths: Paths
) -> None:
    store = ConfigStore(paths)
    store.mutate(lambda c: (c.upsert(Profile(BOB)), c.upsert(Profile(ALICE)), c.set_current(BOB)))
    deps.vault.set(TokenRecord(ALICE, access_token=EXPIRED_ACCESS, refresh_token="rt-old"))
    _, refresh = olares_sim.issue_tokens(ALICE)
    human = Person()
    env = {**deps.env, "OLARES_REFRESH_TOKEN": refresh}
    async with Client(build_server(deps.with_env(env)), elicitation_callback=human, **options(era)) as client:
        data = (await client.call_tool("profile_import", {"olares_id": ALICE})).structured_content
    assert human.asked == [], "the profile exists: its destination is the human's own setting"
    assert data["switched"] is False and store.load().current_profile == BOB
    assert olares_sim.hits("/api/refresh") == 1


async def test_import_switches_only_when_asked(deps: Deps, era: str, olares_sim: Simulator, paths: Paths) -> None:
    store = ConfigStore(paths)
    store.mutate(lambda c: (c.upsert(Profile(BOB)), c.upsert(Profile(ALICE)), c.set_current(BOB)))
    _, refresh = olares_sim.issue_tokens(ALICE)
    env = {**deps.env, "OLARES_REFRESH_TOKEN": refresh}
    async with Client(build_server(deps.with_env(env)), **options(era)) as client:
        data = (await client.call_tool("profile_import", {"olares_id": ALICE, "switch": True})).structured_content
    assert data["switched"] is True and store.load().current_profile == ALICE


# --- R5 / R10: removal ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [{"confirm": "true"}, {}, None, {"confirm": 1}, {"confirm": "yes"}])
async def test_only_a_json_true_confirms_a_removal(
    deps: Deps,
    era: str,
    paths: Paths,
    vault: BlobVault,
    content: dict[str, str | int | float | bool | list[str] | None] | None,
) -> None:
    ConfigStore(paths).mutate(lambda c: (c.upsert(Profile(ALICE)), c.set_current(ALICE)))
    vault.set(TokenRecord(ALICE, access_token=EXPIRED_ACCESS, refresh_token="rt-keep-me"))
    before = paths.config_file.read_bytes()
    human = Answers(content)
    async with Client(build_server(deps), elicitation_callback=human, **options(era)) as client:
        result = await client.call_tool("profile_remove", {"profile": ALICE})
    text = block_text(result.content[0])
    assert result.is_error and "Not removed" in text and "Nothing was changed" in text
    assert not [name for name in INTERNAL_NAMES if name in text], text
    assert paths.config_file.read_bytes() == before
    assert vault.get(ALICE).refresh_token == "rt-keep-me"


async def test_removal_removes_exactly_the_profile_the_human_confirmed(
    deps: Deps, era: str, paths: Paths, vault: BlobVault
) -> None:
    """An older tool left mallory's alias equal to alice's Olares ID: the ID names alice's own profile, the
    human is asked about alice (name and Olares ID), and exactly alice goes; mallory is untouched."""
    mallory = "mallory@olares.com"
    # written as an older tool would have (upsert now refuses such an alias)
    ConfigStore(paths).mutate(lambda c: c.profiles.extend([Profile(ALICE), Profile(mallory, name=ALICE)]))
    vault.set(TokenRecord(ALICE, access_token=EXPIRED_ACCESS, refresh_token="rt-alice"))
    vault.set(TokenRecord(mallory, access_token=EXPIRED_ACCESS, refresh_token="rt-mallory"))
    human = Person()
    async with Client(build_server(deps), elicitation_callback=human, **options(era)) as client:
        data = (await client.call_tool("profile_remove", {"profile": ALICE})).structured_content
    assert f"{ALICE} ({ALICE})" in human.asked[0], "the human sees the name and the Olares ID"
    assert mallory not in human.asked[0]
    assert data["olares_id"] == ALICE
    assert [p.olares_id for p in ConfigStore(paths).load().profiles] == [mallory]
    assert vault.get(mallory).refresh_token == "rt-mallory"
    with pytest.raises(TokenNotFound):
        vault.get(ALICE)


# --- R11: the model gets no URL the human already has ----------------------------------------------------------


async def test_an_elicited_page_url_never_reaches_the_model(connect: Callable[..., Client]) -> None:
    human = Person()
    async with connect(human=human) as client:
        started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        status = (await client.call_tool("login_status", {"login_id": started["login_id"]})).structured_content
        await client.call_tool("login_cancel", {"login_id": started["login_id"]})
    assert human.urls, "the client showed the page"
    for result in (started, status):
        assert result["url_delivery"] == "elicitation" and result["secret_entry_url"] is None
        assert human.urls[0] not in json.dumps(result)


# --- R16: a cancelled start_login ends its login ----------------------------------------------------------------


class Stalling(Person):
    """Answers nothing while ``stall`` is set: the client then gives up (cancels) the pending call."""

    def __init__(self) -> None:
        super().__init__()
        self.stall = True
        self.shown = anyio.Event()

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        if not self.stall:
            return await super().__call__(context, params)
        if isinstance(params, ElicitRequestURLParams):
            self.urls.append(params.url)
        self.shown.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


async def _start_then_give_up(client: Client, human: Stalling, olares_id: str) -> str:
    human.shown = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(client.call_tool, "start_login", {"olares_id": olares_id})
        with anyio.fail_after(40):
            await human.shown.wait()
        group.cancel_scope.cancel()
    return human.urls[-1]


async def test_cancelled_start_logins_end_their_logins_and_pages(deps: Deps) -> None:
    """2025-11-25: the client cancels the call while the URL elicitation is pending (four times, four IDs)."""
    human = Stalling()
    async with Client(build_server(deps), mode="legacy", elicitation_callback=human) as client:
        for n in range(deps.max_logins):
            url = await _start_then_give_up(client, human, f"gave-up-{n}@olares.com")
            assert await _page_spent(url), "the cancelled login's page stops working"
        human.stall = False
        started = await client.call_tool("start_login", {"olares_id": ALICE})
        assert not started.is_error, block_text(started.content[0])
        assert started.structured_content["state"] == "awaiting_password", "no lock-out"
        await client.call_tool("login_cancel", {"login_id": started.structured_content["login_id"]})
    assert _cmdlines("gave-up-") == []


async def test_a_new_start_login_supersedes_an_abandoned_one(deps: Deps) -> None:
    """2026-07-28: the call already returned; an abandoned elicitation leaves a parked login that a retry ends."""
    human = Stalling()
    async with Client(build_server(deps), elicitation_callback=human) as client:
        urls = [await _start_then_give_up(client, human, ALICE) for _ in range(deps.max_logins)]
        for url in urls[:-1]:
            assert await _page_status(url) in (404, 410)
        human.stall = False
        started = await client.call_tool("start_login", {"olares_id": ALICE})
        assert not started.is_error, block_text(started.content[0])
        assert started.structured_content["state"] == "awaiting_password"
        assert await _page_status(urls[-1]) in (404, 410)
        await client.call_tool("login_cancel", {"login_id": started.structured_content["login_id"]})
