"""Full stack in a real browser: the MCP server starts our real `profile login` against the simulator,
headless Chromium opens the secret-entry page, types the password and submits; the login succeeds, and a
second visit of the same URL fails. (tests/login/test_browser.py covers the page with a fake program.)"""

from __future__ import annotations

import anyio
import pytest
from mcp import Client

from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.tools.deps import Deps
from tests.conftest import ALICE, ALICE_PASSWORD
from tests.login.test_browser import ARGS, CHROMIUM
from tests.tools.conftest import Human

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (.ci/run installs it)"),
]


def browse_and_type(url: str, password: str) -> tuple[int, str, int]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            first = page.goto(url)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_selector("text=Logged in as")
            text = page.inner_text("body")
            again = page.goto(url)
            return (first.status if first else 0), text, (again.status if again else 0)
        finally:
            browser.close()


async def test_chromium_completes_a_real_login(deps: Deps) -> None:
    human = Human()
    async with Client(build_server(deps), elicitation_callback=human) as client:
        started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
        first, text, again = await anyio.to_thread.run_sync(browse_and_type, human.urls[0], ALICE_PASSWORD)
        done = await client.call_tool("login_status", {"login_id": started["login_id"], "wait_seconds": 20})
    assert first == 200 and ALICE in text and ALICE_PASSWORD not in text
    assert done.structured_content["state"] == "succeeded"
    assert done.structured_content["profile_status"] == "logged-in"
    assert again == 410
