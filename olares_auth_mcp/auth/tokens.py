"""The per-Olares-ID token record, as olares-cli's ``StoredToken`` (beclab/Olares `cli/pkg/auth/token_store.go`).

Compact JSON, keys in struct order, omitempty; ``grantedAt`` and
``invalidatedAt`` are unix milliseconds. There is no expiry field: expiry
always comes from the access token's ``exp`` claim.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from olares_auth_mcp.auth.errors import TokenDecodeError
from olares_auth_mcp.auth.gojson import (
    GoJSONError,
    Pairs,
    as_bool,
    as_int64,
    as_string,
    decode_fields,
    dumps_compact,
    loads,
    type_error,
)

__all__ = ["Grant", "TokenRecord"]

_FIELDS = {
    "olaresId": as_string,
    "accessToken": as_string,
    "refreshToken": as_string,
    "sessionId": as_string,
    "grantedAt": as_int64,
    "invalidatedAt": as_int64,
    "managed": as_bool,
}


@dataclass(frozen=True)
class TokenRecord:
    """One stored grant. ``repr`` never shows the token values."""

    olares_id: str
    access_token: str = ""
    refresh_token: str = ""
    session_id: str = ""
    granted_at: int = 0
    invalidated_at: int = 0
    managed: bool = False

    def __repr__(self) -> str:
        return (
            f"TokenRecord(olares_id={self.olares_id!r}, access_token=<{len(self.access_token)} chars>, "
            f"refresh_token=<{len(self.refresh_token)} chars>, granted_at={self.granted_at}, "
            f"invalidated_at={self.invalidated_at}, managed={self.managed})"
        )

    def to_json(self) -> str:
        obj: dict[str, Any] = {"olaresId": self.olares_id, "accessToken": self.access_token}
        if self.refresh_token:
            obj["refreshToken"] = self.refresh_token
        if self.session_id:
            obj["sessionId"] = self.session_id
        if self.granted_at:
            obj["grantedAt"] = self.granted_at
        if self.invalidated_at:
            obj["invalidatedAt"] = self.invalidated_at
        if self.managed:
            obj["managed"] = True
        return dumps_compact(obj)

    @classmethod
    def from_json(cls, data: bytes | str, olares_id: str) -> TokenRecord:
        """Decode a stored blob; a missing ``olaresId`` is filled with the requested id.

        Raises:
            TokenDecodeError: ``decode stored token for <id>: <err>``.
        """
        try:
            obj = loads(data)
            if obj is None:
                obj = Pairs()
            if not isinstance(obj, Pairs):
                raise type_error(obj, "auth.StoredToken")
            known, _ = decode_fields(obj, _FIELDS, struct="StoredToken")
        except GoJSONError as err:
            raise TokenDecodeError(olares_id, str(err)) from err
        return cls(
            olares_id=known.get("olaresId") or olares_id,
            access_token=known.get("accessToken", ""),
            refresh_token=known.get("refreshToken", ""),
            session_id=known.get("sessionId", ""),
            granted_at=known.get("grantedAt", 0),
            invalidated_at=known.get("invalidatedAt", 0),
            managed=known.get("managed", False),
        )

    def invalidated(self, at_ms: int) -> TokenRecord:
        return replace(self, invalidated_at=at_ms)

    def valid(self) -> TokenRecord:
        """The record as ``Set`` writes it: a fresh grant always clears invalidation."""
        return replace(self, invalidated_at=0)


@dataclass(frozen=True)
class Grant:
    """What a login, import or refresh returns. ``repr`` never shows the tokens."""

    access_token: str
    refresh_token: str = ""
    session_id: str = ""
    fa2: bool = False

    def __repr__(self) -> str:
        return f"Grant(access_token=<{len(self.access_token)} chars>, fa2={self.fa2})"
