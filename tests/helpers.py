"""Small builders shared by the tests: JWTs with chosen claims, records, seeded homes."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

T = TypeVar("T")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict[str, Any] | None = None, *, payload: str | None = None) -> str:
    """An unsigned-looking JWT with the given claims (signature is not checked client-side)."""
    body = payload if payload is not None else json.dumps(claims or {}, separators=(",", ":"))
    header = b64url(b'{"alg":"HS512"}')
    return f"{header}.{b64url(body.encode())}.c2ln"


def present(value: T | None) -> T:
    """``value``, asserted not to be None (a lookup the test expects to find something)."""
    assert value is not None
    return value
