"""The audit log: one JSON line per MCP tool call, under the config home, mode 0600.

Lines carry the time, tool, profile, outcome and the arguments *after* redaction;
refused arguments are replaced by a marker, never written. Each string is cut to
``MAX_VALUE_CHARS``, and the file is rotated to ``<name>.1`` once it passes
``MAX_LOG_BYTES``. The file is opened without following a symlink and written only
when it is a regular file owned by this user; anything else skips the line (the
call's own outcome is still returned).
"""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from olares_auth_mcp.auth._fs import make_private_dirs

__all__ = ["MAX_LOG_BYTES", "MAX_VALUE_CHARS", "AuditLog"]

MAX_VALUE_CHARS: Final = 512
MAX_LOG_BYTES: Final = 5 * 1024 * 1024
_MAX_DEPTH: Final = 8
_MAX_ITEMS: Final = 64
_OPEN_FLAGS: Final = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK


def _cut(value: Any, depth: int = 0) -> Any:
    """``value`` with every string cut to ``MAX_VALUE_CHARS`` and containers bounded in depth and length."""
    if isinstance(value, str):
        return value if len(value) <= MAX_VALUE_CHARS else f"{value[:MAX_VALUE_CHARS]}…[{len(value)} chars]"
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth >= _MAX_DEPTH:
        return "[nested]"
    if isinstance(value, dict):
        items = list(value.items())
        cut = {_cut(str(k)): _cut(v, depth + 1) for k, v in items[:_MAX_ITEMS]}
        if len(items) > _MAX_ITEMS:
            cut["…"] = f"[{len(items) - _MAX_ITEMS} more]"
        return cut
    if isinstance(value, list | tuple):
        cut_list = [_cut(v, depth + 1) for v in value[:_MAX_ITEMS]]
        if len(value) > _MAX_ITEMS:
            cut_list.append(f"[{len(value) - _MAX_ITEMS} more]")
        return cut_list
    return _cut(repr(value), depth)


class AuditLog:
    def __init__(self, path: Path | None, *, max_bytes: int = MAX_LOG_BYTES) -> None:
        """``path`` None disables the log (tests that do not look at it, benchmarks)."""
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def record(self, *, tool: str, profile: str | None, outcome: str, arguments: dict[str, Any], now: float) -> None:
        if self.path is None:
            return
        line = json.dumps(
            {
                "time": datetime.fromtimestamp(now, tz=UTC).isoformat(timespec="milliseconds"),
                "tool": _cut(tool),
                "profile": _cut(profile),
                "outcome": _cut(outcome),
                "arguments": _cut(arguments),
            },
            ensure_ascii=False,
            sort_keys=False,
        )
        data = (line + "\n").encode("utf-8")
        with self._lock:
            try:
                try:
                    self._append(self.path, data)
                except FileNotFoundError:  # the first line: the directory is made only then, not checked per call
                    make_private_dirs(self.path.parent)
                    self._append(self.path, data)
            except OSError:
                pass  # the audit log must never break a tool call; the call's own outcome is still returned

    def _append(self, path: Path, data: bytes) -> None:
        for attempt in range(2):
            fd = os.open(path, _OPEN_FLAGS, 0o600)  # O_NOFOLLOW: a symlink planted here fails (ELOOP)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
                    return  # a FIFO, a device or someone else's file: write nothing there
                if attempt == 0 and st.st_size > 0 and st.st_size + len(data) > self.max_bytes:
                    os.replace(path, path.with_name(path.name + ".1"))  # renames the entry, never follows it
                    continue  # and start a fresh file
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                return
            finally:
                os.close(fd)
