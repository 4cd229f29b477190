"""Everything the server depends on, built once at start-up and injected (no module-level state)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.audit import AuditLog
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import TokenVault, default_vault
from olares_auth_mcp.auth.wire import HttpFactory, default_http_factory

__all__ = ["LOGIN_TIMEOUT_ENV", "Deps"]

LOGIN_TIMEOUT_ENV = "OLARES_AUTH_MCP_LOGIN_TIMEOUT"  # seconds a login session lives (default 300)


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
        try:
            login_timeout = float(env.get(LOGIN_TIMEOUT_ENV, "") or 300.0)
        except ValueError:
            login_timeout = 300.0
        return cls(
            paths=paths,
            vault=default_vault(paths),
            env=env,
            audit_path=paths.audit_log,
            login_timeout=min(max(login_timeout, 1.0), 3600.0),
        )
