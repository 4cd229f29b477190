"""Opening the one-time page in the human's browser: only where a browser can appear, never into stdout."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import pytest

from olares_auth_mcp.login.browser import BrowserOpener, browser_available

URL = "http://127.0.0.1:4567/olares-login/abc"


def fake_browser(tmp_path: Path, body: str = "") -> tuple[Path, Path]:
    """A $BROWSER that records the URL it was given and prints noise on stdout, as launchers do."""
    seen = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\necho "launcher noise on stdout"\necho "$1" >> {seen}\n{body}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, seen


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({}, "darwin", True),
        ({}, "win32", True),
        ({"DISPLAY": ":0", "OLARES_AUTH_MCP_OPEN_BROWSER": "0"}, "linux", False),
        ({"OLARES_AUTH_MCP_OPEN_BROWSER": "off"}, "darwin", False),
    ],
)
def test_where_a_browser_may_be_opened(env: dict[str, str], platform: str, expected: bool) -> None:
    assert browser_available(env, platform) is expected


def test_open_uses_browser_and_keeps_stdout_clean(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    script, seen = fake_browser(tmp_path)
    opener = BrowserOpener({"PATH": os.environ["PATH"], "DISPLAY": ":99", "BROWSER": str(script)}, platform="linux")
    assert opener.open(URL) is True
    assert seen.read_text().strip() == URL
    out, err = capfd.readouterr()
    assert "launcher noise" not in out and "launcher noise" not in err


def test_nothing_is_opened_without_a_display_or_for_a_non_loopback_url(tmp_path: Path) -> None:
    script, seen = fake_browser(tmp_path)
    headless = BrowserOpener({"PATH": os.environ["PATH"], "BROWSER": str(script)}, platform="linux")
    assert headless.open(URL) is False
    shown = BrowserOpener({"PATH": os.environ["PATH"], "DISPLAY": ":99", "BROWSER": str(script)}, platform="linux")
    assert shown.open("https://evil.example/phish") is False
    assert shown.open("http://127.0.0.1.evil.example:80/x") is False
    assert not seen.exists()


def test_a_launcher_that_fails_or_hangs_is_not_counted_as_opened(tmp_path: Path) -> None:
    failing, _ = fake_browser(tmp_path, "exit 3")
    empty = tmp_path / "empty-path"
    empty.mkdir()
    env = {"PATH": str(empty), "DISPLAY": ":99"}  # no other browser for webbrowser to fall back to
    assert BrowserOpener({**env, "BROWSER": str(failing)}, platform="linux").open(URL) is False
    hanging = tmp_path / "hang.sh"
    hanging.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import time; time.sleep(30)'\n")
    hanging.chmod(0o755)
    started = time.monotonic()
    assert BrowserOpener({**env, "BROWSER": str(hanging)}, platform="linux", timeout=1.0).open(URL) is False
    assert time.monotonic() - started < 10
