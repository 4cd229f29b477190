"""Resolving a profile to what a request needs: its settings, endpoints and stored token record.
Upstream: beclab/Olares `cli/pkg/auth/refresh.go` (``DefaultProvider.Resolve``).
"""

from __future__ import annotations

from dataclasses import dataclass

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.errors import (
    AuthError,
    JWTError,
    NoExpClaim,
    NoProfile,
    NotLoggedIn,
    ProfileNotFound,
    TokenInvalidated,
    TokenNotFound,
    VaultError,
)
from olares_auth_mcp.auth.jwt import expires_at
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import TokenVault
from olares_auth_mcp.auth.wire import Endpoints

__all__ = ["Credentials", "resolve_credentials"]


@dataclass(frozen=True)
class Credentials:
    """A resolved profile: its settings, endpoints and stored record."""

    profile: Profile
    endpoints: Endpoints
    record: TokenRecord


def resolve_credentials(
    store: ConfigStore, vault: TokenVault, env: dict[str, str] | None = None, *, target: str | None = None
) -> Credentials:
    """olares-cli ``DefaultProvider.Resolve``, for the current profile or an explicit ``target``.
    Upstream: beclab/Olares `cli/pkg/auth/refresh.go`.

    An expired access token still resolves: the transport refreshes on the first 401.

    Raises:
        NoProfile, ProfileNotFound, NotLoggedIn, TokenInvalidated, AuthError (``decode access token: …``).
    """
    config = store.load()
    if target is not None:
        profile = config.find_profile(target)
        if profile is None:
            raise ProfileNotFound(target)
    else:
        profile = config.current()
        if profile is None:
            raise NoProfile
    try:
        record = vault.get(profile.olares_id)
    except TokenNotFound as err:
        raise NotLoggedIn(profile.olares_id) from err
    except VaultError as err:
        raise VaultError(f"read token store: {err}") from err
    if record.invalidated_at > 0:
        raise TokenInvalidated(profile.olares_id, record.invalidated_at)
    try:
        expires_at(record.access_token)
    except NoExpClaim:
        pass
    except JWTError as err:
        raise AuthError(f"decode access token: {err}") from err
    endpoints = Endpoints.derive(
        OlaresID.parse(profile.olares_id),
        auth_url_override=profile.auth_url_override,
        local_url_prefix=profile.local_url_prefix,
        env=env or {},
    )
    return Credentials(profile, endpoints, record)
