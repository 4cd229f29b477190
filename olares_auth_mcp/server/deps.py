"""Everything the server depends on, built once at start-up and injected (no module-level state)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.audit import AuditLog
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import TokenVault, default_vault
from olares_auth_mcp.auth.wire import HttpFactory, default_http_factory

__all__ = ["ELICITATION_TIMEOUT_ENV", "LOGIN_TIMEOUT_ENV", "Deps", "Transport"]

LOGIN_TIMEOUT_ENV = "OLARES_AUTH_MCP_LOGIN_TIMEOUT"  # seconds a login session lives (default 300)
ELICITATION_TIMEOUT_ENV = "OLARES_AUTH_MCP_ELICITATION_TIMEOUT"  # seconds a question to the human waits (120)
Transport = Literal["stdio", "loopback-http", "remote-http"]
"""How clients reach this server: stdio and a loopback HTTP bind mean the server runs on the human's machine."""


def _seconds(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(env.get(name, "") or default)
    except ValueError:
        value = default
    return min(max(value, low), high)


@dataclass(frozen=True)
class Deps:
    """Paths, vault, HTTP client factory, clock and environment (the server's, never the model's)."""

    paths: Paths
    vault: TokenVault
    http: HttpFactory = default_http_factory
    clock: Callable[[], float] = time.time
    env: Mapping[str, str] = field(default_factory=dict)
    audit_path: Path | None = None
    login_timeout: float = 300.0
    max_logins: int = 4
    login_clock: Callable[[], float] = time.monotonic
    transport: Transport = "stdio"
    elicitation_timeout: float = 120.0  # a question to the human (form or URL elicitation) that gets no answer
    confirm_wait: float = 45.0  # how long one tool call waits for a browser confirmation (under a 60 s client timeout)
    account: Account = field(init=False)
    audit: AuditLog = field(init=False)

    def __post_init__(self) -> None:
        account = Account(self.paths, self.vault, self.http, self.clock, self.env)
        object.__setattr__(self, "account", account)
        object.__setattr__(self, "audit", AuditLog(self.audit_path))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Deps:
        env = dict(os.environ if env is None else env)
        paths = Paths.resolve(env)
        return cls(
            paths=paths,
            vault=default_vault(paths),
            env=env,
            audit_path=paths.audit_log,
            login_timeout=_seconds(env, LOGIN_TIMEOUT_ENV, 300.0, 1.0, 3600.0),
            elicitation_timeout=_seconds(env, ELICITATION_TIMEOUT_ENV, 120.0, 1.0, 3600.0),
        )

    @property
    def on_humans_machine(self) -> bool:
        """stdio or a loopback HTTP bind: a browser this server opens is the human's."""
        return self.transport != "remote-http"
