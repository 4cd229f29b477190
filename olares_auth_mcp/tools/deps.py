"""What the tools run against: the process's one ``Runtime`` and the settings only a server has.

``server/`` builds one ``Deps`` at start-up (``Deps.configured``) and injects it; the tools read
the runtime's parts under the names they always had (``deps.account``, ``deps.vault``, …).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from olares_auth_mcp.auth.audit import AuditLog
from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Clock, Runtime
from olares_auth_mcp.auth.vault import TokenVault

if TYPE_CHECKING:
    from olares_auth_mcp.auth.account import Account
    from olares_auth_mcp.auth.wire import HttpFactory

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
    """The runtime (shared with everything else in the process) and the server's own settings."""

    runtime: Runtime
    login_timeout: float = 300.0
    max_logins: int = 4
    login_clock: Callable[[], float] = time.monotonic
    transport: Transport = "stdio"
    elicitation_timeout: float = 120.0  # a question to the human (form or URL elicitation) that gets no answer
    confirm_wait: float = 45.0  # how long one tool call waits for a browser confirmation (under a 60 s client timeout)

    @classmethod
    def configured(cls, runtime: Runtime, *, transport: Transport = "stdio") -> Deps:
        """The settings the operator put in the runtime's environment (timeouts, clamped), on ``runtime``."""
        return cls(
            runtime=runtime,
            login_timeout=_seconds(runtime.env, LOGIN_TIMEOUT_ENV, 300.0, 1.0, 3600.0),
            elicitation_timeout=_seconds(runtime.env, ELICITATION_TIMEOUT_ENV, 120.0, 1.0, 3600.0),
            transport=transport,
        )

    def with_env(self, env: Mapping[str, str]) -> Deps:
        """These settings on a runtime with another environment (its account made again for it)."""
        return replace(self, runtime=self.runtime.replaced(env=env))

    @property
    def on_humans_machine(self) -> bool:
        """stdio or a loopback HTTP bind: a browser this server opens is the human's."""
        return self.transport != "remote-http"

    # The runtime's parts, by the names the tools use.

    @property
    def paths(self) -> Paths:
        return self.runtime.paths

    @property
    def vault(self) -> TokenVault:
        return self.runtime.vault

    @property
    def http(self) -> HttpFactory:
        return self.runtime.http

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @property
    def env(self) -> Mapping[str, str]:
        return self.runtime.env

    @property
    def store(self) -> ConfigStore:
        return self.runtime.store

    @property
    def audit(self) -> AuditLog:
        return self.runtime.audit

    @property
    def account(self) -> Account:
        return self.runtime.account
