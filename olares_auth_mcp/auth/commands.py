"""The commands our hints print: the CLI that is installed, with every token kept out of argv.

One rule for the readiness gate's ``next_action``, the error catalogue's fixes and the doctor's fixes:
name ``olares-cli`` when it is on the server's ``PATH``, else this package's own ``olares-auth-mcp``
(which has the same ``profile`` commands). An import never puts the refresh token itself on a command
line: ours reads it with ``--refresh-token-env NAME``; olares-cli has no such flag, so its command takes
the token from the variable (``--refresh-token "$OLARES_REFRESH_TOKEN"``), never a pasted value.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable, Mapping
from typing import Final

__all__ = [
    "IMPORT_ENV",
    "OLARES_CLI",
    "OURS",
    "CliName",
    "cli_name",
    "import_command",
    "installed_cli",
    "login_command",
]

OLARES_CLI: Final = "olares-cli"
OURS: Final = "olares-auth-mcp"
IMPORT_ENV: Final = "OLARES_REFRESH_TOKEN"
"""The variable an import reads by default (``auth.boundary.DEFAULT_IMPORT_ENV``)."""


CliName = str | Callable[[], str]
"""The CLI a suggested command names: the name itself, or how to find it (``installed_cli``), asked only
when a command is named. A gate that lets the agent proceed names none, and so searches ``PATH`` for nothing."""


def cli_name(cli: CliName) -> str:
    return cli if isinstance(cli, str) else cli()


def installed_cli(env: Mapping[str, str]) -> str:
    """``olares-cli`` when it is on ``env``'s ``PATH`` (the server's environment), else ``olares-auth-mcp``.

    No ``PATH`` means none is searched (the process's own is not consulted): the answer depends on the
    environment the caller was given, nothing else.
    """
    path = env.get("PATH", "")
    return OLARES_CLI if path and shutil.which(OLARES_CLI, path=path) else OURS


def login_command(cli: str, olares_id: str) -> str:
    """``<cli> profile login --olares-id <id>``, the ID as one shell word."""
    return f"{cli} profile login --olares-id {shlex.quote(olares_id)}"


def import_command(cli: str, olares_id: str, env_name: str = IMPORT_ENV) -> str:
    """An import that reads the refresh token from ``env_name``: never the token itself in argv."""
    if cli == OLARES_CLI:
        return f'{cli} profile import --olares-id {shlex.quote(olares_id)} --refresh-token "${env_name}"'
    return f"{cli} profile import --olares-id {shlex.quote(olares_id)} --refresh-token-env {env_name}"
