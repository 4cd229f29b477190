"""Make a login program's text safe to hand on: no escapes, no invisible characters, bounded length.

What a login program prints is not ours: olares-cli quotes server messages in its
``Error:`` lines, and a hostile server or Olares ID can put terminal escapes, bidi
overrides, zero-width characters or a megabyte of text there. Everything the relay
exposes (prompt, error, output) passes through ``untrusted_text`` first. Every step
here is linear in the input, and the input is cut to a bound before any pattern runs.
"""

from __future__ import annotations

from typing import Final

from olares_auth_mcp.auth.untrusted import visible_text

__all__ = ["ELLIPSIS", "untrusted_text"]

ELLIPSIS: Final = "…"
_SLACK: Final = 4  # read this many times the limit before cleaning: escapes and invisibles shrink it


def untrusted_text(text: str, limit: int, *, multiline: bool = False, keep: str = "head") -> str:
    """``text`` without escape sequences or invisible characters, at most ``limit`` characters.

    What is removed is the one rule for untrusted text (``auth.untrusted.visible_text``).
    ``multiline`` keeps line breaks (``\\n``) and tabs; otherwise every line break or tab
    becomes a space. ``keep="tail"`` keeps the end of a long text instead of its start.
    A shortened text is marked with ``…`` at the cut.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    window = limit * _SLACK
    if len(text) > window:
        text = text[-window:] if keep == "tail" else text[:window]
    clean = visible_text(text, lines=multiline)
    if len(clean) <= limit:
        return clean
    if keep == "tail":
        return ELLIPSIS + clean[-(limit - 1) :]
    return clean[: limit - 1] + ELLIPSIS
