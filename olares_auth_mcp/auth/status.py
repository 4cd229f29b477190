"""The STATUS of a profile, as ``profile list`` prints it. Pure: ``now`` is a parameter.

Upstream: beclab/Olares `cli/cmd/ctl/profile/list.go`.
"""

from __future__ import annotations

from enum import StrEnum

from olares_auth_mcp.auth.errors import JWTError, NoExpClaim
from olares_auth_mcp.auth.jwt import expires_at
from olares_auth_mcp.auth.tokens import TokenRecord

__all__ = ["Status", "status_and_expiry", "status_changes_at", "token_status"]


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
    return status_and_expiry(record, managed=managed, now=now, unreadable=unreadable)[0]


def status_and_expiry(
    record: TokenRecord | None, *, managed: bool, now: float, unreadable: bool = False
) -> tuple[Status, int | None]:
    """``token_status``, and the access token's ``exp`` when it has one (whatever the status), from one decode."""
    if unreadable:
        return Status.UNKNOWN, None
    if record is None:
        return (Status.PENDING if managed else Status.NEVER), None
    exp: int | None = None
    error: JWTError | None = None
    try:
        exp = expires_at(record.access_token)
    except JWTError as err:  # NoExpClaim is one
        error = err
    if managed and record.access_token == "" and record.invalidated_at == 0:
        return Status.PENDING, exp
    if record.invalidated_at > 0:
        return Status.INVALIDATED, exp
    if exp is None:
        return (Status.LOGGED_IN if isinstance(error, NoExpClaim) else Status.UNPARSEABLE), None
    return (Status.EXPIRED if now >= exp else Status.LOGGED_IN), exp


def status_changes_at(status: Status, exp: int | None) -> int | None:
    """When ``status_and_expiry``'s answer for the same record changes with the clock alone: at ``exp``, the
    expiry of a logged-in or expired token that has one (logged-in before, expired from then on); else never."""
    return exp if status in (Status.LOGGED_IN, Status.EXPIRED) else None
