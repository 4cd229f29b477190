"""The secret-entry page under abuse: token brute force, slow clients, trickled bodies, replay.

(Oversized bodies, cross-origin posts and foreign Host headers are in test_page.py.)
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from olares_auth_mcp.login import LoginSession, LoginState, SecretPageRegistry, SecretPageServer
from tests.login.conftest import origin


def test_brute_forcing_tokens_finds_nothing_and_breaks_nothing(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
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


def test_slow_clients_do_not_block_the_page(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
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


def test_a_trickled_body_is_not_taken_as_the_password(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
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


def test_replaying_a_captured_post_after_success_is_refused(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    _, url = open_login()
    first = client.post(url, data={"password": canary}, headers=origin(page_server))
    replay = client.post(url, data={"password": canary}, headers=origin(page_server))
    assert (first.status_code, replay.status_code) == (200, 410)


def _half_open(url: str, count: int) -> list[socket.socket]:
    """``count`` connections that each send half a request head and then say nothing."""
    sockets = []
    for _ in range(count):
        sock, path, host = _raw(url)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode())
        sockets.append(sock)
    return sockets


def test_half_open_connections_do_not_make_the_page_answer_503(
    open_login: Callable[..., tuple[LoginSession, str]],
    client: httpx.Client,
    page_server: SecretPageServer,
    canary: str,
) -> None:
    """40+ idle half-open sockets (more than any connection limit) still leave the human's page answering."""
    session, url = open_login()
    stalled = _half_open(url, 48)
    try:
        started = time.monotonic()
        page = client.get(url)
        assert page.status_code == 200, page.status_code
        answer = client.post(url, data={"password": canary}, headers=origin(page_server))
        assert answer.status_code == 200 and time.monotonic() - started < 15
        assert session.state is LoginState.SUCCEEDED
    finally:
        for sock in stalled:
            sock.close()


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server closes ``sock`` (FIN or RST) without answering; waits at most 10 s."""
    sock.settimeout(10)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_a_request_head_that_never_completes_is_dropped(registry: SecretPageRegistry) -> None:
    """A connection that has not finished its request head within the deadline is closed by the server."""
    with SecretPageServer(registry, header_timeout=0.5) as server:
        (slow,) = _half_open(f"{server.base_url}/olares-login/{'x' * 43}", 1)
        started = time.monotonic()
        try:
            assert _closed_by_server(slow)
        finally:
            slow.close()
        assert time.monotonic() - started < 8


def test_the_oldest_idle_connections_make_room_for_new_ones(registry: SecretPageRegistry) -> None:
    """Beyond max_idle idle connections the oldest is closed at once; the newest and a real request are served."""
    with SecretPageServer(registry, header_timeout=60, max_idle=8) as server, httpx.Client(timeout=10) as browser:
        url = f"{server.base_url}/olares-login/{'x' * 43}"
        crowd = _half_open(url, 12)
        try:
            assert _closed_by_server(crowd[0])
            assert browser.get(url).status_code == 404
            crowd[-1].sendall(b"\r\n\r\n")  # the newest finishes its head and gets its answer
            crowd[-1].settimeout(10)
            assert crowd[-1].recv(64).startswith(b"HTTP/1.1 404")
        finally:
            for sock in crowd:
                sock.close()
