"""Hosts without elicitation (issue 14): the server opens the login and confirmation pages in the human's browser.

A fake ``$BROWSER`` records the URL it is given; the test then acts as the human's browser (GET, then POST the
form same-origin). The URL must never appear in a tool result. Both protocol eras unless a test says otherwise.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext, IncomingMessage
from mcp.types import CallToolResult, ElicitRequestParams, ElicitRequestURLParams, ElicitResult

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.sim import Simulator
from olares_auth_mcp.tools.deps import Deps
from tests.conftest import ALICE, ALICE_PASSWORD
from tests.hostile import HostileServer
from tests.login.test_browser_open import fake_browser
from tests.tools.conftest import EXPIRED_ACCESS, Human, block_text, type_into_page

pytestmark = pytest.mark.anyio


def options(era: str) -> dict[str, Any]:
    return {"mode": "legacy"} if era == "legacy" else {}


def with_browser(deps: Deps, tmp_path: Path, **changes: object) -> tuple[Deps, Path]:
    """``deps`` on a machine with a display and a fake ``$BROWSER``; returns the file it records URLs in."""
    script, seen = fake_browser(tmp_path)
    env = {**deps.env, "PATH": os.environ["PATH"], "DISPLAY": ":99", "BROWSER": str(script)}
    return replace(deps.with_env(env), **changes), seen  # type: ignore[arg-type]


async def opened_urls(seen: Path, count: int = 1, within: float = 20.0) -> list[str]:
    """The URLs the fake browser was given, once there are ``count`` of them (bounded)."""
    with anyio.fail_after(within):
        while True:
            lines = seen.read_text().split() if seen.exists() else []
            if len(lines) >= count:
                return lines
            await anyio.sleep(0.05)


def answer_page(url: str, choice: str) -> tuple[int, str]:
    """What the human's browser does on a confirmation page: GET it, read the form's nonce, press a button."""
    origin = url.split("/olares-confirm", 1)[0]
    with httpx.Client(timeout=20) as browser:
        page = browser.get(url)
        assert page.status_code == 200
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
        assert nonce is not None
        answer = browser.post(url, data={"nonce": nonce.group(1), "choice": choice}, headers={"Origin": origin})
    return answer.status_code, page.text


def seed_alice(paths: Paths, vault: BlobVault) -> bytes:
    ConfigStore(paths).mutate(lambda c: (c.upsert(Profile(ALICE, name="work")), c.set_current(ALICE)))
    vault.set(TokenRecord(ALICE, access_token=EXPIRED_ACCESS, refresh_token="rt-keep-me"))
    return paths.config_file.read_bytes()


def dump(result: CallToolResult) -> str:
    return json.dumps([c.model_dump() for c in result.content]) + json.dumps(result.structured_content)


# --- item 1: the login page, opened by the server ------------------------------------------------------------


async def test_start_login_opens_the_page_and_keeps_the_url_out_of_results(
    deps: Deps, era: str, tmp_path: Path, vault: BlobVault
) -> None:
    deps, seen = with_browser(deps, tmp_path)
    async with Client(build_server(deps), **options(era)) as client:
        started = await client.call_tool("start_login", {"olares_id": ALICE})
        data = started.structured_content
        assert (data["state"], data["url_delivery"], data["secret_entry_url"]) == ("awaiting_password", "browser", None)
        assert "opened in the human's browser" in data["next_step"]
        (url,) = await opened_urls(seen)
        assert url.startswith("http://127.0.0.1:")
        status, body = await anyio.to_thread.run_sync(type_into_page, url, "password", ALICE_PASSWORD)
        assert status == 200 and ALICE_PASSWORD not in body
        done = await client.call_tool("login_status", {"login_id": data["login_id"], "wait_seconds": 30})
    assert done.structured_content["state"] == "succeeded"
    token = url.rsplit("/", 1)[1]
    for result in (started, done):
        assert token not in dump(result), "the page URL never reaches the model"
    assert vault.get(ALICE).refresh_token


async def test_without_a_browser_the_url_is_in_the_result(deps: Deps, era: str, tmp_path: Path) -> None:
    opened, seen = with_browser(deps, tmp_path)
    for headless in (
        opened.with_env({**opened.env, "OLARES_AUTH_MCP_OPEN_BROWSER": "0"}),
        opened.with_env({k: v for k, v in opened.env.items() if k != "DISPLAY"}),
        replace(opened, transport="remote-http"),  # the server's machine is not the human's
    ):
        async with Client(build_server(headless), **options(era)) as client:
            data = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
            await client.call_tool("login_cancel", {"login_id": data["login_id"]})
        assert data["url_delivery"] == "result" and data["secret_entry_url"].startswith("http://127.0.0.1:")
    assert not seen.exists()


# --- item 2: confirmations on a page the server opens ---------------------------------------------------------


@pytest.mark.parametrize("choice", ["confirm", "cancel"])
async def test_removal_is_confirmed_on_the_browser_page(
    deps: Deps, era: str, tmp_path: Path, paths: Paths, vault: BlobVault, choice: str
) -> None:
    before = seed_alice(paths, vault)
    deps, seen = with_browser(deps, tmp_path, confirm_wait=30.0)
    async with Client(build_server(deps), **options(era)) as client:
        results = []

        async def remove() -> None:
            results.append(await client.call_tool("profile_remove", {"profile": "work"}))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(remove)
            (url,) = await opened_urls(seen)
            status, question = await anyio.to_thread.run_sync(answer_page, url, choice)
    assert status == 200
    assert "work" in question and ALICE in question, "the page names the alias and the Olares ID from disk"
    (result,) = results
    assert url.rsplit("/", 1)[1] not in dump(result)
    if choice == "confirm":
        assert not result.is_error and result.structured_content["olares_id"] == ALICE
        assert ConfigStore(paths).load().profiles == []
    else:
        assert (
            result.is_error
            and "cancel" in block_text(result.content[0])
            and "Nothing was changed" in block_text(result.content[0])
        )
        assert paths.config_file.read_bytes() == before
        assert vault.get(ALICE).refresh_token == "rt-keep-me"


async def test_an_unanswered_confirmation_waits_again_on_the_next_call(
    deps: Deps, era: str, tmp_path: Path, paths: Paths, vault: BlobVault
) -> None:
    seed_alice(paths, vault)
    deps, seen = with_browser(deps, tmp_path, confirm_wait=0.3)
    async with Client(build_server(deps), **options(era)) as client:
        first = await client.call_tool("profile_remove", {"profile": ALICE})
        text = block_text(first.content[0])
        assert first.is_error and "open in the human's browser" in text and "Call profile_remove again" in text
        assert ConfigStore(paths).load().find_profile(ALICE) is not None
        (url,) = await opened_urls(seen)
        await anyio.to_thread.run_sync(answer_page, url, "confirm")  # answered between two calls: kept
        second = await client.call_tool("profile_remove", {"profile": ALICE})
    assert not second.is_error and second.structured_content["olares_id"] == ALICE
    assert seen.read_text().split() == [url], "a second call never opens a second page"
    assert ConfigStore(paths).load().profiles == []


async def test_a_pending_confirmation_reports_progress_while_it_waits(
    deps: Deps, tmp_path: Path, paths: Paths, vault: BlobVault
) -> None:
    seed_alice(paths, vault)
    deps, _ = with_browser(deps, tmp_path, confirm_wait=2.5)
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async with Client(build_server(deps), mode="legacy") as client:
        result = await client.call_tool(
            "profile_remove",
            {"profile": ALICE},
            progress_callback=on_progress,  # type: ignore[arg-type]  # called positionally; ProgressFnT also fixes the names
        )
    assert result.is_error and "Nothing was changed" in block_text(result.content[0])
    assert progress, "the wait sends progress notifications"


async def test_new_id_import_is_confirmed_on_the_browser_page(
    deps: Deps, era: str, tmp_path: Path, paths: Paths
) -> None:
    with HostileServer() as evil:
        env = {**deps.env, "OLARES_AUTH_MCP_SERVICE_URL": evil.url, "OLARES_REFRESH_TOKEN": "rt-real-grant-0123456789"}
        deps, seen = with_browser(deps.with_env(env), tmp_path, confirm_wait=30.0)
        async with Client(build_server(deps), **options(era)) as client:
            results = []

            async def run() -> None:
                results.append(await client.call_tool("profile_import", {"olares_id": "alice@attacker.example"}))

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(run)
                (url,) = await opened_urls(seen)
                _, question = await anyio.to_thread.run_sync(answer_page, url, "cancel")
        assert evil.seen == [], "cancelled: nothing was sent"
    assert "alice@attacker.example" in question and "auth.alice.attacker.example" in question
    assert "OLARES_REFRESH_TOKEN" in question
    (result,) = results
    assert (
        result.is_error
        and "Not imported" in block_text(result.content[0])
        and "Nothing was sent" in block_text(result.content[0])
    )
    assert not paths.config_file.exists()


async def test_new_id_import_confirmed_in_the_browser_sends_the_token(
    deps: Deps, tmp_path: Path, olares_sim: Simulator, paths: Paths
) -> None:
    _, refresh = olares_sim.issue_tokens(ALICE)
    env = {**deps.env, "OLARES_REFRESH_TOKEN": refresh}
    deps, seen = with_browser(deps.with_env(env), tmp_path, confirm_wait=30.0)
    async with Client(build_server(deps)) as client:
        results = []

        async def run() -> None:
            results.append(await client.call_tool("profile_import", {"olares_id": ALICE}))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run)
            (url,) = await opened_urls(seen)
            await anyio.to_thread.run_sync(answer_page, url, "confirm")
    (result,) = results
    assert not result.is_error and result.structured_content["olares_id"] == ALICE
    assert olares_sim.hits("/api/refresh") == 1


async def test_without_a_browser_the_removal_refuses_with_the_command(
    deps: Deps, era: str, paths: Paths, vault: BlobVault
) -> None:
    before = seed_alice(paths, vault)
    async with Client(build_server(deps), **options(era)) as client:
        result = await client.call_tool("profile_remove", {"profile": ALICE})
    assert result.is_error and f"olares-auth-mcp profile remove {ALICE}" in block_text(
        result.content[0]
    )  # the CLI installed here
    assert paths.config_file.read_bytes() == before


async def test_no_tool_parameter_can_answer_a_confirmation(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name in ("profile_remove", "profile_import"):
        params = set(tools[name].input_schema["properties"])
        assert not params & {"confirm", "confirmed", "yes", "force", "choice", "answer"}, name


# --- item 3: every elicitation has a timeout ---------------------------------------------------------------------


class Silent(Human):
    """A client that shows the question and never answers (the human walked away)."""

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        if isinstance(params, ElicitRequestURLParams):
            self.urls.append(params.url)
        else:
            self.asked.append(params.message)
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover


async def test_an_unanswered_form_confirmation_is_a_decline(deps: Deps, paths: Paths, vault: BlobVault) -> None:
    before = seed_alice(paths, vault)
    human = Silent()
    async with Client(
        build_server(replace(deps, elicitation_timeout=0.5)), elicitation_callback=human, mode="legacy"
    ) as c:
        with anyio.fail_after(20):
            result = await c.call_tool("profile_remove", {"profile": ALICE})
    assert human.asked
    assert result.is_error and "did not answer within 0.5 s" in block_text(result.content[0])
    assert "Nothing was changed" in block_text(result.content[0])
    assert paths.config_file.read_bytes() == before


async def test_an_unanswered_login_url_elicitation_ends_the_login(deps: Deps) -> None:
    human = Silent()
    async with Client(
        build_server(replace(deps, elicitation_timeout=0.5)), elicitation_callback=human, mode="legacy"
    ) as c:
        with anyio.fail_after(30):
            data = (await c.call_tool("start_login", {"olares_id": ALICE})).structured_content
    assert human.urls
    assert data["state"] == "cancelled" and "did not answer within 0.5 s" in data["next_step"]
    assert data["secret_entry_url"] is None


def test_the_elicitation_timeout_is_the_operators_setting() -> None:
    assert Deps.configured(Runtime.from_env({"HOME": "/nonexistent"})).elicitation_timeout == 120.0
    env = {"HOME": "/nonexistent", "OLARES_AUTH_MCP_ELICITATION_TIMEOUT": "30"}
    assert Deps.configured(Runtime.from_env(env)).elicitation_timeout == 30.0


# --- item 4: waits fit client timeouts ---------------------------------------------------------------------------


async def test_login_status_waits_at_most_45_seconds_and_says_so(connect: Callable[..., Client], deps: Deps) -> None:
    async with connect() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        too_long = await client.call_tool("login_status", {"login_id": started["login_id"], "wait_seconds": 46})
        await client.call_tool("login_cancel", {"login_id": started["login_id"]})
    assert tools["login_status"].input_schema["properties"]["wait_seconds"]["maximum"] == 45
    assert too_long.is_error
    assert "wait_seconds=45" in started["next_step"] and "wait_seconds=60" not in started["next_step"]


# --- item 7: notifications/elicitation/complete -----------------------------------------------------------------


async def test_the_end_of_an_elicited_login_is_announced_once(deps: Deps) -> None:
    human = Human()
    completed: list[str] = []

    async def on_message(message: IncomingMessage) -> None:
        root: Any = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/elicitation/complete":
            completed.append(root.params.elicitation_id)

    async with Client(build_server(deps), elicitation_callback=human, message_handler=on_message, mode="legacy") as c:
        started = (await c.call_tool("start_login", {"olares_id": ALICE})).structured_content
        assert started["url_delivery"] == "elicitation"
        await anyio.to_thread.run_sync(type_into_page, human.urls[0], "password", ALICE_PASSWORD)
        done = await c.call_tool("login_status", {"login_id": started["login_id"], "wait_seconds": 30})
        await c.call_tool("login_status", {"login_id": started["login_id"]})
        await c.call_tool("login_cancel", {"login_id": started["login_id"]})
        with anyio.fail_after(10):
            while not completed:
                await anyio.sleep(0.02)
    assert done.structured_content["state"] == "succeeded"
    assert completed == [started["login_id"]], "announced once, by the call that saw the end"


async def test_a_cancelled_elicited_login_is_announced(deps: Deps) -> None:
    human = Human()
    completed: list[str] = []

    async def on_message(message: IncomingMessage) -> None:
        root: Any = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/elicitation/complete":
            completed.append(root.params.elicitation_id)

    async with Client(build_server(deps), elicitation_callback=human, message_handler=on_message, mode="legacy") as c:
        started = (await c.call_tool("start_login", {"olares_id": ALICE})).structured_content
        await c.call_tool("login_cancel", {"login_id": started["login_id"]})
        with anyio.fail_after(10):
            while not completed:
                await anyio.sleep(0.02)
    assert completed == [started["login_id"]]


async def test_the_doctor_names_the_browser_route(deps: Deps, era: str, tmp_path: Path) -> None:
    deps, seen = with_browser(deps, tmp_path)
    async with Client(build_server(deps), **options(era)) as client:
        data = (await client.call_tool("auth_doctor", {})).structured_content
    assert (data["session"]["login_route"], data["session"]["confirmation_route"]) == ("browser", "browser")
    reach = next(f for f in data["findings"] if f["check"] == "session.reach")
    assert reach["status"] == "ok" and "opened in the human's browser" in reach["detail"]
    assert not seen.exists(), "the doctor opens nothing"


async def test_the_page_names_the_client_in_plain_text(
    deps: Deps, tmp_path: Path, paths: Paths, vault: BlobVault
) -> None:
    from mcp.types import Implementation

    seed_alice(paths, vault)
    deps, seen = with_browser(deps, tmp_path, confirm_wait=30.0)
    info = Implementation(name="Claude\u202e<b>Code</b>\x1b[31m", version="1")
    async with Client(build_server(deps), mode="legacy", client_info=info) as client:
        results = []

        async def remove() -> None:
            results.append(await client.call_tool("profile_remove", {"profile": ALICE}))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(remove)
            (url,) = await opened_urls(seen)
            _, question = await anyio.to_thread.run_sync(answer_page, url, "cancel")
    assert "Asked by Claude&lt;b&gt;Code&lt;/b&gt;." in question
    assert "\u202e" not in question and "\x1b" not in question
