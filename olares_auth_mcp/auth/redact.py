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
_JSON_ESCAPED: Final = re.compile(r'["\\\x00-\x1f\x7f-\U0010ffff]')  # what a JSON writer may escape
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


_KNOWN_SCAN: list[tuple[tuple[str, ...], re.Pattern[str] | None]] = [((), None)]  # the last secrets asked about


def _carries_known(value: str, known: Iterable[str]) -> bool:
    """Whether ``value`` contains one of the ``known`` secrets (those of ``MIN_SECRET_LENGTH`` or more).

    One trie-shaped regex over ``value`` (``_trie_pattern``), compiled again only when the secrets change:
    the screen asks this for every argument of every call, and a loop over the secrets made each call's
    cost grow with the number of profiles. Looking the secrets up compares them as a tuple (C speed).
    """
    secrets = tuple(known)
    cached, pattern = _KNOWN_SCAN[0]
    if secrets != cached:
        usable = [secret for secret in secrets if len(secret) >= MIN_SECRET_LENGTH]
        pattern = re.compile(_trie_pattern(usable)) if usable else None
        _KNOWN_SCAN[0] = (secrets, pattern)
    return pattern is not None and pattern.search(value) is not None


def looks_like_secret(value: str, known: Iterable[str] = (), *, identifier: bool = True) -> bool:
    """True when ``value`` is (or carries) a credential and must not be accepted as an argument.

    ``identifier`` is for names, IDs, URLs and env-var names: there a lone long
    high-entropy token is refused too. Free text (an error message) is only refused
    for an embedded JWT or stored token.
    """
    if find_jwt(value):
        return True
    if _carries_known(value, known):
        return True
    if identifier:
        for word in _TOKENISH.findall(value):
            classes = sum(bool(re.search(p, word)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
            # no exemption for URLs: a token after "https://host/" is still a token
            if classes >= 2 and _entropy(word) >= 3.5 and "@" not in word:
                return True
    return False


def _trie_pattern(secrets: Iterable[str]) -> str:
    """One regex matching any of ``secrets``, as a trie of their common prefixes.

    A plain alternation ``s1|s2|…`` makes the engine try every secret at every position of the text
    (most tokens share ``eyJhbGci…``), so scanning costs O(text × secrets). The trie form branches
    only where the secrets differ, so a position is rejected after a character or two: the scan is
    linear in the text. Longer matches still win: a secret that is a prefix of another becomes an
    optional tail, tried greedily before stopping at the shorter one.
    """
    trie: dict[str, Any] = {}
    for secret in secrets:
        node = trie
        for char in secret:
            node = node.setdefault(char, {})
        node[""] = {}  # a secret ends here

    def emit(node: dict[str, Any]) -> str:
        branches = []
        for char in sorted(key for key in node if key):
            literal, child = char, node[char]
            while len(child) == 1 and "" not in child:  # an unbranched run: one literal
                ((next_char, child),) = child.items()
                literal += next_char
            branches.append(re.escape(literal) + emit(child))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


class Redactor:
    """Redacts strings (and nested JSON-like values) against the secrets ``secrets()`` returns now.

    All known values are matched by one trie-shaped regex, compiled only when the set of secrets
    changes (a list object already seen is not even compared again), so a result is scanned once
    per string, in time linear in its length.
    """

    def __init__(self, secrets: Callable[[], Iterable[str]]) -> None:
        self._secrets = secrets
        self._compiled: tuple[object, frozenset[str], re.Pattern[str] | None, bool] = (None, frozenset(), None, True)
        # for ``clean_json``: the secrets without an ``eyJ``, which it rules out first (one fast substring scan)
        self._no_jwt: tuple[frozenset[str], re.Pattern[str] | None] = (frozenset(), None)
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
        return self._state(known)[2]

    def _state(self, known: list[str]) -> tuple[object, frozenset[str], re.Pattern[str] | None, bool]:
        """(``known``, its set, the pattern of that set, whether JSON text shows its secrets unescaped)."""
        state = self._compiled
        seen, secrets, pattern, json_safe = state
        if known is seen:
            return state
        key = frozenset(s for s in known if len(s) >= MIN_SECRET_LENGTH)
        if key != secrets:
            pattern = re.compile(_trie_pattern(key)) if key else None
            json_safe = not any(_JSON_ESCAPED.search(s) for s in key)
        else:
            key = secrets  # the same set keeps its object: ``clean_json`` compares by identity
        self._compiled = state = (known, key, pattern, json_safe)
        return state

    def clean_json(self, text: str, known: list[str] | None = None) -> bool:
        """True when the JSON ``text`` of a value proves that ``value(...)`` would change nothing.

        One linear scan of the serialized value instead of a walk over every string in it. Sound
        because a secret occurs in a string only if it occurs, unchanged, in the JSON text: the
        secrets must contain nothing a JSON writer may escape (quote, backslash, control or
        non-ASCII characters; checked, otherwise the answer is False), and
        anything JWT-shaped contains ``eyJ``, which JSON never escapes. A False answer only means:
        walk the value.
        """
        _, secrets, _, json_safe = self._state(self.known() if known is None else known)
        if not json_safe or "eyJ" in text:
            return False
        # No "eyJ" in the text: no secret containing one can be in it either, so only the others are looked
        # for (stored access tokens are JWTs; the rest usually share a literal prefix the regex engine skips to).
        of, pattern = self._no_jwt
        if of is not secrets:
            others = [s for s in secrets if "eyJ" not in s]
            pattern = re.compile(_trie_pattern(others)) if others else None
            self._no_jwt = (secrets, pattern)
        return pattern is None or pattern.search(text) is None

    def text(self, value: str, known: list[str] | None = None) -> str:
        return self._scrub(value, self._pattern(self.known() if known is None else known))

    @staticmethod
    def _scrub(value: str, pattern: re.Pattern[str] | None) -> str:
        if pattern is not None and len(value) >= MIN_SECRET_LENGTH:
            value = pattern.sub(REDACTED, value)
        return redact_jwts(value)

    def value(self, value: Any, known: list[str] | None = None) -> Any:
        """Redact every string inside dicts, lists and tuples."""
        return self._walk(value, self._pattern(self.known() if known is None else known))

    def _walk(self, value: Any, pattern: re.Pattern[str] | None) -> Any:
        if isinstance(value, str):
            return self._scrub(value, pattern)
        if isinstance(value, dict):
            return {k: self._walk(v, pattern) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._walk(v, pattern) for v in value]
        return value
