"""Where olares-cli keeps its state, resolved once into a frozen value.
Upstream: beclab/Olares `cli/pkg/cliconfig/paths.go`, `cli/pkg/auth/token_store.go`.

``Paths.resolve(env)`` is the only place that reads the environment; everything
below it takes a ``Paths``. Tests build ``Paths(home=…, keychain_dir=…)``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Paths"]

SERVICE = "olares-cli"


def _home_from_env(env: Mapping[str, str]) -> str | None:
    # Go's os.UserHomeDir: $HOME on unix, %USERPROFILE% on Windows; empty means unresolvable.
    key = "USERPROFILE" if sys.platform == "win32" else "HOME"
    return env.get(key) or None


def _config_home(env: Mapping[str, str], user_home: str | None) -> Path:
    if env.get("OLARES_CLI_HOME"):
        return Path(env["OLARES_CLI_HOME"])  # used exactly as given, no absolute-path check
    if env.get("OLARES_CLI_CACHE_DIR"):
        return Path(env["OLARES_CLI_CACHE_DIR"]) / "config"
    return Path(user_home or ".") / ".olares-cli"


def _absolute_clean(value: str | None) -> Path | None:
    if not value:
        return None
    cleaned = os.path.normpath(value)
    return Path(cleaned) if os.path.isabs(cleaned) else None


def _keychain_dir(env: Mapping[str, str], user_home: str | None, platform: str) -> tuple[Path, str | None]:
    """The token-blob directory and, when the home fallback applies, the warning olares-cli prints."""
    if platform == "darwin":
        if user_home:
            return Path(user_home) / "Library" / "Application Support" / SERVICE, None
    else:
        data = _absolute_clean(env.get("OLARES_CLI_DATA_DIR"))
        if data is not None:
            return data / SERVICE, None
        cache = _absolute_clean(env.get("OLARES_CLI_CACHE_DIR"))
        if cache is not None:
            return cache / "keychain" / SERVICE, None
        if user_home:
            return Path(user_home) / ".local" / "share" / SERVICE, None
    tmp = env.get("TMPDIR") or "/tmp"  # noqa: S108 - olares-cli's own last-resort location
    fallback = Path(tmp) / SERVICE / "keychain" / SERVICE
    return fallback, (
        f"warning: home directory unresolvable ($HOME is not defined); using fallback keychain dir {fallback}"
    )


@dataclass(frozen=True)
class Paths:
    """The config home (config.json, locks/) and the token-blob directory."""

    home: Path
    keychain_dir: Path
    platform: str = field(default=sys.platform)
    warning: str | None = None

    @classmethod
    def resolve(cls, env: Mapping[str, str], *, platform: str | None = None) -> Paths:
        """Resolve like olares-cli: ``OLARES_CLI_HOME`` → ``$OLARES_CLI_CACHE_DIR/config`` → ``~/.olares-cli``.

        ``env`` is the process environment as ``Runtime.from_env`` read it (the library's one reader).
        """
        platform = sys.platform if platform is None else platform
        user_home = _home_from_env(env)
        keychain_dir, warning = _keychain_dir(env, user_home, platform)
        return cls(home=_config_home(env, user_home), keychain_dir=keychain_dir, platform=platform, warning=warning)

    @property
    def data_dir(self) -> Path | None:
        """The directory ``OLARES_CLI_DATA_DIR`` names for these blobs: off macOS olares-cli keeps them in
        ``<data dir>/olares-cli`` (the variable, ``$OLARES_CLI_CACHE_DIR/keychain``, ``~/.local/share`` or the
        temp fallback), so a child process given it finds the same ones. None on macOS, which ignores the
        variable, and for a hand-built ``Paths`` whose blob directory is not named ``olares-cli``."""
        if self.platform == "darwin" or self.keychain_dir.name != SERVICE:
            return None
        return self.keychain_dir.parent

    @property
    def config_file(self) -> Path:
        return self.home / "config.json"

    @property
    def locks(self) -> Path:
        return self.home / "locks"

    @property
    def config_lock(self) -> Path:
        return self.locks / "config.lock"

    @property
    def legacy_tokens_file(self) -> Path:
        """Phase-1 plaintext store: never read for tokens, never deleted (docs/compatibility.md)."""
        return self.home / "tokens.json"

    @property
    def audit_log(self) -> Path:
        """Ours alone: one JSON line per MCP tool call, secrets redacted."""
        return self.home / "olares-auth-mcp-audit.jsonl"

    def refresh_lock(self, olares_id: str) -> Path:
        return self.locks / f"{sanitize_lock_name(olares_id)}.refresh.lock"


_LOCK_UNSAFE = frozenset('/\\:*?"<>|')


def sanitize_lock_name(olares_id: str) -> str:
    """olares-cli ``lockfile.sanitize``: path and control characters become ``_``; ``@`` and ``.`` stay."""
    if olares_id == "":
        return "_"
    return "".join("_" if ch in _LOCK_UNSAFE or ord(ch) < 0x20 else ch for ch in olares_id)
