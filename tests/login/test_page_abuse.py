"""The secret-entry page under abuse: token brute force, slow clients, trickled bodies, replay.

(Oversized bodies, cross-origin posts and foreign Host headers are in test_page.py.)
"""

from __future__ import annotations

import secrets
import socket
import time
from urllib.parse import urlsplit

from olares_auth_mcp.login import LoginState
from tests.login.conftest import origin


def test_brute_forcing_tokens_finds_nothing_and_breaks_nothing(open_login, client, page_server, canary):
    """500 guessed tokens (a bounded loop, loopback only) all get the same 404; the real page still works."""
    session, url = open_login()
    prefix = url.rsplit("/", 1)[0]
    bodies = set()
    for _ in range(500):
        answer = client.get(f"{prefix}/{secrets.token_urlsafe(32)}")
        assert answer.status_code == 404
        bodies.add(answer.text)
    assert len(bodies) == 1, "every miss looks the same"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"password": canary}, headers=origin(page_server)).status_code == 200
    assert session.state is LoginState.SUCCEEDED


def _raw(url: str) -> tuple[socket.socket, str, str]:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock, parts.path, f"{parts.hostname}:{parts.port}"


def test_slow_clients_do_not_block_the_page(open_login, client, page_server, canary):
    """Connections that trickle half a request (slowloris) do not stop the human's request."""
    session, url = open_login()
    stalled = []
    for _ in range(20):
        sock, path, host = _raw(url)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode())  # never finished
        stalled.append(sock)
    try:
        started = time.monotonic()
        assert client.get(url).status_code == 200
        answer = client.post(url, data={"password": canary}, headers=origin(page_server))
        assert answer.status_code == 200 and time.monotonic() - started < 10
        assert session.state is LoginState.SUCCEEDED
    finally:
        for sock in stalled:
            sock.close()


def test_a_trickled_body_is_not_taken_as_the_password(open_login, client, page_server, canary):
    """A POST that promises a body and stops sending it gets no login out of a partial value."""
    session, url = open_login()
    sock, path, host = _raw(url)
    body = f"password={canary}".encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {page_server.base_url}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body[: len(body) // 2])
    sock.close()  # the client goes away halfway
    assert session.wait_for_change(0.5) is LoginState.AWAITING_PASSWORD
    assert client.post(url, data={"password": canary}, headers=origin(page_server)).status_code == 200
    assert session.state is LoginState.SUCCEEDED


def test_replaying_a_captured_post_after_success_is_refused(open_login, client, page_server, canary):
    _, url = open_login()
    first = client.post(url, data={"password": canary}, headers=origin(page_server))
    replay = client.post(url, data={"password": canary}, headers=origin(page_server))
    assert (first.status_code, replay.status_code) == (200, 410)
