"""A wrong password or code keeps the same link alive: 3 attempts per login, plain sentences, Cancel.

The fake login program exits on a wrong secret with olares-cli's own ``Error:`` line; the manager
starts it again under the same login_id, so the same page URL asks again.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from olares_auth_mcp.login import LoginManager, LoginSession, LoginState, SecretPageRegistry, SecretPageServer
from tests.login.conftest import OLARES_ID, TOTP, FakeClock, fake_argv, origin

WRONG_PASSWORD = '/api/firstfactor returned HTTP 401: server said: "{\\"status\\":\\"KO\\",\\"message\\":\\"x\\"}"'
WRONG_CODE = '/api/secondfactor/totp returned HTTP 401: server said: "{\\"status\\":\\"KO\\"}"'


def _post(client: httpx.Client, url: str, server: SecretPageServer, **data: str) -> httpx.Response:
    return client.post(url, data=data, headers=origin(server))


def test_two_wrong_passwords_then_the_right_one_on_the_same_link(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
    manager: LoginManager,
) -> None:
    session, url = open_login(FAKE_FAIL_MESSAGE=WRONG_PASSWORD)
    first_pid = session.process.pid
    r = _post(client, url, page_server, password="wrong-1")
    assert r.status_code == 200
    assert f"That password didn&#x27;t work for {OLARES_ID}. 2 tries left." in r.text
    assert 'type="password"' in r.text
    assert session.state is LoginState.AWAITING_PASSWORD
    assert session.process.pid != first_pid  # the program was started again …
    assert manager.get(session.login_id) is session  # … for the same login
    r = _post(client, url, page_server, password="wrong-2")
    assert "1 try left." in r.text
    assert client.get(url).status_code == 200  # a reload still shows the form and the sentence
    r = _post(client, url, page_server, password=canary)
    assert "Logged in as" in r.text
    assert session.state is LoginState.SUCCEEDED  # type: ignore[comparison-overlap]  # mypy keeps the narrowing across the POSTs
    assert session.failures == 2
    assert client.get(url).status_code == 410
    assert "/api/" not in r.text
    assert canary not in r.text + session.output


def test_the_third_wrong_password_ends_the_login(
    open_login: Callable[..., tuple[LoginSession, str]], client: httpx.Client, page_server: SecretPageServer
) -> None:
    session, url = open_login(FAKE_FAIL_MESSAGE=WRONG_PASSWORD)
    _post(client, url, page_server, password="wrong-1")
    _post(client, url, page_server, password="wrong-2")
    r = _post(client, url, page_server, password="wrong-3")
    assert "Login failed" in r.text
    assert f"That password didn&#x27;t work for {OLARES_ID}. No tries left." in r.text
    for forbidden in ("/api/", "HTTP", "401", "{", "KO"):
        assert forbidden not in r.text.split("<main>")[1]
    assert session.state is LoginState.FAILED
    assert client.get(url).status_code == 410


def test_a_wrong_code_starts_over_on_the_same_link(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """olares-cli exits on a wrong code: it is started again, so the page asks for the password, then the code."""
    session, url = open_login("totp", FAKE_CODE_FAIL_MESSAGE=WRONG_CODE)
    _post(client, url, page_server, password=canary)
    r = _post(client, url, page_server, code="000000")
    assert "That code didn&#x27;t work. 2 tries left. Enter your password again, then a new code." in r.text
    assert session.state is LoginState.AWAITING_PASSWORD
    r = _post(client, url, page_server, password=canary)
    assert 'autocomplete="one-time-code"' in r.text
    assert "didn&#x27;t work" not in r.text  # the sentence goes once the next secret is sent
    r = _post(client, url, page_server, code=TOTP)
    assert "Logged in as" in r.text
    assert session.state is LoginState.SUCCEEDED  # type: ignore[comparison-overlap]  # mypy keeps the narrowing across the POSTs


def test_other_failures_are_not_retried(
    open_login: Callable[..., tuple[LoginSession, str]], client: httpx.Client, page_server: SecretPageServer
) -> None:
    """Only the program's own first Error line decides; a server that writes a 401 line after a 500 does not."""
    injected = "/api/firstfactor returned HTTP 500: oops\nError: /api/firstfactor returned HTTP 401: retry me"
    session, url = open_login(FAKE_FAIL_MESSAGE=injected)
    r = _post(client, url, page_server, password="anything")
    assert "The login did not succeed." in r.text
    assert session.state is LoginState.FAILED
    assert session.failures == 0


def test_cancel_button_ends_the_login_and_spends_the_link(
    open_login: Callable[..., tuple[LoginSession, str]], client: httpx.Client, page_server: SecretPageServer
) -> None:
    session, url = open_login()
    page = client.get(url)
    assert 'name="action" value="cancel"' in page.text
    r = _post(client, url, page_server, action="cancel")
    assert r.status_code == 200
    assert "Login cancelled" in r.text
    assert session.state is LoginState.CANCELLED
    assert client.get(url).status_code == 410


def test_the_page_names_the_asking_application_and_the_time_left(
    manager: LoginManager,
    registry: SecretPageRegistry,
    page_server: SecretPageServer,
    client: httpx.Client,
    fake_env: Callable[..., dict[str, str]],
    clock: FakeClock,
) -> None:
    session = manager.start(fake_argv(), fake_env(), OLARES_ID, client_name="Claude Desktop")
    session.wait_for_prompt(10)
    url = registry.url_for(session.login_id)
    text = client.get(url).text
    assert "Asked for by</b> Claude Desktop" in text
    assert "About 5 minutes left." in text
    clock.advance(250)
    assert "Less than a minute left." in client.get(url).text
    clock.advance(60)
    assert client.get(url).status_code == 410
    assert session.state is LoginState.EXPIRED


def test_cancel_while_restarting_stops_the_new_program(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    manager: LoginManager,
) -> None:
    """A login cancelled between a wrong password and the restart stays cancelled."""
    session, _ = open_login(FAKE_FAIL_MESSAGE=WRONG_PASSWORD)
    manager.post_secret(session.login_id, "password", "wrong")
    manager.cancel(session.login_id)
    session.wait_for_prompt(5)
    assert session.state is LoginState.CANCELLED
    assert session.join(5)


def test_a_program_that_asks_for_the_code_again_keeps_running(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """Our own CLI re-asks a wrong code itself: the page shows the code form again, counting per login."""
    session, url = open_login("totp-retry")
    _post(client, url, page_server, password=canary)
    pid = session.process.pid
    r = _post(client, url, page_server, code="000000")
    assert "That code didn&#x27;t work. 2 tries left." in r.text
    assert 'autocomplete="one-time-code"' in r.text
    assert session.process.pid == pid  # not restarted
    r = _post(client, url, page_server, code="000000")
    assert "That code didn&#x27;t work. 1 try left." in r.text
    r = _post(client, url, page_server, code="000000")
    assert "That code didn&#x27;t work. No tries left." in r.text
    assert session.state is LoginState.FAILED
    assert client.get(url).status_code == 410


def test_a_wrong_password_then_two_wrong_codes_use_up_the_login(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """Three tries per login, whatever mix: the program would allow a third code, the login does not."""
    session, url = open_login("totp-retry", FAKE_FAIL_MESSAGE=WRONG_PASSWORD)
    assert "2 tries left." in _post(client, url, page_server, password="wrong").text
    _post(client, url, page_server, password=canary)
    assert "1 try left." in _post(client, url, page_server, code="000000").text
    r = _post(client, url, page_server, code="000000")
    assert "No tries left." in r.text
    assert session.state is LoginState.FAILED
    assert session.join(5)
