"""The one-time confirmation page on the loopback page server: one answer, from the page itself only."""

from __future__ import annotations

import re
import threading

import httpx
import pytest

from olares_auth_mcp.login import LoginManager, SecretPageRegistry, SecretPageServer
from olares_auth_mcp.login.confirm import Answer, Confirmation, ConfirmationRegistry, Question
from tests.helpers import present
from tests.login.conftest import FakeClock, origin

QUESTION = Question(
    title="Remove an Olares profile?",
    facts=("Profile: alice (alice@olares.com)", "Its stored token is deleted from this computer."),
    confirm_label="Remove",
    asked_by="Claude Code",
)


@pytest.fixture
def confirmations(registry: SecretPageRegistry) -> ConfirmationRegistry:
    return registry.confirmations


def ask(
    registry: SecretPageRegistry, key: str = "alice@olares.com", question: Question = QUESTION
) -> tuple[Confirmation, str]:
    asked = registry.confirmations.ask(key, question)
    assert asked is not None
    confirmation, token = asked
    return confirmation, registry.confirmation_url(token)


def nonce_of(page: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', page)
    assert found
    return found.group(1)


def answer(client: httpx.Client, server: SecretPageServer, url: str, choice: str, nonce: str) -> httpx.Response:
    return client.post(url, data={"nonce": nonce, "choice": choice}, headers=origin(server))


def test_the_page_states_the_facts_with_two_buttons_and_no_script(
    registry: SecretPageRegistry, page_server: SecretPageServer, client: httpx.Client
) -> None:
    _, url = ask(registry)
    page = client.get(url)
    assert page.status_code == 200
    body = page.text
    assert "Remove an Olares profile?" in body and "alice (alice@olares.com)" in body
    assert 'value="confirm">Remove</button>' in body and 'value="cancel">Cancel</button>' in body
    assert "Asked by Claude Code." in body
    assert "<script" not in body.lower()
    assert (
        page.headers["cache-control"] == "no-store"
        and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    )


@pytest.mark.parametrize(
    ("choice", "expected", "heading"),
    [("confirm", Answer.CONFIRMED, "Confirmed"), ("cancel", Answer.CANCELLED, "Cancelled")],
)
def test_one_answer_settles_it_and_spends_the_link(
    registry: SecretPageRegistry,
    page_server: SecretPageServer,
    client: httpx.Client,
    choice: str,
    expected: Answer,
    heading: str,
) -> None:
    confirmation, url = ask(registry)
    nonce = nonce_of(client.get(url).text)
    done = answer(client, page_server, url, choice, nonce)
    assert done.status_code == 200 and f"<h1>{heading}</h1>" in done.text
    assert registry.confirmations.wait(confirmation, 1.0) is expected
    assert client.get(url).status_code == 410
    assert answer(client, page_server, url, "confirm", nonce).status_code == 410


def test_a_waiter_is_woken_by_the_answer(
    registry: SecretPageRegistry, page_server: SecretPageServer, client: httpx.Client
) -> None:
    confirmation, url = ask(registry)
    nonce = nonce_of(client.get(url).text)
    got: list[Answer] = []
    waiter = threading.Thread(target=lambda: got.append(registry.confirmations.wait(confirmation, 20.0)))
    waiter.start()
    answer(client, page_server, url, "confirm", nonce)
    waiter.join(20.0)
    assert got == [Answer.CONFIRMED]


@pytest.mark.parametrize(
    "form",
    [
        {"choice": "confirm"},  # no nonce: not sent from the page
        {"choice": "confirm", "nonce": "guessed"},
        {"choice": "true", "nonce": None},  # only the page's own buttons answer
        {"choice": "yes", "nonce": None},
        {"nonce": None},
    ],
)
def test_anything_but_the_pages_own_buttons_changes_nothing(
    registry: SecretPageRegistry, page_server: SecretPageServer, client: httpx.Client, form: dict[str, str | None]
) -> None:
    confirmation, url = ask(registry)
    nonce = nonce_of(client.get(url).text)
    data = {k: (nonce if v is None else v) for k, v in form.items()}
    refused = client.post(url, data=data, headers=origin(page_server))
    assert refused.status_code in (400, 403)
    assert "Answer with the buttons on this page." in refused.text
    assert registry.confirmations.wait(confirmation, 0.0) is Answer.PENDING


def test_cross_site_and_rebound_requests_are_refused(
    registry: SecretPageRegistry, page_server: SecretPageServer, client: httpx.Client
) -> None:
    confirmation, url = ask(registry)
    nonce = nonce_of(client.get(url).text)
    evil = client.post(url, data={"nonce": nonce, "choice": "confirm"}, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    port = present(page_server.address)[1]
    rebound = client.get(url, headers={"Host": f"evil.example:{port}"})
    assert rebound.status_code == 403
    assert registry.confirmations.wait(confirmation, 0.0) is Answer.PENDING


def test_unknown_and_spent_links_look_alike(
    registry: SecretPageRegistry, page_server: SecretPageServer, client: httpx.Client
) -> None:
    base = page_server.base_url
    unknown = client.get(f"{base}/olares-confirm/{'x' * 43}")
    assert unknown.status_code == 404 and "This link cannot be used" in unknown.text


def test_a_question_expires_and_its_page_is_gone(manager: LoginManager) -> None:
    clock = FakeClock()
    confirmations = ConfirmationRegistry(ttl=120.0, clock=clock)
    registry = SecretPageRegistry(manager, confirmations=confirmations)
    with SecretPageServer(registry), httpx.Client(timeout=20.0) as client:
        confirmation, url = ask(registry)
        assert client.get(url).status_code == 200
        clock.advance(121)
        assert confirmations.wait(confirmation, 0.0) is Answer.EXPIRED
        assert client.get(url).status_code == 410


def test_one_pending_question_per_key_and_a_bounded_number_in_all(
    registry: SecretPageRegistry, page_server: SecretPageServer
) -> None:
    first, url = ask(registry)
    again, url_again = ask(registry)
    assert again is first and url_again == url  # calling twice never opens two pages
    for n in range(3):
        ask(registry, key=f"p{n}@olares.com")
    assert registry.confirmations.ask("p9@olares.com", QUESTION) is None
    registry.confirmations.settle(first, Answer.CANCELLED)
    assert registry.confirmations.ask("p9@olares.com", QUESTION) is not None


def test_facts_are_escaped(registry: SecretPageRegistry, page_server: SecretPageServer, client: httpx.Client) -> None:
    hostile = Question("Remove?", ("Profile: <script>alert(1)</script> (a@olares.com)",), "Remove <b>now</b>")
    _, url = ask(registry, key="x@olares.com", question=hostile)
    body = client.get(url).text
    assert "<script>" not in body and "&lt;script&gt;" in body and "Remove &lt;b&gt;now&lt;/b&gt;" in body
