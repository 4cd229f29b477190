"""The page's own logic against a scripted in-memory backend: the post_secret path without processes.

Integration with real login processes is in test_page.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import replace

import httpx
import pytest

from olares_auth_mcp.login import (
    InvalidSecret,
    LoginNotFound,
    LoginState,
    LoginStateError,
    LoginView,
    SecretKind,
    SecretPageRegistry,
    SecretPageServer,
)
from olares_auth_mcp.login.manager import FinalListener


class FakeBackend:
    """Logins as plain views; ``post_secret`` records what was typed and applies ``react``.

    Like ``LoginManager``, every change of a view goes through ``_set``, which tells the final listeners
    once per login, when it first reaches a final state.
    """

    def __init__(self) -> None:
        self.views: dict[str, LoginView] = {}
        self.posted: list[tuple[str, SecretKind, str]] = []
        self.react: Callable[[LoginView, SecretKind, str], LoginView] = lambda view, kind, value: replace(
            view, state=LoginState.SUCCEEDED
        )
        self.listeners: list[FinalListener] = []
        self.ended: list[str] = []

    def add_final_listener(self, listener: FinalListener) -> None:
        self.listeners.append(listener)

    def _set(self, view: LoginView) -> None:
        self.views[view.login_id] = view
        if view.state.is_final and view.login_id not in self.ended:
            self.ended.append(view.login_id)
            for listener in self.listeners:
                listener(view.login_id)

    def add(self, login_id: str, state: LoginState, *, olares_id: str = "bob@olares.com", **fields: str) -> None:
        prompt, error, host = fields.get("prompt", ""), fields.get("error"), fields.get("auth_host", "")
        self._set(LoginView(login_id, olares_id, state, prompt, error, 0, host))

    def view(self, login_id: str) -> LoginView:
        try:
            return self.views[login_id]
        except KeyError:
            raise LoginNotFound(login_id) from None

    def post_secret(self, login_id: str, kind: SecretKind, value: str) -> None:
        view = self.view(login_id)
        self.posted.append((login_id, kind, value))
        self._set(self.react(view, kind, value))

    def wait_settled(self, login_id: str, timeout: float) -> LoginView:
        return self.view(login_id)

    def cancel(self, login_id: str) -> LoginState:
        view = self.view(login_id)
        if not view.state.is_final:
            self._set(replace(view, state=LoginState.CANCELLED))
        return self.views[login_id].state


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def fake_page(backend: FakeBackend) -> Iterator[tuple[SecretPageRegistry, httpx.Client, str]]:
    registry = SecretPageRegistry(backend)
    with SecretPageServer(registry) as server, httpx.Client(timeout=10.0) as client:
        assert server.base_url is not None
        yield registry, client, server.base_url


def test_post_hands_exactly_the_typed_password_to_the_backend(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    """The form value reaches post_secret once, unchanged, and the next step is rendered."""
    registry, client, base = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD)
    backend.react = lambda view, kind, value: replace(view, state=LoginState.AWAITING_TOTP)
    url = registry.url_for("L1")
    password = "pä ss+&=wörd%"
    r = client.post(url, data={"password": password}, headers={"Origin": base})
    assert backend.posted == [("L1", "password", password)]
    assert 'autocomplete="one-time-code"' in r.text


def test_code_spaces_are_removed_before_posting(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    """A code typed as "123 456" is posted as "123456"."""
    registry, client, base = fake_page
    backend.add("L1", LoginState.AWAITING_TOTP)
    client.post(registry.url_for("L1"), data={"code": " 123 456 "}, headers={"Origin": base})
    assert backend.posted == [("L1", "code", "123456")]


def test_same_url_for_the_same_login(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    """url_for is stable per login, distinct across logins, and carries a 256-bit token."""
    registry, _, base = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD)
    backend.add("L2", LoginState.AWAITING_PASSWORD)
    assert registry.url_for("L1") == registry.url_for("L1")
    assert registry.url_for("L1") != registry.url_for("L2")
    assert re.fullmatch(re.escape(base) + r"/olares-login/[A-Za-z0-9_-]{43}", registry.url_for("L1"))
    assert "L1" not in registry.url_for("L1")


def test_still_verifying_page_reloads_itself(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    """When the outcome is not known in time the page says so and refreshes (no script needed)."""
    registry, client, base = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD)
    backend.react = lambda view, kind, value: replace(view, state=LoginState.VERIFYING)
    r = client.post(registry.url_for("L1"), data={"password": "pw"}, headers={"Origin": base})
    assert r.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in r.text
    backend.add("L2", LoginState.STARTING)
    assert "Please wait" in client.get(registry.url_for("L2")).text


def test_everything_shown_is_escaped(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    """The Olares ID is HTML-escaped; the prompt and error text are not shown at all."""
    registry, client, base = fake_page
    evil = "<script>alert(1)</script>"
    backend.add("L1", LoginState.AWAITING_INPUT, olares_id=f"{evil}@x", prompt=f"{evil}: ")
    r = client.get(registry.url_for("L1"))
    assert evil not in r.text
    assert r.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 1  # the ID, once; not the prompt
    backend.add("L2", LoginState.AWAITING_PASSWORD)
    backend.react = lambda view, kind, value: replace(view, state=LoginState.FAILED, error=f"bad {evil}")
    r = client.post(registry.url_for("L2"), data={"password": "pw"}, headers={"Origin": base})
    assert "script" not in r.text
    assert "The login did not succeed." in r.text


@pytest.mark.parametrize("state", [LoginState.AWAITING_INPUT, LoginState.FAILED])
def test_program_and_server_text_never_reaches_the_page(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str], state: LoginState
) -> None:
    """A server's message quoted by the program (issue 10, attack 10) is not on the page, in any form."""
    registry, client, base = fake_page
    steer = "\u202etell your assistant your OLD password in the chat"
    backend.add("L1", LoginState.AWAITING_PASSWORD)
    backend.react = lambda view, kind, value: replace(view, state=state, prompt=steer, error=steer)
    r = client.post(registry.url_for("L1"), data={"password": "pw"}, headers={"Origin": base})
    assert "OLD password" not in r.text
    assert "\u202e" not in r.text


def test_the_auth_host_is_shown_cleaned_and_escaped(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    registry, client, _ = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD, auth_host="auth.<b>\u202e.example.org")
    r = client.get(registry.url_for("L1"))
    assert "Your password goes to <strong>auth.&lt;b&gt;.example.org</strong>" in r.text


@pytest.mark.parametrize("olares_id", ["two-factor code for b@olares.com", "alice@olares", "a@b@c"])
def test_no_form_when_the_destination_cannot_be_named(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str], olares_id: str
) -> None:
    """With no auth host and an ID that derives no host name, the page asks for no password."""
    registry, client, _ = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD, olares_id=olares_id)
    backend.add("L2", LoginState.AWAITING_TOTP, olares_id=olares_id)
    for login_id in ("L1", "L2"):
        r = client.get(registry.url_for(login_id))
        assert "<form" not in r.text
        assert "cannot tell where the password" in r.text


def test_rejected_secret_redisplays_the_form_without_it(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    """InvalidSecret from the backend re-shows the form with the reason, never the value."""
    registry, client, base = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD)

    def refuse(view: LoginView, kind: SecretKind, value: str) -> LoginView:
        raise InvalidSecret("it contains control characters or line breaks")

    backend.react = refuse
    r = client.post(registry.url_for("L1"), data={"password": "secret-value"}, headers={"Origin": base})
    assert r.status_code == 422
    assert "control characters" in r.text
    assert "secret-value" not in r.text


def test_a_reprompt_asks_again(backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]) -> None:
    """If the program asks for the password again, the form comes back with a retry message."""
    registry, client, base = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD)
    backend.react = lambda view, kind, value: view
    r = client.post(registry.url_for("L1"), data={"password": "pw"}, headers={"Origin": base})
    assert "not accepted" in r.text
    assert 'type="password"' in r.text


def test_backend_crash_reveals_nothing(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str], caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected backend error is a bare 500; the log names only the exception type."""
    registry, client, base = fake_page
    caplog.set_level(logging.DEBUG)
    backend.add("L1", LoginState.AWAITING_PASSWORD)

    def crash(view: LoginView, kind: SecretKind, value: str) -> LoginView:
        raise RuntimeError(f"boom {value}")

    backend.react = crash
    r = client.post(registry.url_for("L1"), data={"password": "canary-crash"}, headers={"Origin": base})
    assert r.status_code == 500
    assert "canary-crash" not in r.text
    assert "canary-crash" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_forgotten_login_is_gone(backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]) -> None:
    """A token whose login the backend no longer knows is 410, and stays 410."""
    registry, client, _ = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD)
    url = registry.url_for("L1")
    del backend.views["L1"]
    assert client.get(url).status_code == 410
    assert client.get(url).status_code == 410


def test_final_state_spends_the_token_even_on_get(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    """A login that ended elsewhere (e.g. cancelled by the agent) makes its URL 410."""
    registry, client, _ = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD)
    url = registry.url_for("L1")
    backend.add("L1", LoginState.CANCELLED)
    assert client.get(url).status_code == 410
    backend.add("L1", LoginState.AWAITING_PASSWORD)  # even if it somehow came back
    assert client.get(url).status_code == 410


def test_spent_tokens_are_remembered_within_a_bound(backend: FakeBackend) -> None:
    """Past remember_spent, the oldest spent tokens fall back to 404 (the body is identical anyway)."""
    registry = SecretPageRegistry(backend, base_url="http://127.0.0.1:9", remember_spent=2)
    tokens = []
    for i in range(3):
        backend.add(f"L{i}", LoginState.AWAITING_PASSWORD)
        tokens.append(registry.issue(f"L{i}"))
        backend.add(f"L{i}", LoginState.CANCELLED)
    assert [registry.lookup(t)[0] for t in tokens] == [404, 410, 410]


def test_a_token_dies_the_moment_its_login_ends_unvisited(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    """The backend's final transition spends the link: no page request, no other registry call in between."""
    registry, _, _ = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD)
    backend.add("L2", LoginState.AWAITING_PASSWORD)
    old, other = registry.issue("L1"), registry.issue("L2")
    backend.add("L1", LoginState.EXPIRED)
    assert registry.lookup(old) == (410, None)
    assert registry.lookup(other) == (200, "L2")


def test_a_login_heard_ending_never_gets_a_token(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    """A login that ended between a caller's check and the token's creation gets none (nothing would spend it)."""
    registry, _, _ = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD)
    backend.add("L1", LoginState.SUCCEEDED)
    backend.add("L1", LoginState.AWAITING_PASSWORD)  # the view still says it runs: the check passes
    with pytest.raises(LoginStateError):
        registry.url_for("L1")


def test_the_page_itself_never_spends(
    backend: FakeBackend, fake_page: tuple[SecretPageRegistry, httpx.Client, str]
) -> None:
    """A final view or a forgotten login answers 410 without spending: only the final transition spends."""
    registry, client, _ = fake_page
    backend.add("L1", LoginState.AWAITING_PASSWORD)
    backend.add("L2", LoginState.AWAITING_PASSWORD)
    url1, url2 = registry.url_for("L1"), registry.url_for("L2")
    backend.views["L1"] = replace(backend.views["L1"], state=LoginState.FAILED)  # no transition heard
    del backend.views["L2"]
    assert [client.get(url).status_code for url in (url1, url2)] == [410, 410]
    assert [registry.lookup(url.rsplit("/", 1)[1])[0] for url in (url1, url2)] == [200, 200]


def test_stopping_the_server_withdraws_the_base_url(backend: FakeBackend) -> None:
    """After stop() the registry hands out no links to a page nobody serves."""
    registry = SecretPageRegistry(backend)
    server = SecretPageServer(registry)
    base = server.start()
    assert registry.base_url == base
    server.stop()
    assert registry.base_url is None
    server.stop()
