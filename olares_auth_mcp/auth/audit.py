"""The audit log: one JSON line per MCP tool call, under the config home, mode 0600.

Lines carry the time, tool, profile, outcome and the arguments *after* redaction;
refused arguments are replaced by a marker, never written.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from olares_auth_mcp.auth._fs import make_private_dirs

__all__ = ["AuditLog"]


class AuditLog:
    def __init__(self, path: Path | None) -> None:
        """``path`` None disables the log (tests that do not look at it, benchmarks)."""
        self.path = path
        self._lock = threading.Lock()

    def record(self, *, tool: str, profile: str | None, outcome: str, arguments: dict[str, Any], now: float) -> None:
        if self.path is None:
            return
        line = json.dumps(
            {
                "time": datetime.fromtimestamp(now, tz=UTC).isoformat(timespec="milliseconds"),
                "tool": tool,
                "profile": profile,
                "outcome": outcome,
                "arguments": arguments,
            },
            ensure_ascii=False,
            sort_keys=False,
        )
        with self._lock:
            try:
                make_private_dirs(self.path.parent)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    os.write(fd, (line + "\n").encode("utf-8"))
                finally:
                    os.close(fd)
            except OSError:
                pass  # the audit log must never break a tool call; the call's own outcome is still returned
