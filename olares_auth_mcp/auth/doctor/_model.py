"""What a doctor run returns: findings, each with one fix when something is wrong, and the options it ran with."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Final, Literal

from olares_auth_mcp.auth.refresh import REFRESH_TIMEOUT

__all__ = ["Audience", "DoctorOptions", "DoctorReport", "Finding", "FindingStatus", "clean", "escape"]

FindingStatus = Literal["ok", "warn", "fail", "skipped"]
Audience = Literal["agent", "human"]
"""Who reads the fixes: an agent gets tool calls (``start_login(…)``), a human in a terminal gets commands."""

_UNSAFE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
DETAIL_LIMIT: Final = 400


def clean(text: str, limit: int = DETAIL_LIMIT) -> str:
    """One line of untrusted or OS text: control, bidi and zero-width characters become spaces; capped."""
    flat = _UNSAFE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def escape(text: str) -> str:
    """A name from a file (an Olares ID, an alias) shown exactly but harmlessly: every non-printable
    character (control, bidi, zero-width) as its escape, so it can neither drive a terminal nor hide."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


@dataclass(frozen=True)
class Finding:
    """One check's verdict. ``fix`` is present exactly for ``warn`` and ``fail`` (enforced here)."""

    check: str
    status: FindingStatus
    detail: str
    fix: str | None = None

    def __post_init__(self) -> None:
        needs_fix = self.status in ("warn", "fail")
        if needs_fix != bool(self.fix):
            raise ValueError(f"finding {self.check}: status {self.status} {'needs' if needs_fix else 'takes no'} fix")

    def to_json(self) -> dict[str, object]:
        return {"check": self.check, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True)
class DoctorReport:
    findings: list[Finding]
    live: bool
    profile: str | None = None
    """The profile the live checks ran on (its display name), when they ran."""
    session: dict[str, object] | None = None
    """What the MCP client declared and the routes that follow (None outside an MCP session)."""

    @property
    def summary(self) -> dict[str, int]:
        counts = {"ok": 0, "warn": 0, "fail": 0, "skipped": 0}
        for finding in self.findings:
            counts[finding.status] += 1
        return counts

    @property
    def healthy(self) -> bool:
        return not any(f.status == "fail" for f in self.findings)

    def to_json(self) -> dict[str, object]:
        return {
            "healthy": self.healthy,
            "summary": self.summary,
            "live": self.live,
            "profile": self.profile,
            "session": self.session,
            "findings": [f.to_json() for f in self.findings],
        }


def _default_uid() -> int:
    getuid = getattr(os, "getuid", None)
    return getuid() if getuid is not None else -1


@dataclass(frozen=True)
class DoctorOptions:
    """Bounds and identities the checks use; tests shorten the waits and name another uid."""

    net_timeout: float = 3.0
    """Each DNS lookup, TCP connect and TLS probe; the grant check uses the normal refresh bounds."""
    cli_timeout: float = 3.0
    """How long ``olares-cli --version`` may take."""
    lock_wait: float = REFRESH_TIMEOUT + 5.0
    """A lock still held after this long is held longer than a refresh can take (timeout plus the write)."""
    skew_warn: float = 60.0
    """Clock skew (seconds) worth a warning even when it flips no STATUS right now."""
    cert_warn_days: int = 14
    uid: int = field(default_factory=_default_uid)
    platform: str = sys.platform
    cli: str = ""
    """The CLI a human's fix names; empty: the one installed (``auth.commands.installed_cli`` of the server's env)."""
