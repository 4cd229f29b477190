"""Client-side, unverified reading of a JWT's ``exp``.
Upstream: beclab/Olares `cli/pkg/auth/jwt.go`, docs/compatibility.md.

Go decodes the payload with ``base64.RawURLEncoding`` and then
``base64.URLEncoding``. Both ignore ``\\r``/``\\n``, reject every other
character outside the URL-safe alphabet (``+`` and ``/`` included), the raw
one rejects ``=`` and the padded one demands exact padding. Python's
``urlsafe_b64decode`` differs on both counts, hence the strict decoder here.

Ours, not olares-cli's: a payload over ``MAX_PAYLOAD`` (64 KiB decoded) or nested
deeper than ``gojson.MAX_DEPTH`` is a ``JWTError`` like any other unreadable token
(so that profile lists as ``logged-in (unparseable token)``), never a crash or a
long stall: the token came from a server, and a hostile one can send anything.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from typing import Final

from olares_auth_mcp.auth.errors import JWTError, NoExpClaim
from olares_auth_mcp.auth.gojson import GoJSONError, Pairs, as_int64, decode_fields, loads

__all__ = ["MAX_PAYLOAD", "decode_segment", "expires_at", "is_expired"]

MAX_PAYLOAD: Final = 64 * 1024
# base64 of MAX_PAYLOAD bytes, plus room for the \r\n Go ignores and padding
_MAX_SEGMENT: Final = (MAX_PAYLOAD + 2) // 3 * 4 * 2

_URL_ALPHABET: Final = re.compile(r"[A-Za-z0-9\-_]*")
_PADDED: Final = re.compile(r"[A-Za-z0-9\-_]*={0,2}")


def _raw_decode(text: str) -> bytes | None:
    if not _URL_ALPHABET.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        return None


def _padded_decode(text: str) -> bytes | None:
    if len(text) % 4 != 0 or not _PADDED.fullmatch(text):
        return None
    try:
        return base64.urlsafe_b64decode(text)
    except binascii.Error:
        return None


def decode_segment(segment: str) -> bytes:
    """Decode one JWT segment exactly as olares-cli does.

    Raises:
        JWTError: the segment is not base64url (raw or padded).
    """
    cleaned = segment.replace("\r", "").replace("\n", "")
    decoded = _raw_decode(cleaned)
    if decoded is None:
        decoded = _padded_decode(cleaned)
    if decoded is None:
        raise JWTError("decode jwt payload: illegal base64 data")
    return decoded


_CACHE_SIZE: Final = 4096  # tokens
_CACHEABLE: Final = 16384  # characters: a bigger "token" is decoded every time rather than held
_CACHE_LOCK: Final = threading.Lock()
_MISSING: Final = object()
_DECODED: dict[str, int | str | None] = {}  # token → exp, or None (no exp), or the JWTError message


def expires_at(token: str) -> int:
    """The ``exp`` claim (unix seconds) of ``token``, read without verifying the signature.

    Each distinct token is decoded once per process (a bounded cache; the answer depends on the
    token alone): listing, the gate and status checks ask about the same tokens over and over.

    Raises:
        NoExpClaim: ``exp`` is missing, null or 0.
        JWTError: empty token, wrong segment count, bad base64, or ``exp`` not an int64.
    """
    outcome = _DECODED.get(token, _MISSING)  # one dict lookup is atomic; the lock orders the writers only
    if outcome is _MISSING:
        try:
            outcome = _decode_exp(token)
        except NoExpClaim:
            outcome = None
        except JWTError as err:
            outcome = str(err)
        if len(token) <= _CACHEABLE:
            with _CACHE_LOCK:
                if len(_DECODED) >= _CACHE_SIZE:
                    _DECODED.pop(next(iter(_DECODED)))  # oldest first
                _DECODED[token] = outcome
    if isinstance(outcome, int):
        return outcome
    if outcome is None:
        raise NoExpClaim
    raise JWTError(str(outcome))


def _decode_exp(token: str) -> int:
    if token == "":
        raise JWTError("token is empty")
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError(f"token does not look like a JWT (want 3 segments, got {len(parts)})")
    if len(parts[1]) > _MAX_SEGMENT:
        raise JWTError(f"decode jwt payload: payload larger than {MAX_PAYLOAD} bytes")
    payload = decode_segment(parts[1])
    if len(payload) > MAX_PAYLOAD:
        raise JWTError(f"decode jwt payload: payload larger than {MAX_PAYLOAD} bytes")
    try:
        claims = loads(payload)
    except GoJSONError as err:
        raise JWTError(f"decode jwt payload: {err}") from err
    if claims is None:
        raise NoExpClaim
    if not isinstance(claims, Pairs):
        raise JWTError("decode jwt payload: json: cannot unmarshal non-object into Go value of type auth.claims")
    try:
        known, _ = decode_fields(claims, {"exp": as_int64}, struct="claims")
    except GoJSONError as err:
        raise JWTError(f"decode jwt payload: {err}") from err
    exp = int(known.get("exp", 0))
    if exp == 0:
        raise NoExpClaim
    return exp


def is_expired(token: str, now: float, skew: float = 0.0) -> bool:
    """olares-cli ``IsExpired``: ``now + skew >= exp``. Errors propagate (callers decide)."""
    return now + skew >= expires_at(token)
