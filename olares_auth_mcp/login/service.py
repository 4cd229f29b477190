"""Everything a server needs to run interactive logins: the manager, the page and the login command.

The page is served lazily (first ``start_login``) on 127.0.0.1 and a random port in stdio
mode, or mounted on the host app in HTTP mode. The login program is our own
``profile login`` by default; ``OLARES_AUTH_MCP_LOGIN_COMMAND`` (a shell-split argv prefix,
e.g. ``olares-cli profile login``) swaps in the real olares-cli.

The login child gets an allow-listed environment (``child_env``): what a CLI needs to find
its files, talk through the operator's proxy and CA settings, and print in the right locale —
never the server's other variables (API keys, database URLs, tokens). An operator who runs a
login program that needs more names lists them in ``OLARES_AUTH_MCP_LOGIN_ENV``.
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

from olares_auth_mcp.auth.olares_id import SERVICE_URL_ENV
from olares_auth_mcp.auth.profiles import ProfileFlags
from olares_auth_mcp.login.manager import LoginManager
from olares_auth_mcp.login.page import SecretPageRegistry, build_secret_page_app
from olares_auth_mcp.login.page_server import SecretPageServer

__all__ = ["CHILD_ENV_NAMES", "LOGIN_COMMAND_ENV", "LOGIN_ENV_ENV", "LoginService", "flag_argv"]

LOGIN_COMMAND_ENV: Final = "OLARES_AUTH_MCP_LOGIN_COMMAND"
LOGIN_ENV_ENV: Final = "OLARES_AUTH_MCP_LOGIN_ENV"  # extra names (comma-separated) the operator passes on
# The names a login child may inherit (exact, case-sensitive), and the name patterns.
CHILD_ENV_NAMES: Final = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TERM",
        "TZ",
        "TMPDIR",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "PYTHONPATH",  # our own CLI, run from a source checkout
        SERVICE_URL_ENV,  # the test rig's redirect, which the login must follow too
    }
)
_CHILD_ENV_PATTERN: Final = re.compile(r"OLARES_CLI_[A-Z0-9_]+|LC_[A-Z]+|(?i:(?:https?|no|all)_proxy)")


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


def _child_may_inherit(name: str) -> bool:
    return name in CHILD_ENV_NAMES or _CHILD_ENV_PATTERN.fullmatch(name) is not None


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
        """The allow-listed part of the server's environment, pointed at the same home.

        Passed on: ``CHILD_ENV_NAMES``, ``OLARES_CLI_*``, ``LC_*`` and proxy settings (any case),
        plus the names listed in ``OLARES_AUTH_MCP_LOGIN_ENV``; nothing else.
        """
        extra = {name.strip() for name in self.env.get(LOGIN_ENV_ENV, "").split(",") if name.strip()}
        env = {k: v for k, v in self.env.items() if k in extra or _child_may_inherit(k)}
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
