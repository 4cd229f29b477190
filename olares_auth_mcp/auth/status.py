"""The STATUS of a profile, as ``profile list`` prints it. Pure: ``now`` is a parameter.

Upstream: beclab/Olares `cli/cmd/ctl/profile/list.go`.
"""

from __future__ import annotations

from enum import StrEnum

from olares_auth_mcp.auth.errors import JWTError, NoExpClaim
from olares_auth_mcp.auth.jwt import expires_at
from olares_auth_mcp.auth.tokens import TokenRecord

__all__ = ["Status", "token_status"]


class Status(StrEnum):
    LOGGED_IN = "logged-in"
    EXPIRED = "expired"
    INVALIDATED = "invalidated"
    NEVER = "never"
    UNKNOWN = "unknown"
    UNPARSEABLE = "logged-in (unparseable token)"
    PENDING = "pending"


def token_status(record: TokenRecord | None, *, managed: bool, now: float, unreadable: bool = False) -> Status:
    """Status from a store lookup: ``record`` is None when not found; ``unreadable`` for any other store error."""
    if unreadable:
        return Status.UNKNOWN
    if record is None:
        return Status.PENDING if managed else Status.NEVER
    if managed and record.access_token == "" and record.invalidated_at == 0:
        return Status.PENDING
    if record.invalidated_at > 0:
        return Status.INVALIDATED
    try:
        exp = expires_at(record.access_token)
    except NoExpClaim:
        return Status.LOGGED_IN
    except JWTError:
        return Status.UNPARSEABLE
    return Status.EXPIRED if now >= exp else Status.LOGGED_IN
