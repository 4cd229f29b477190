"""A real headless Chromium fills in the secret-entry page (no JavaScript needed by the page).

Driven by the PyPI playwright package against the system Chromium; never `playwright install`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from olares_auth_mcp.login import LoginManager, LoginSession, LoginState, SecretPageRegistry, SecretPageServer
from tests.helpers import present
from tests.login.conftest import OLARES_ID, TOTP, FakeClock, fake_argv

if TYPE_CHECKING:  # playwright is imported where used: without it these tests skip
    from playwright.sync_api import Page

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
def browser_page() -> Iterator[Page]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(java_script_enabled=False)
            context.set_default_timeout(20_000)
            yield context.new_page()
        finally:
            browser.close()


def test_browser_logs_in_and_the_link_then_dies(
    open_login: Callable[..., tuple[LoginSession, str]], browser_page: Page, canary: str
) -> None:
    """Type the password, submit, see success; visiting the same URL again gives 410."""
    session, url = open_login()
    page = browser_page
    assert present(page.goto(url)).status == 200
    assert "Your password goes to auth.alice.olares.com." in page.inner_text("body")
    page.fill("input[name=password]", canary)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Logged in as")
    assert OLARES_ID in page.content()
    assert session.state is LoginState.SUCCEEDED
    assert present(page.goto(url)).status == 410
    assert canary not in session.process.output


def test_browser_two_factor_flow(
    open_login: Callable[..., tuple[LoginSession, str]], browser_page: Page, canary: str
) -> None:
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


WRONG_PASSWORD = '/api/firstfactor returned HTTP 401: server said: "{\\"status\\":\\"KO\\"}"'


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go: $OLARES_AUTH_MCP_ARTIFACTS, else tests/artifacts/ (git-ignored)."""
    root = os.environ.get("OLARES_AUTH_MCP_ARTIFACTS") or str(Path(__file__).parents[1] / "artifacts")
    path = Path(root) / "login-page"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _shot(page: Page, artifacts: Path, name: str) -> None:
    target = artifacts / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    print(f"screenshot: {target}")  # the test's artifact, named in its output


def test_browser_every_state_with_screenshots(
    page_server: SecretPageServer,
    browser_page: Page,
    canary: str,
    artifacts: Path,
    manager: LoginManager,
    registry: SecretPageRegistry,
    clock: FakeClock,
    fake_env: Callable[..., dict[str, str]],
) -> None:
    """Form, wrong password (tries left), two-factor code, success, expired: each asserted and photographed."""
    page = browser_page
    page.set_viewport_size({"width": 760, "height": 720})
    session = manager.start(
        fake_argv("totp"), fake_env(FAKE_FAIL_MESSAGE=WRONG_PASSWORD), OLARES_ID, client_name="Claude Desktop"
    )
    session.wait_for_prompt(10)
    url = registry.url_for(session.login_id)
    page.goto(url)
    body = page.inner_text("body")
    assert "Log in to Olares" in body
    assert "Asked for by Claude Desktop" in body
    assert "Your password goes to auth.alice.olares.com." in body
    assert "About 5 minutes left." in body
    assert page.is_visible("text=Cancel login")
    _shot(page, artifacts, "01-password-form")

    page.fill("input[name=password]", "not-the-password")
    page.click("button:has-text('Log in')")
    page.wait_for_selector("text=2 tries left.")
    assert f"That password didn't work for {OLARES_ID}. 2 tries left." in page.inner_text("body")
    assert page.url == url  # the same link asks again
    _shot(page, artifacts, "02-wrong-password")

    page.fill("input[name=password]", canary)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("input[autocomplete=one-time-code]")
    body = page.inner_text("body")
    assert "Your code goes to auth.alice.olares.com." in body
    assert "didn't work" not in body
    _shot(page, artifacts, "03-totp-form")

    page.fill("input[name=code]", TOTP)
    page.click("button:has-text('Verify')")
    page.wait_for_selector("text=Logged in as")
    assert session.state is LoginState.SUCCEEDED
    _shot(page, artifacts, "04-success")

    expiring = manager.start(fake_argv(), fake_env(), OLARES_ID)
    expiring.wait_for_prompt(10)
    expiring_url = registry.url_for(expiring.login_id)
    clock.advance(301)
    assert present(page.goto(expiring_url)).status == 410
    assert "This link cannot be used" in page.inner_text("body")
    _shot(page, artifacts, "05-expired")


def test_browser_cancel_button(
    open_login: Callable[..., tuple[LoginSession, str]], browser_page: Page, artifacts: Path
) -> None:
    page = browser_page
    session, url = open_login()
    page.goto(url)
    page.click("text=Cancel login")  # the password field is required; Cancel must not need it
    page.wait_for_selector("text=was cancelled")
    assert session.state is LoginState.CANCELLED
    _shot(page, artifacts, "06-cancelled")
    assert present(page.goto(url)).status == 410
