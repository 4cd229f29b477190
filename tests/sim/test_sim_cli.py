"""``olares-auth-mcp sim``: the URL-first stdout contract, serving, and a clean exit on signals.

The simulator itself is covered in test_simulator.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from olares_auth_mcp.sim import main
from tests.sim._wire import SECRET

RUN_SIM = "import sys; from olares_auth_mcp.sim import main; sys.exit(main(sys.argv[1:]))"


@contextlib.contextmanager
def running_sim(*args: str) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str]]]:
    """Run ``sim`` in a child; stdout lines arrive on a queue so every wait can carry a timeout."""
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_SIM, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    stdout = proc.stdout
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stdout:
            lines.put(line.rstrip("\n"))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        reader.join(timeout=5)
        stdout.close()
        proc.stderr.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sim_prints_url_then_users_serves_and_exits_0_on_signal(sig: signal.Signals) -> None:
    """The URL is line 1, users follow without secrets, then the export line; logins work; a signal exits 0."""
    args = ["--user", "alice@olares.com:P@ssw0rd", "--user", f"bob@olares.com:abc:{SECRET}"]
    with running_sim(*args) as (proc, lines):
        url = lines.get(timeout=20)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert lines.get(timeout=5) == "user alice@olares.com"
        assert lines.get(timeout=5) == "user bob@olares.com (totp)"
        assert lines.get(timeout=5) == f"export OLARES_AUTH_MCP_SERVICE_URL={url}"  # to paste into another shell
        assert lines.get(timeout=5) == (
            f'# a refresh token to import: eval "$(olares-auth-mcp sim mint --url {url} alice@olares.com)"'
        )
        body = {
            "username": "alice",
            "password": hashlib.md5(b"P@ssw0rd@Olares2025", usedforsecurity=False).hexdigest(),
            "keepMeLoggedIn": False,
            "requestMethod": "POST",
            "targetURL": "https://desktop.alice.olares.com",
            "acceptCookie": True,
        }
        resp = httpx.post(f"{url}/api/firstfactor?hideCookie=true", json=body, timeout=5, trust_env=False)
        assert resp.status_code == 200
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None
        assert proc.stderr.read() == ""
    assert lines.empty()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/olares-info", timeout=2, trust_env=False)


@pytest.mark.parametrize(
    ("argv", "secret"),
    [
        (["--user", "alice@olares.com"], None),
        (["--user", "alice@olares.com:pa:ss:word"], "pa:ss:word"),
        (["--user", "alice@olares.com:hunter2:not-base32!"], "hunter2"),
        (["--user", "alice@olares.com:hunter2:JBSWY3DP"], "hunter2"),
        (["--port", "x"], None),
        (["--bogus"], None),
    ],
)
def test_sim_usage_errors_return_2_without_echoing_secrets(
    argv: list[str], secret: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad arguments are a usage error (exit 2); a password in a bad --user is never echoed."""
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "usage: olares-auth-mcp sim" in err
    if secret is not None:
        assert secret not in err


def test_sim_help_documents_the_user_format_and_returns_0(capsys: pytest.CaptureFixture[str]) -> None:
    """--help explains ID:PASSWORD[:TOTP_SECRET] and that the password must not contain ':'."""
    assert main(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "ID:PASSWORD:TOTP_SECRET" in out
    assert "must not contain ':'" in out


def test_sim_bind_failure_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A port that cannot be bound exits 1 with an Error: line."""
    assert main(["--host", "256.0.0.1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ")
    assert err.count("\n") == 1
