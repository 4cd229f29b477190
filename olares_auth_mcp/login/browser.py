"""Opening a loopback page in the human's own browser, for hosts that cannot show a URL themselves.

Most MCP hosts cannot take a URL-mode elicitation, so the one-time page (login or
confirmation) would otherwise have to pass through the model. When the server runs on the
human's machine, it opens the page itself with Python's ``webbrowser`` (``$BROWSER`` is
honoured). ``webbrowser`` runs in a short-lived child process whose stdout and stderr go to
``/dev/null``: a browser launcher that prints must never write into the stdio MCP channel.

Off with ``OLARES_AUTH_MCP_OPEN_BROWSER=0``; skipped where no browser can appear (Linux
without ``DISPLAY``/``WAYLAND_DISPLAY``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from typing import Final

__all__ = ["OPEN_BROWSER_ENV", "BrowserOpener", "browser_available"]

OPEN_BROWSER_ENV: Final = "OLARES_AUTH_MCP_OPEN_BROWSER"
_OFF: Final = frozenset({"0", "false", "no", "off"})
_OPEN: Final = "import sys, webbrowser; sys.exit(0 if webbrowser.open(sys.argv[1], new=2) else 1)"


def browser_available(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether this server may open a page in a browser on this machine (the setting, then a display)."""
    if env.get(OPEN_BROWSER_ENV, "").strip().lower() in _OFF:
        return False
    if platform in ("darwin", "win32"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


class BrowserOpener:
    """Opens loopback URLs in the default browser; ``open`` says whether a browser took the page."""

    def __init__(self, env: Mapping[str, str], *, platform: str = sys.platform, timeout: float = 10.0) -> None:
        self.env = dict(env)
        self.platform = platform
        self.timeout = timeout

    @property
    def available(self) -> bool:
        return browser_available(self.env, self.platform)

    def open(self, url: str) -> bool:
        """Open ``url`` (a ``http://127.0.0.1…`` or ``http://localhost…`` page only); bounded by ``timeout``."""
        if not self.available or not url.startswith(("http://127.0.0.1:", "http://localhost:", "http://[::1]:")):
            return False
        try:
            done = subprocess.run(
                [sys.executable, "-c", _OPEN, url],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=self.env,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0
