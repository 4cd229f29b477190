"""Text a server wrote is data, never instructions: cap it, strip what a terminal or a model would act on, label it.

Every string that comes from an Olares-like server (an error ``message``, an HTTP body quoted in an error,
``name``, ``owner_role``, ``osVersion``) goes through ``clean`` before it reaches a result or an error, and
is shown through ``said``: ``server said: "…"``, with inner quotes escaped so the quote cannot be closed
early. ``scrub`` takes out every echo of a value we sent in the request (a refresh token, the salted
password, a TOTP code, an access token), also when the server cut it into pieces or changed its case.

All of it is linear in the (already capped) input: no pattern here can backtrack.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

__all__ = ["MAX_SERVER_TEXT", "SAID", "clean", "is_plain_word", "said", "scrub", "strip_said", "visible_text"]

MAX_SERVER_TEXT: Final = 300
"""Characters kept of one server string (an error message, a name); the rest is cut with ``...(truncated)``."""
TRUNCATED: Final = "...(truncated)"
SAID: Final = "server said: "
REDACTED: Final = "[redacted]"

# Terminal control sequences: CSI (ESC [ or 8-bit 0x9b) and OSC / DCS / APC / PM / SOS strings up to their
# terminator. The classes exclude ESC/BEL/ST themselves, so every match attempt stops at the next one: linear.
_SEQUENCE: Final = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
_SPACE: Final = frozenset("\t\n\r\v\f\x85\u2028\u2029")
# Invisible characters that are not of category Cf but hide or smuggle text (variation selectors, fillers).
_INVISIBLE: Final = frozenset(
    [chr(c) for c in range(0xFE00, 0xFE10)]
    + [chr(c) for c in range(0xE0100, 0xE01F0)]
    + ["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u17b4", "\u17b5"]
)
_QUOTED: Final = re.compile(r'server said: "(?:[^"\\]|\\.)*"?')
_WORD: Final = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_GRAM: Final = 8  # an echo of 8 or more characters of a sent value is redacted
_SHORT_SECRET: Final = 4  # sent values shorter than this (none in practice) are not matched at all


def _visible(ch: str, lines: bool) -> str:
    if ch in _SPACE:
        if lines and ch in "\n\t":
            return ch
        return "\n" if lines and ch == "\r" else " "
    if ch in _INVISIBLE:
        return ""
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return ""  # C0/C1 controls, bidi and zero-width formatting, surrogates, private use, unassigned
    return ch


def visible_text(text: str, *, lines: bool = False) -> str:
    """``text`` without terminal sequences (ANSI/OSC, removed whole) and without control, bidi, zero-width
    and invisible characters; line breaks and tabs become spaces, or with ``lines`` stay (``\r`` as
    ``\n``). Linear, and uncapped: callers cut the input first."""
    text = text.replace("\r\n", "\n")
    return "".join(_visible(ch, lines) for ch in _SEQUENCE.sub("", text))


def clean(text: str, limit: int = MAX_SERVER_TEXT) -> str:
    """``text`` as one printable line of at most ``limit`` characters (plus ``...(truncated)``).

    Terminal sequences (ANSI/OSC) are removed whole; other control, bidi, zero-width and invisible characters
    are dropped; line breaks and tabs become spaces.
    """
    head = text[: limit * 4 + 64]  # bounded work: nothing past this could survive the cut below
    visible = visible_text(head).strip()
    if len(visible) > limit or len(head) < len(text):
        return visible[:limit] + TRUNCATED
    return visible


def said(text: str, sent: Iterable[str] = (), limit: int = MAX_SERVER_TEXT) -> str:
    """``server said: "<text>"``: cleaned, with ``sent`` values scrubbed, quotes and backslashes escaped."""
    body = scrub(clean(text, limit), sent)
    return SAID + '"' + body.replace("\\", "\\\\").replace('"', '\\"') + '"'


def is_plain_word(text: str) -> bool:
    """A short status word (``OK``, ``KO``, ``error``) that may be printed without a label."""
    return _WORD.fullmatch(text) is not None


def strip_said(text: str) -> str:
    """``text`` without its ``server said: "…"`` parts: what we wrote ourselves, for classifying."""
    return _QUOTED.sub(SAID + '"…"', text[:100_000])


def _normal(text: str) -> tuple[str, list[int]]:
    """The letters and digits of ``text``, lower-cased, with the index each came from."""
    kept: list[str] = []
    where: list[int] = []
    for index, ch in enumerate(text):
        if ch.isalnum():
            kept.append(ch.lower())
            where.append(index)
    return "".join(kept), where


def scrub(text: str, sent: Iterable[str]) -> str:
    """``text`` with every echo of a ``sent`` value replaced by ``[redacted]``.

    Matching runs on letters and digits only, case-folded, so an echo split by spaces, quotes, escapes or
    line breaks, or cut at a snippet boundary, is still found: any run of 8 characters of a sent value
    (or the whole value when shorter) marks the span it covers.
    """
    secrets = [s for s in (_normal(v)[0] for v in sent if v) if len(s) >= _SHORT_SECRET]
    if not secrets or not text:
        return text
    flat, where = _normal(text)
    marked = bytearray(len(text))
    for secret in secrets:
        size = min(_GRAM, len(secret))
        grams = {secret[i : i + size] for i in range(len(secret) - size + 1)}
        for start in range(len(flat) - size + 1):
            if flat[start : start + size] in grams:
                first, last = where[start], where[start + size - 1]
                marked[first : last + 1] = b"\x01" * (last + 1 - first)
    if not any(marked):
        return text
    out: list[str] = []
    index = 0
    while index < len(text):
        if marked[index]:
            while index < len(text) and marked[index]:
                index += 1
            out.append(REDACTED)
        else:
            out.append(text[index])
            index += 1
    return "".join(out)
