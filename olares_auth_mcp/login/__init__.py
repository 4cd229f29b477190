"""Interactive ``profile login`` for a human, without the password passing through the agent.

``LoginManager`` runs the login program in a pty (``relay``) and parks it at its
password prompt; ``SecretPageRegistry`` hands out a one-time loopback URL whose
page (``build_secret_page_app``, served by ``SecretPageServer`` or mounted in a
host app) writes what the human types straight into that pty.

This package never imports ``mcp``: the MCP tools that use it live in ``tools``.
"""

from __future__ import annotations

from olares_auth_mcp.login.errors import (
    EchoNotDisabled,
    InvalidCode,
    InvalidSecret,
    LoginError,
    LoginNotFound,
    LoginSpawnError,
    LoginStateError,
    PageUnavailable,
    TooManyLogins,
)
from olares_auth_mcp.login.manager import LoginManager, LoginSession, LoginView, SecretKind
from olares_auth_mcp.login.page import (
    PAGE_PATH,
    SECURITY_HEADERS,
    PageBackend,
    SecretPageRegistry,
    build_secret_page_app,
)
from olares_auth_mcp.login.page_server import SecretPageServer
from olares_auth_mcp.login.relay import PROMPTS, LoginProcess, LoginState, match_prompt, spawn_login

__all__ = [
    "PAGE_PATH",
    "PROMPTS",
    "SECURITY_HEADERS",
    "EchoNotDisabled",
    "InvalidCode",
    "InvalidSecret",
    "LoginError",
    "LoginManager",
    "LoginNotFound",
    "LoginProcess",
    "LoginSession",
    "LoginSpawnError",
    "LoginState",
    "LoginStateError",
    "LoginView",
    "PageBackend",
    "PageUnavailable",
    "SecretKind",
    "SecretPageRegistry",
    "SecretPageServer",
    "TooManyLogins",
    "build_secret_page_app",
    "match_prompt",
    "spawn_login",
]
