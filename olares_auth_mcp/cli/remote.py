"""Commands that talk to Olares: login, import, whoami, list --refresh-version (filled in with the HTTP layer)."""

from __future__ import annotations

from olares_auth_mcp.auth.errors import UsageError
from olares_auth_mcp.cli._context import CliContext

__all__ = ["cmd_import", "cmd_login", "cmd_whoami", "refresh_version_warning"]


def refresh_version_warning(ctx: CliContext) -> str | None:
    return "warning: could not refresh backend version for the current profile: not available in this build"


def cmd_login(ctx: CliContext, argv: list[str]) -> int:
    raise UsageError("profile login is not available in this build")


cmd_import = cmd_whoami = cmd_login
