"""``serve --http``: streamable HTTP on loopback in both eras, the bearer gate, Host/Origin checks, the token file."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from mcp import Client
from mcp.client._transport import TransportStreams
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.server.main import TOKEN_FILE_NAME, HttpTokenError, http_app, http_token
from olares_auth_mcp.sim import Simulator
from olares_auth_mcp.tools.deps import Deps
from tests.conftest import cli_env
from tests.tools.conftest import seed_every_status

TOKEN = "t" * 40
RPC = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
RPC_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def run_http(deps: Deps, token: str, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve on a socket bound before the server starts: connections queue, so there is no readiness race."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family)
    sock.bind((host, 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    app = http_app(deps, host=host, port=port, token=token)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{shown}:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@asynccontextmanager
async def bearer(url: str, token: str = TOKEN) -> AsyncIterator[TransportStreams]:
    """A streamable-HTTP transport that sends the bearer token."""
    async with (
        create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http,
        streamable_http_client(url, http_client=http) as streams,
    ):
        yield streams


@pytest.fixture
def http_url(paths: Paths, vault: BlobVault) -> Iterator[str]:
    seed_every_status(paths, vault)
    yield from run_http(Deps(Runtime.build(paths, vault)), TOKEN)


@pytest.fixture
def gated_url(paths: Paths, vault: BlobVault) -> Iterator[str]:
    yield from run_http(Deps(Runtime.build(paths, vault)), TOKEN)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["modern", "legacy"])
async def test_http_both_eras(http_url: str, mode: str) -> None:
    async with Client(bearer(http_url), mode="legacy" if mode == "legacy" else "auto") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        gate = (await client.call_tool("auth_readiness", {})).structured_content
    assert "profile_list" in names
    assert gate["decision"] == "proceed"


def test_bearer_gate_rejects_requests_without_the_token(gated_url: str) -> None:
    body, headers = RPC, RPC_HEADERS
    missing = httpx.post(gated_url, json=body, headers=headers, timeout=10)
    wrong = httpx.post(gated_url, json=body, headers={**headers, "Authorization": "Bearer nope"}, timeout=10)
    right = httpx.post(gated_url, json=body, headers={**headers, "Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.headers["www-authenticate"] == "Bearer"
    assert right.status_code != 401


@pytest.mark.parametrize(
    ("args", "extra_env", "message"),
    [
        (["--host", "0.0.0.0"], {}, "is not loopback; pass --allow-remote"),  # noqa: S104 - the refusal under test
        (["--host", "0.0.0.0", "--allow-remote"], {}, "needs $OLARES_AUTH_MCP_BEARER_TOKEN"),  # noqa: S104
        (["--host", "0.0.0.0", "--allow-remote"], {"OLARES_AUTH_MCP_BEARER_TOKEN": "short"}, "at least 32"),  # noqa: S104
    ],
)
def test_non_loopback_bind_needs_a_flag_and_a_token(
    paths: Paths, args: list[str], extra_env: dict[str, str], message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "olares_auth_mcp", "serve", "--http", "--port", "0", *args],
        env=cli_env(paths, **extra_env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.anyio
async def test_http_mode_mounts_the_page_on_the_same_app(paths: Paths, vault: BlobVault, olares_sim: Simulator) -> None:
    """In loopback HTTP mode the secret-entry page is served by the MCP app itself, and a login completes."""
    import anyio

    from tests.conftest import ALICE, ALICE_PASSWORD
    from tests.tools.conftest import type_into_page

    deps = Deps(Runtime.build(paths, vault, env={"OLARES_AUTH_MCP_SERVICE_URL": olares_sim.url}))
    for url in run_http(deps, TOKEN):
        async with Client(bearer(url)) as client:
            started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
            page = started["secret_entry_url"]
            assert page.startswith(url.removesuffix("/mcp") + "/olares-login-page/olares-login/")
            status, _ = await anyio.to_thread.run_sync(type_into_page, page, "password", ALICE_PASSWORD)
            done = await client.call_tool("login_status", {"login_id": started["login_id"], "wait_seconds": 20})
        assert status == 200 and done.structured_content["state"] == "succeeded"


def _serve(paths: Paths, port: int, **extra_env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "olares_auth_mcp", "serve", "--http", "--port", str(port)],
        env=cli_env(paths, **extra_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _post_when_up(url: str, headers: dict[str, str], proc: subprocess.Popen[str]) -> httpx.Response:
    """POST ``RPC`` once the server accepts connections (bounded: 60 s)."""
    import time

    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.post(url, json=RPC, headers={**RPC_HEADERS, **headers}, timeout=10)
        except httpx.TransportError:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "serve --http did not come up"
            time.sleep(0.2)


def test_serve_http_on_loopback_requires_a_generated_token_kept_0600(paths: Paths) -> None:
    """No token configured: serve --http makes one, keeps it 0600, says where (not what), and answers 401 without it."""
    port = _free_port()
    proc = _serve(paths, port)
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        without = _post_when_up(url, {}, proc)
        token_file = paths.home / TOKEN_FILE_NAME
        token = token_file.read_text().strip()
        with_token = httpx.post(url, json=RPC, headers={**RPC_HEADERS, "Authorization": f"Bearer {token}"}, timeout=10)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    assert without.status_code == 401
    assert with_token.status_code not in (401, 403)  # past the gate (the SDK answers the bare request itself)
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600 and len(token) >= 32
    assert str(token_file) in stderr and token not in stderr


def test_the_token_file_is_reused_and_never_followed(tmp_path: Path) -> None:
    first, where = http_token({}, tmp_path / "state")
    again, where_again = http_token({}, tmp_path / "state")
    assert (first, where) == (again, where_again) and where == str(tmp_path / "state" / TOKEN_FILE_NAME)
    assert http_token({"OLARES_AUTH_MCP_BEARER_TOKEN": "e" * 40}, tmp_path / "state") == (
        "e" * 40,
        "$OLARES_AUTH_MCP_BEARER_TOKEN",
    )
    planted = tmp_path / "planted"
    planted.write_text("p" * 40)
    planted.chmod(0o600)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / TOKEN_FILE_NAME).symlink_to(planted)
    with pytest.raises(HttpTokenError):
        http_token({}, tmp_path / "other")
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / TOKEN_FILE_NAME).write_text("l" * 40)
    (loose / TOKEN_FILE_NAME).chmod(0o644)
    with pytest.raises(HttpTokenError, match="chmod 600"):
        http_token({}, loose)
    with pytest.raises(HttpTokenError, match="at least 32"):
        http_token({"OLARES_AUTH_MCP_BEARER_TOKEN": "short"}, tmp_path / "state")


def test_the_page_mount_answers_without_the_bearer(paths: Paths, vault: BlobVault) -> None:
    """The human's browser has no bearer token: the page mount must not sit behind the gate."""
    for url in run_http(Deps(Runtime.build(paths, vault)), TOKEN):
        page = url.removesuffix("/mcp") + "/olares-login-page/olares-login/" + "x" * 43
        answer = httpx.get(page, timeout=10)
        sneaky = httpx.post(url.removesuffix("/mcp") + "/olares-login-page/../mcp", json=RPC, timeout=10)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")  # the page, not 401
        assert sneaky.status_code in (401, 404)


@pytest.mark.parametrize("host", ["127.0.0.2", "::1", "0:0:0:0:0:0:0:1", "127.0.0.1"])
def test_dns_rebinding_is_refused_on_every_loopback_bind(paths: Paths, vault: BlobVault, host: str) -> None:
    for url in run_http(Deps(Runtime.build(paths, vault)), TOKEN, host=host):
        port = url.rsplit(":", 1)[1].split("/")[0]
        auth = {**RPC_HEADERS, "Authorization": f"Bearer {TOKEN}"}
        rebound = httpx.post(url, json=RPC, headers={**auth, "Host": f"attacker.example:{port}"}, timeout=10)
        bare = httpx.post(url, json=RPC, headers={**auth, "Host": "attacker.example"}, timeout=10)
        foreign = httpx.post(url, json=RPC, headers={**auth, "Origin": "http://attacker.example"}, timeout=10)
        own = httpx.post(url, json=RPC, headers=auth, timeout=10)
        spellings = {"::1": "[0:0:0:0:0:0:0:1]", "0:0:0:0:0:0:0:1": "[::1]"}.get(host, host)
        respelled = httpx.post(url, json=RPC, headers={**auth, "Host": f"{spellings}:{port}"}, timeout=10)
        assert (rebound.status_code, bare.status_code, foreign.status_code) == (403, 403, 403)
        assert own.status_code not in (401, 403, 421) and respelled.status_code not in (401, 403, 421)
