"""Everything a server needs to run interactive logins: the manager, the page and the login command.

The page is served lazily (first ``start_login``) on 127.0.0.1 and a random port in stdio
mode, or mounted on the host app in HTTP mode. The login program is our own
``profile login`` by default; ``OLARES_AUTH_MCP_LOGIN_COMMAND`` (a shell-split argv prefix,
e.g. ``olares-cli profile login``) swaps in the real olares-cli.
"""

from __future__ import annotations

import re
import shlex
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from olares_auth_mcp.auth.profiles import ProfileFlags
from olares_auth_mcp.login.manager import LoginManager
from olares_auth_mcp.login.page import SecretPageRegistry, build_secret_page_app
from olares_auth_mcp.login.page_server import SecretPageServer

__all__ = ["LOGIN_COMMAND_ENV", "LoginService", "flag_argv"]

LOGIN_COMMAND_ENV: Final = "OLARES_AUTH_MCP_LOGIN_COMMAND"
# Secrets the server may hold in its environment that a login child never needs.
_SECRET_NAME: Final = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL", re.IGNORECASE)


def flag_argv(flags: ProfileFlags, *, no_switch: bool) -> list[str]:
    """The login flags as ``--flag=value``, so a value can never be read as another flag."""
    out = [f"--olares-id={flags.olares_id}"]
    for flag, value in (
        ("--name", flags.name),
        ("--auth-url-override", flags.auth_url_override),
        ("--local-url-prefix", flags.local_url_prefix),
    ):
        if value:
            out.append(f"{flag}={value}")
    if flags.insecure_skip_verify:
        out.append("--insecure-skip-verify")
    if no_switch:
        out.append("--no-switch")
    return out


class LoginService:
    """One per server: starts logins in a pty and serves their one-time secret-entry pages."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        home: Path,
        data_dir: Path | None,
        redact: Callable[[str], str],
        ttl: float = 300.0,
        max_sessions: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.env = dict(env)
        self.home = home
        self.data_dir = data_dir
        self.manager = LoginManager(clock=clock, redact=redact, max_sessions=max_sessions, ttl=ttl)
        self.registry = SecretPageRegistry(self.manager)
        self._server: SecretPageServer | None = None
        self._lock = threading.Lock()

    def command(self) -> list[str]:
        prefix = self.env.get(LOGIN_COMMAND_ENV, "").strip()
        if prefix:
            return shlex.split(prefix)
        return [sys.executable, "-m", "olares_auth_mcp", "profile", "login"]

    def child_env(self) -> dict[str, str]:
        """The server's environment pointed at the same home, minus secrets the child does not need."""
        env = {k: v for k, v in self.env.items() if not _SECRET_NAME.search(k)}
        env["OLARES_CLI_HOME"] = str(self.home)
        if self.data_dir is not None:
            env["OLARES_CLI_DATA_DIR"] = str(self.data_dir)
        env.setdefault("TERM", "dumb")
        return env

    def argv(self, flags: ProfileFlags, *, no_switch: bool = False) -> list[str]:
        return [*self.command(), *flag_argv(flags, no_switch=no_switch)]

    def page_base_url(self) -> str:
        """The page's base URL, starting the loopback page server on first use (stdio mode)."""
        with self._lock:
            if self.registry.base_url is None:
                self._server = SecretPageServer(self.registry)
                self._server.start()
            base = self.registry.base_url
        assert base is not None  # noqa: S101 - start() sets it or raises
        return base

    def mount_app(self) -> object:
        """The page as an ASGI app, for HTTP mode to mount on its own loopback app."""
        return build_secret_page_app(self.registry)

    def close(self) -> None:
        self.manager.close()
        with self._lock:
            if self._server is not None:
                self._server.stop()
                self._server = None
