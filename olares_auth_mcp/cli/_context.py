"""What a CLI invocation runs against: paths from the environment, the platform vault, the clock."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault import TokenVault, default_vault

__all__ = ["CliContext"]


@dataclass(frozen=True)
class CliContext:
    paths: Paths
    vault: TokenVault
    env: Mapping[str, str]
    clock: Callable[[], float] = time.time
    store: ConfigStore = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "store", ConfigStore(self.paths))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CliContext:
        env = dict(os.environ if env is None else env)
        paths = Paths.resolve(env)
        return cls(paths=paths, vault=default_vault(paths), env=env)
