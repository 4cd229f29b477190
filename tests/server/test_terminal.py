"""The server explains itself to a human (issue 12 item 4): a banner and one clean Ctrl-C in a terminal,
and ``serve --http`` names the URL it listens on and where its bearer token is (never the token)."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pexpect
import pytest

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.server.main import TOKEN_FILE_NAME
from tests.conftest import cli_env

BANNER = "It speaks MCP on stdio and is waiting for an MCP client"


def test_stdio_server_in_a_terminal_explains_itself_and_one_ctrl_c_exits_130(paths: Paths) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "olares_auth_mcp"], env=cli_env(paths), encoding="utf-8", timeout=30)
    try:
        child.expect_exact(BANNER)
        child.expect_exact("olares-auth-mcp install --help")
        child.expect_exact("\n")
        child.sendintr()  # one Ctrl-C
        child.expect(pexpect.EOF, timeout=10)
        output = child.before
        assert output is not None
    finally:
        child.close(force=True)
    assert child.exitstatus == 130, (child.exitstatus, child.signalstatus, output)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output


def test_stdio_server_under_a_client_prints_no_banner(paths: Paths) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "olares_auth_mcp"],
        env=cli_env(paths),
        input="",  # a pipe, as MCP clients launch it; EOF ends the session
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout == ""
    assert BANNER not in result.stderr


@pytest.mark.parametrize("from_env", [False, True])
def test_serve_http_names_its_url_and_where_the_token_is(paths: Paths, from_env: bool) -> None:
    secret = "t0ken-from-env-" + "x" * 40
    extra = {"OLARES_AUTH_MCP_BEARER_TOKEN": secret} if from_env else {}
    proc = subprocess.Popen(
        [sys.executable, "-m", "olares_auth_mcp", "serve", "--http", "--port", "0"],
        env=cli_env(paths, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # bounded by the server: it prints this before serving, or exits
        match = re.search(r"at (http://127\.0\.0\.1:(\d+)/mcp);", line)
        assert match, line
        assert int(match.group(2)) != 0
        answer = httpx.post(match.group(1), json={}, timeout=30)  # the socket is bound: connections queue
        assert answer.status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    if from_env:
        assert "the token comes from $OLARES_AUTH_MCP_BEARER_TOKEN" in line and secret not in line
    else:
        token = (paths.home / TOKEN_FILE_NAME).read_text().strip()
        assert f"the token is in {paths.home / TOKEN_FILE_NAME}" in line and token not in line
