"""The auth library: olares-cli's profiles, tokens and login on its own on-disk state, with no MCP in it.

``Paths.resolve`` finds where olares-cli keeps its state in the environment that
``Runtime.from_env`` read (the library's one reader of ``os.environ``); ``ConfigStore`` and a
``TokenVault`` (``default_vault``) hold the profiles and their tokens; ``Account`` logs in,
refreshes, imports and asks who is logged in. ``Runtime`` is the one object each entry point builds
(``Runtime.from_env``) and injects: paths, vault, HTTP factory, clock, environment, and the store,
audit log and account made from them; ``assess`` is the readiness gate. Every error raised on
purpose is an ``AuthError``. The names load lazily, so importing one light module of the package (as
``profile list`` does) never loads the HTTP stack; this package never imports ``mcp``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from olares_auth_mcp._lazy import lazy_exports

if TYPE_CHECKING:
    from olares_auth_mcp.auth.account import Account
    from olares_auth_mcp.auth.audit import AuditLog
    from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
    from olares_auth_mcp.auth.errors import AuthError
    from olares_auth_mcp.auth.olares_id import OlaresID
    from olares_auth_mcp.auth.paths import Paths
    from olares_auth_mcp.auth.readiness import Readiness, assess
    from olares_auth_mcp.auth.runtime import Runtime
    from olares_auth_mcp.auth.status import Status
    from olares_auth_mcp.auth.table import render_table
    from olares_auth_mcp.auth.vault import TokenVault, default_vault

__all__ = [
    "Account",
    "AuditLog",
    "AuthError",
    "Config",
    "ConfigStore",
    "OlaresID",
    "Paths",
    "Profile",
    "Readiness",
    "Runtime",
    "Status",
    "TokenVault",
    "assess",
    "default_vault",
    "render_table",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".account": ("Account",),
        ".audit": ("AuditLog",),
        ".config": ("Config", "ConfigStore", "Profile"),
        ".errors": ("AuthError",),
        ".olares_id": ("OlaresID",),
        ".paths": ("Paths",),
        ".readiness": ("Readiness", "assess"),
        ".runtime": ("Runtime",),
        ".status": ("Status",),
        ".table": ("render_table",),
        ".vault": ("TokenVault", "default_vault"),
    },
)
