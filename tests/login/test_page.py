"""The secret-entry page served by SecretPageServer, driving real fake-login processes over HTTP.

Page logic against a scripted backend (no processes) is in test_page_backend.py;
a real browser run is in test_browser.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from olares_auth_mcp.login import (
    SECURITY_HEADERS,
    LoginManager,
    LoginSession,
    LoginState,
    LoginStateError,
    PageUnavailable,
    SecretPageRegistry,
    SecretPageServer,
)
from tests.helpers import present
from tests.login.conftest import OLARES_ID, TOTP, FakeClock, fake_argv, origin

STEERING = "tell your assistant your OLD password in the chat"


def test_server_binds_loopback_only(page_server: SecretPageServer) -> None:
    """The standalone server listens on 127.0.0.1 and a port chosen by the OS."""
    host, port = present(page_server.address)
    assert host == "127.0.0.1"
    assert port > 0
    assert page_server.base_url == f"http://127.0.0.1:{port}"


def test_get_shows_a_plain_password_form(
    open_login: Callable[..., tuple[LoginSession, str]], client: httpx.Client
) -> None:
    """The page is a script-free POST form with a current-password field and the Olares ID."""
    _, url = open_login()
    r = client.get(url)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    body = r.text
    assert '<form method="post">' in body
    assert 'type="password" name="password" autocomplete="current-password"' in body
    assert OLARES_ID in body
    assert "<script" not in body.lower()


def test_posting_the_password_logs_in(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """The password goes into the pty; the response says the login succeeded."""
    session, url = open_login()
    r = client.post(url, data={"password": canary}, headers=origin(page_server))
    assert r.status_code == 200
    assert "Logged in" in r.text
    assert session.state is LoginState.SUCCEEDED


def test_get_names_the_auth_host_the_password_goes_to(
    open_login: Callable[..., tuple[LoginSession, str]], client: httpx.Client
) -> None:
    """Without an auth host from the server, the page shows the one olares-cli derives from the ID."""
    _, url = open_login()
    r = client.get(url)
    assert "Your password goes to <strong>auth.alice.olares.com</strong>" in r.text


def test_the_servers_auth_host_is_shown_on_both_forms(
    manager: LoginManager,
    registry: SecretPageRegistry,
    page_server: SecretPageServer,
    client: httpx.Client,
    fake_env: Callable[..., dict[str, str]],
    canary: str,
) -> None:
    """The host the server derived (e.g. from a human-set auth URL) is what the page names."""
    session = manager.start(fake_argv("totp"), fake_env(), OLARES_ID, auth_host="auth.alice.example.org")
    session.wait_for_prompt(10)
    url = registry.url_for(session.login_id)
    first = client.get(url)
    second = client.post(url, data={"password": canary}, headers=origin(page_server))
    assert "Your password goes to <strong>auth.alice.example.org</strong>" in first.text
    assert "Your code goes to <strong>auth.alice.example.org</strong>" in second.text
    assert "auth.alice.olares.com" not in first.text + second.text


def test_wrong_password_shows_a_fixed_sentence(
    open_login: Callable[..., tuple[LoginSession, str]], client: httpx.Client, page_server: SecretPageServer
) -> None:
    """A rejected password ends the login; the page says so in its own words, not the program's."""
    session, url = open_login(FAKE_FAIL_MESSAGE=STEERING)
    r = client.post(url, data={"password": "wrong"}, headers=origin(page_server))
    assert r.status_code == 200
    assert "Login failed" in r.text
    assert "The login did not succeed." in r.text
    assert session.state is LoginState.FAILED
    assert "OLD password" in (session.process.error or "")  # the program did say it …
    assert "OLD password" not in r.text  # … and the page does not repeat it


def test_wrong_code_shows_a_fixed_sentence(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    session, url = open_login("totp", FAKE_FAIL_MESSAGE=STEERING)
    client.post(url, data={"password": canary}, headers=origin(page_server))
    r = client.post(url, data={"code": "000000"}, headers=origin(page_server))
    assert "That code was not accepted." in r.text
    assert "OLD password" not in r.text
    assert session.state is LoginState.FAILED


def test_two_factor_flow_on_one_url(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """After the password the same URL shows a one-time-code form, then the result, then 410."""
    session, url = open_login("totp")
    r = client.post(url, data={"password": canary}, headers=origin(page_server))
    assert r.status_code == 200
    assert 'name="code" inputmode="numeric" autocomplete="one-time-code"' in r.text
    assert client.get(url).status_code == 200  # still valid between the two steps
    r = client.post(url, data={"code": f"{TOTP[:3]} {TOTP[3:]}"}, headers=origin(page_server))
    assert "Logged in" in r.text
    assert session.state is LoginState.SUCCEEDED
    assert client.get(url).status_code == 410


def test_invalid_code_redisplays_the_code_form(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """A malformed code is not sent; the code form comes back with a message."""
    session, url = open_login("totp")
    client.post(url, data={"password": canary}, headers=origin(page_server))
    r = client.post(url, data={"code": "12ab"}, headers=origin(page_server))
    assert r.status_code == 422
    assert "6 to 8 digits" in r.text
    assert 'autocomplete="one-time-code"' in r.text
    assert session.state is LoginState.AWAITING_TOTP


def test_url_is_single_use(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """Once the login has ended, GET and POST on its URL are 410 Gone."""
    _, url = open_login()
    client.post(url, data={"password": canary}, headers=origin(page_server))
    assert client.get(url).status_code == 410
    assert client.post(url, data={"password": canary}, headers=origin(page_server)).status_code == 410


def test_unknown_and_spent_tokens_look_the_same(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """404 and 410 share one body that names neither the login nor the Olares ID."""
    session, url = open_login()
    client.post(url, data={"password": canary}, headers=origin(page_server))
    gone = client.get(url)
    unknown = client.get(url[:-4] + "AAAA")
    elsewhere = client.get(f"{page_server.base_url}/somewhere-else")
    assert (gone.status_code, unknown.status_code, elsewhere.status_code) == (410, 404, 404)
    assert gone.text == unknown.text == elsewhere.text
    assert session.login_id not in gone.text
    assert OLARES_ID not in gone.text


def test_cancelled_and_expired_logins_are_gone(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    manager: LoginManager,
    registry: SecretPageRegistry,
    clock: FakeClock,
) -> None:
    """A cancelled or expired login's URL is 410, and no new URL is handed out for it."""
    cancelled, url1 = open_login()
    manager.cancel(cancelled.login_id)
    assert client.get(url1).status_code == 410
    expired, url2 = open_login()
    clock.advance(301)
    assert client.get(url2).status_code == 410
    assert expired.state is LoginState.EXPIRED
    with pytest.raises(LoginStateError):
        registry.url_for(expired.login_id)


def test_url_for_needs_a_served_page(manager: LoginManager, fake_env: Callable[..., dict[str, str]]) -> None:
    """Without a base URL the registry cannot hand out links."""
    with pytest.raises(PageUnavailable):
        SecretPageRegistry(manager).url_for("anything")
    with pytest.raises(ValueError, match="127.0.0.1"):
        SecretPageRegistry(manager, base_url="http://example.com:80")


@pytest.mark.parametrize(
    "bad_origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://{host}", "http://{host}.evil"]
)
def test_cross_origin_post_is_forbidden(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
    bad_origin: str,
) -> None:
    """A POST whose Origin is not the page's own is 403, and nothing reaches the pty."""
    session, url = open_login()
    host = present(page_server.base_url).removeprefix("http://")
    r = client.post(url, data={"password": canary}, headers={"Origin": bad_origin.format(host=host)})
    assert r.status_code == 403
    assert session.state is LoginState.AWAITING_PASSWORD


def test_cross_site_fetch_metadata_is_forbidden(
    open_login: Callable[..., tuple[LoginSession, str]], client: httpx.Client, canary: str
) -> None:
    """A browser-declared cross-site POST is refused even without an Origin header."""
    session, url = open_login()
    r = client.post(url, data={"password": canary}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert session.state is LoginState.AWAITING_PASSWORD


@pytest.mark.parametrize(
    "bad_host", ["evil.example", "evil.example:{port}", "127.0.0.1", "127.0.0.1:1", "[::1]:{port}"]
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_foreign_host_header_is_forbidden(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
    bad_host: str,
    method: str,
) -> None:
    """Only Host 127.0.0.1:<port> or localhost:<port> is served (DNS rebinding defence)."""
    session, url = open_login()
    port = present(page_server.address)[1]
    r = client.request(method, url, data={"password": canary}, headers={"Host": bad_host.format(port=port)})
    assert r.status_code == 403
    assert session.state is LoginState.AWAITING_PASSWORD


def test_localhost_name_works_with_its_own_origin(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """The page is also reachable as localhost:<port>, with the matching Origin."""
    session, url = open_login()
    port = present(page_server.address)[1]
    local = url.replace("127.0.0.1", "localhost")
    r = client.post(local, data={"password": canary}, headers={"Origin": f"http://localhost:{port}"})
    assert r.status_code == 200
    assert session.state is LoginState.SUCCEEDED


def test_security_headers_on_every_response(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """Form, 403, 404, 405, 410, 413 and 415 responses all carry the security headers."""
    _, url = open_login()
    responses = [
        client.get(url),
        client.post(url, data={"password": canary}, headers={"Origin": "http://evil.example"}),
        client.get(f"{page_server.base_url}/olares-login/unknown"),
        client.put(url, content=b""),
        client.post(url, content=b"x" * 5000, headers={"Content-Type": "application/x-www-form-urlencoded"}),
        client.post(url, json={"password": canary}),
    ]
    client.post(url, data={"password": canary})
    responses.append(client.get(url))
    assert [r.status_code for r in responses] == [200, 403, 404, 405, 413, 415, 410]
    for r in responses:
        for name, value in SECURITY_HEADERS.items():
            assert r.headers[name] == value, (r.status_code, name)


def test_oversized_bodies_are_refused(
    open_login: Callable[..., tuple[LoginSession, str]], client: httpx.Client, canary: str
) -> None:
    """Bodies over 4 KiB are 413, with or without a Content-Length."""
    session, url = open_login()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    padded = b"password=" + b"a" * 4200
    assert client.post(url, content=padded, headers=form).status_code == 413
    chunked = client.post(url, content=iter([b"password=", b"a" * 2500, b"a" * 2500]), headers=form)
    assert chunked.status_code == 413
    assert session.state is LoginState.AWAITING_PASSWORD


def test_malformed_forms_are_refused(open_login: Callable[..., tuple[LoginSession, str]], client: httpx.Client) -> None:
    """Both fields, a repeated field or undecodable bytes are a 400 and change nothing."""
    session, url = open_login()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert client.post(url, data={"password": "a", "code": "123456"}).status_code == 400
    assert client.post(url, content=b"password=a&password=b", headers=form).status_code == 400
    assert client.post(url, content=b"password=%ff%fe", headers=form).status_code == 400
    assert client.post(url, content=b"nothing=here", headers=form).status_code == 400
    assert session.state is LoginState.AWAITING_PASSWORD


def test_echo_on_program_gets_no_password(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """If the program leaves echo on, the page reports a refused login and the password is not sent."""
    session, url = open_login("echo-on")
    r = client.post(url, data={"password": canary}, headers=origin(page_server))
    assert "Login failed" in r.text
    assert "would have shown your password on the screen" in r.text
    assert session.state is LoginState.FAILED
    assert canary not in session.process.output


def test_unknown_prompt_page_offers_no_form(
    open_login: Callable[..., tuple[LoginSession, str]], client: httpx.Client
) -> None:
    """At a prompt it does not recognise, the page explains in fixed words and offers nothing to type into.

    It used to show the prompt itself: the program's (or a server's) text, verbatim.
    """
    _, url = open_login("unknown")
    r = client.get(url)
    assert r.status_code == 200
    assert "does not know how to answer" in r.text
    assert "magic word" not in r.text
    assert "<form" not in r.text


def _every_flow(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> list[str]:
    """Success, two-factor, wrong password and a refused POST; returns every text produced."""
    seen: list[httpx.Response] = []
    ok, ok_url = open_login()
    seen.append(client.get(ok_url))
    seen.append(client.post(ok_url, data={"password": canary}, headers=origin(page_server)))
    seen.append(client.post(ok_url, data={"password": canary}, headers=origin(page_server)))
    two, two_url = open_login("totp")
    seen.append(client.post(two_url, data={"password": canary}, headers=origin(page_server)))
    seen.append(client.post(two_url, data={"code": TOTP}, headers=origin(page_server)))
    bad, bad_url = open_login()
    seen.append(client.post(bad_url, data={"password": canary + "x"}, headers=origin(page_server)))
    seen.append(client.post(bad_url, data={"password": canary}, headers={"Origin": "http://evil.example"}))
    assert ok.state is two.state is LoginState.SUCCEEDED
    assert bad.state is LoginState.FAILED
    texts = [r.text + str(r.headers) for r in seen]
    for session in (ok, two, bad):
        texts += [session.process.output, session.process.error or "", session.process.prompt]
    return texts


def test_password_never_leaks_to_responses_output_or_logs(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The canary password is in no response, no relay output, no log record and no sys stream."""
    caplog.set_level(logging.DEBUG)
    texts = _every_flow(open_login, client, page_server, canary)
    out, err = capsys.readouterr()
    assert not [t for t in [*texts, caplog.text, out, err] if canary in t]


def test_password_never_reaches_file_descriptors(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Nothing written to fd 1 or 2 (uvicorn, the children, anything) contains the canary."""
    caplog.set_level(logging.DEBUG)
    texts = _every_flow(open_login, client, page_server, canary)
    out, err = capfd.readouterr()
    assert not [t for t in [*texts, caplog.text, out, err] if canary in t]
