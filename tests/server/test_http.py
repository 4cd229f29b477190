"""``serve --http``: streamable HTTP on loopback in both eras, the bearer gate, and the non-loopback refusal."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from mcp import Client

from olares_auth_mcp.server.deps import Deps
from olares_auth_mcp.server.main import http_app
from tests.conftest import cli_env
from tests.tools.conftest import seed_every_status

TOKEN = "t" * 40


def run_http(deps: Deps, token: str | None) -> Iterator[str]:
    """Serve on a socket bound before the server starts: connections queue, so there is no readiness race."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    app = http_app(deps, host="127.0.0.1", port=port, token=token)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def http_url(paths, vault) -> Iterator[str]:
    seed_every_status(paths, vault)
    yield from run_http(Deps(paths=paths, vault=vault), None)


@pytest.fixture
def gated_url(paths, vault) -> Iterator[str]:
    yield from run_http(Deps(paths=paths, vault=vault), TOKEN)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["modern", "legacy"])
async def test_http_both_eras(http_url: str, mode: str) -> None:
    async with Client(http_url, **({"mode": "legacy"} if mode == "legacy" else {})) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        gate = (await client.call_tool("auth_readiness", {})).structured_content
    assert "profile_list" in names
    assert gate["decision"] == "proceed"


def test_bearer_gate_rejects_requests_without_the_token(gated_url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
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
def test_non_loopback_bind_needs_a_flag_and_a_token(paths, args, extra_env, message) -> None:
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
async def test_http_mode_mounts_the_page_on_the_same_app(paths, vault, olares_sim) -> None:
    """In loopback HTTP mode the secret-entry page is served by the MCP app itself, and a login completes."""
    import anyio

    from tests.conftest import ALICE, ALICE_PASSWORD
    from tests.tools.conftest import type_into_page

    deps = Deps(paths=paths, vault=vault, env={"OLARES_AUTH_MCP_SERVICE_URL": olares_sim.url})
    for url in run_http(deps, None):
        async with Client(url) as client:
            started = (await client.call_tool("start_login", {"olares_id": ALICE})).structured_content
            page = started["secret_entry_url"]
            assert page.startswith(url.removesuffix("/mcp") + "/olares-login-page/olares-login/")
            status, _ = await anyio.to_thread.run_sync(type_into_page, page, "password", ALICE_PASSWORD)
            done = await client.call_tool("login_status", {"login_id": started["login_id"], "wait_seconds": 20})
        assert status == 200 and done.structured_content["state"] == "succeeded"
