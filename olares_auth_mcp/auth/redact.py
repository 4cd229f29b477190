"""Keeping secrets out of everything we print: the one redactor, and the secret-argument detector.

Redaction replaces the exact values of every stored token first (whatever their
shape), then anything JWT-shaped. ``looks_like_secret`` decides whether a string
someone handed us is a credential: a JWT, a value equal to (or containing) a
stored token, or — for identifier-like arguments — a long high-entropy token.

Everything here runs on untrusted text (from the agent or from a server), so every scan
is linear in the length of that text: the JWT finder below walks the string once instead
of letting a backtracking regex retry ``[A-Za-z0-9_-]{4,}`` from every ``eyJ`` (a 300 KB
``"eyJeyJ…"`` argument used to hold the event loop for 30 seconds).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

__all__ = ["JWT_PATTERN", "REDACTED", "Redactor", "find_jwt", "looks_like_secret", "redact_jwts"]

REDACTED: Final = "[redacted]"
# What counts as JWT-shaped, as a regex for reference and for short trusted strings; untrusted
# text goes through ``find_jwt``/``redact_jwts``, which match exactly this in linear time.
JWT_PATTERN: Final = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_SEGMENT: Final = re.compile(r"[A-Za-z0-9_-]*")  # one greedy character class: no backtracking
_TOKENISH: Final = re.compile(r"[A-Za-z0-9_\-+/=.~]{24,}")
MIN_SECRET_LENGTH: Final = 8  # shorter stored values are not redacted by value (they would shred ordinary text)


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _run_end(text: str, pos: int) -> int:
    """Where the run of JWT segment characters starting at ``pos`` ends."""
    run = _SEGMENT.match(text, pos)
    return pos if run is None else run.end()


def _jwt_spans(text: str) -> Iterator[tuple[int, int]]:
    """The spans ``JWT_PATTERN.finditer`` would yield, found in one pass over ``text``.

    A match starts at an ``eyJ`` whose run of segment characters continues for at least four
    more, ends at a ``.``, then a run of two or more, a ``.``, and a (possibly empty) run. When the
    first ``eyJ`` of a run fails, every later one in that run fails too (same run end, fewer
    characters), so the search resumes after the run: each character is looked at a bounded
    number of times.
    """
    pos = 0
    while (start := text.find("eyJ", pos)) >= 0:
        end1 = _run_end(text, start)
        if end1 - start >= 7 and text.startswith(".", end1):
            end2 = _run_end(text, end1 + 1)
            if end2 - end1 - 1 >= 2 and text.startswith(".", end2):
                end3 = _run_end(text, end2 + 1)
                yield start, end3
                pos = end3
                continue
        pos = end1


def find_jwt(text: str) -> bool:
    """True when ``text`` contains something JWT-shaped (``JWT_PATTERN.search``, in linear time)."""
    return next(_jwt_spans(text), None) is not None


def redact_jwts(text: str, replacement: str = REDACTED) -> str:
    """``JWT_PATTERN.sub(replacement, text)``, in linear time."""
    if "eyJ" not in text:
        return text
    parts: list[str] = []
    last = 0
    for start, end in _jwt_spans(text):
        parts += (text[last:start], replacement)
        last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def looks_like_secret(value: str, known: Iterable[str] = (), *, identifier: bool = True) -> bool:
    """True when ``value`` is (or carries) a credential and must not be accepted as an argument.

    ``identifier`` is for names, IDs, URLs and env-var names: there a lone long
    high-entropy token is refused too. Free text (an error message) is only refused
    for an embedded JWT or stored token.
    """
    if find_jwt(value):
        return True
    if any(len(secret) >= MIN_SECRET_LENGTH and secret in value for secret in known):
        return True
    if identifier:
        for word in _TOKENISH.findall(value):
            classes = sum(bool(re.search(p, word)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
            # no exemption for URLs: a token after "https://host/" is still a token
            if classes >= 2 and _entropy(word) >= 3.5 and "@" not in word:
                return True
    return False


class Redactor:
    """Redacts strings (and nested JSON-like values) against the secrets ``secrets()`` returns now.

    All known values are matched by one alternation regex (longest first), compiled once per
    distinct secret set, so a result is scanned once per string, not once per secret.
    """

    def __init__(self, secrets: Callable[[], Iterable[str]]) -> None:
        self._secrets = secrets
        self._compiled: tuple[tuple[str, ...], re.Pattern[str] | None] = ((), None)
        self._sorted: tuple[object, list[str]] = (None, [])

    def known(self, source: Iterable[str] | None = None) -> list[str]:
        """The redactable secrets, longest first (re-sorted only when the provider's list changes).

        ``source`` uses a list already fetched from the provider instead of asking it again.
        """
        source = self._secrets() if source is None else source
        if source is self._sorted[0]:
            return self._sorted[1]
        ordered = sorted({s for s in source if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._sorted = (source, ordered)
        return ordered

    def _pattern(self, known: list[str]) -> re.Pattern[str] | None:
        key = tuple(known)
        if key != self._compiled[0]:
            pattern = re.compile("|".join(map(re.escape, key))) if key else None
            self._compiled = (key, pattern)
        return self._compiled[1]

    def text(self, value: str, known: list[str] | None = None) -> str:
        pattern = self._pattern(self.known() if known is None else known)
        if pattern is not None and len(value) >= MIN_SECRET_LENGTH:
            value = pattern.sub(REDACTED, value)
        return redact_jwts(value)

    def value(self, value: Any, known: list[str] | None = None) -> Any:
        """Redact every string inside dicts, lists and tuples."""
        known = self.known() if known is None else known
        if isinstance(value, str):
            return self.text(value, known)
        if isinstance(value, dict):
            return {k: self.value(v, known) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v, known) for v in value]
        return value
