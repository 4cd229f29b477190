"""The one runtime a process runs against, built once by its entry point and injected everywhere below.

``Runtime.from_env(env)`` is the factory every entry point uses: the stdio and HTTP servers
(``server/main.py``), the CLI (``cli/``) and so the login child, which is our CLI. A runtime holds
the inputs (paths, vault, HTTP client factory, clock, environment) and what is derived from them
once: the config store, the audit log and the ``Account``. Tests build one with ``Runtime.build``.

The account is made on first use, once: building it loads the HTTP stack (httpx, ssl), which the
local CLI verbs (``profile list``, ``use``, ``remove``) never need. The default HTTP factory loads
it on its first call for the same reason.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from olares_auth_mcp.auth.audit import AuditLog
from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import TokenVault, default_vault

if TYPE_CHECKING:
    import httpx

    from olares_auth_mcp.auth.account import Account
    from olares_auth_mcp.auth.wire import HttpFactory

__all__ = ["Clock", "Runtime", "default_http"]

Clock = Callable[[], float]
"""Wall-clock seconds since the epoch (``time.time``); tests pass a fixed one."""

T = TypeVar("T")


def default_http(*, insecure: bool = False, timeout: float = 30.0, auth: httpx.Auth | None = None) -> httpx.Client:
    """``wire.default_http_factory``, imported on the first call (an ``HttpFactory``)."""
    from olares_auth_mcp.auth.wire import default_http_factory

    return default_http_factory(insecure=insecure, timeout=timeout, auth=auth)


class _Once(Generic[T]):
    """The value ``make`` returns, made on the first ``get`` and only then, also when threads race for it."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._value: T | None = None

    def get(self) -> T:
        with self._lock:
            if self._value is None:
                self._value = self._make()
            return self._value


@dataclass(frozen=True)
class Runtime:
    """Paths, vault, HTTP client factory, clock and environment (the process's, never a model's), and
    the config store, audit log and account made from them. Make one with ``from_env`` or ``build``:
    ``dataclasses.replace`` would keep the old derived parts, ``replaced`` makes them again."""

    paths: Paths
    vault: TokenVault
    http: HttpFactory
    clock: Clock
    env: Mapping[str, str] = field(repr=False)  # the whole environment may hold tokens: never in a repr
    store: ConfigStore
    audit: AuditLog
    _account: _Once[Account] = field(repr=False, compare=False)

    @classmethod
    def build(
        cls,
        paths: Paths,
        vault: TokenVault,
        *,
        http: HttpFactory = default_http,
        clock: Clock = time.time,
        env: Mapping[str, str] | None = None,
        audit_path: Path | None = None,
    ) -> Runtime:
        """A runtime on these inputs; ``audit_path`` None keeps no audit log (tests that do not read it)."""
        environment = dict(env or {})
        store = ConfigStore(paths)

        def account() -> Account:
            from olares_auth_mcp.auth.account import Account

            return Account(paths, vault, http, clock, environment, config_store=store)

        return cls(paths, vault, http, clock, environment, store, AuditLog(audit_path), _Once(account))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Runtime:
        """The runtime of this process: paths resolved from ``env`` (default ``os.environ``) as olares-cli
        resolves them, the platform's vault, the real clock and HTTP, the audit log in the config home."""
        environment = dict(os.environ if env is None else env)
        paths = Paths.resolve(environment)
        return cls.build(paths, default_vault(paths), env=environment, audit_path=paths.audit_log)

    @property
    def account(self) -> Account:
        """Operations on profiles that talk to Olares; one per runtime, on this runtime's config store."""
        return self._account.get()

    def replaced(
        self,
        *,
        vault: TokenVault | None = None,
        http: HttpFactory | None = None,
        clock: Clock | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Runtime:
        """This runtime with some inputs changed and a new store, audit log and account made from them."""
        return Runtime.build(
            self.paths,
            self.vault if vault is None else vault,
            http=self.http if http is None else http,
            clock=self.clock if clock is None else clock,
            env=self.env if env is None else env,
            audit_path=self.audit.path,
        )
