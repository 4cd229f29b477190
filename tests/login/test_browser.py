"""A real headless Chromium fills in the secret-entry page (no JavaScript needed by the page).

Driven by the PyPI playwright package against the system Chromium; never `playwright install`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from olares_auth_mcp.login import LoginState
from tests.login.conftest import OLARES_ID, TOTP

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium; .ci/run installs it)"
)


@pytest.fixture
def browser_page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(java_script_enabled=False)
            context.set_default_timeout(20_000)
            yield context.new_page()
        finally:
            browser.close()


def test_browser_logs_in_and_the_link_then_dies(open_login, browser_page, canary):
    """Type the password, submit, see success; visiting the same URL again gives 410."""
    session, url = open_login()
    page = browser_page
    assert page.goto(url).status == 200
    assert "Your password goes to auth.alice.olares.com." in page.inner_text("body")
    page.fill("input[name=password]", canary)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Logged in as")
    assert OLARES_ID in page.content()
    assert session.state is LoginState.SUCCEEDED
    assert page.goto(url).status == 410
    assert canary not in session.process.output


def test_browser_two_factor_flow(open_login, browser_page, canary):
    """The same page asks for the code after the password, with JavaScript disabled."""
    session, url = open_login("totp")
    page = browser_page
    page.goto(url)
    page.fill("input[name=password]", canary)
    page.click("button[type=submit]")
    page.wait_for_selector("input[autocomplete=one-time-code]")
    page.fill("input[name=code]", TOTP)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Logged in as")
    assert session.state is LoginState.SUCCEEDED
