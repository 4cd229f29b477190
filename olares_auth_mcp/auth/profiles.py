"""Profile operations shared by the CLI and the MCP tools: list, use, remove.
Upstream: beclab/Olares `cli/pkg/cliconfig/config.go`, `cli/cmd/ctl/profile/list.go`, `cli/cmd/ctl/profile/remove.go`.

Each function takes its store, vault and clock value as parameters and returns
a plain result; the callers decide how to print it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, NamedTuple

from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
from olares_auth_mcp.auth.errors import (
    AlreadyAuthenticated,
    ExpiryUnknown,
    JWTError,
    ManagedProfile,
    NoExpClaim,
    ProfileConflict,
    ProfileNotFound,
    TokenNotFound,
    VaultError,
    ascii_quote,
)
from olares_auth_mcp.auth.jwt import expires_at
from olares_auth_mcp.auth.status import Status, status_and_expiry
from olares_auth_mcp.auth.tokens import Grant, TokenRecord
from olares_auth_mcp.auth.vault import Found, TokenVault

KNOWN_ROLES: Final = ("owner", "admin", "normal")
MAX_VERSION_LENGTH: Final = 32


def known_role(role: str) -> str:
    """``role`` when it is one Olares has (owner, admin, normal), else "" (unknown).

    Ours: the role comes from a server and is saved to config.json and replayed
    forever, so anything else (a 300 KB string, escape sequences, instructions) is
    treated as no role at all: not cached, and whoami shows ``(unknown)``.
    """
    return role if role in KNOWN_ROLES else ""


_SEMVER: Final = re.compile(r"v?[0-9]+(\.[0-9]+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def is_semver(text: str) -> bool:
    """Masterminds' lenient ``semver.NewVersion``: ``1``, ``1.2``, ``v1.12.6-rc.1+build`` (ASCII digits only)."""
    return _SEMVER.fullmatch(text) is not None


def cacheable_version(version: str) -> bool:
    """Ours: a version is saved (and shown) only when it parses as semver and is at most 32 characters."""
    return len(version) <= MAX_VERSION_LENGTH and is_semver(version)


__all__ = [
    "KNOWN_ROLES",
    "MAX_VERSION_LENGTH",
    "PersistResult",
    "ProfileFlags",
    "ProfileRow",
    "RemoveResult",
    "UseResult",
    "cache_backend_version",
    "cache_owner_role",
    "cacheable_version",
    "ensure_profile_writable",
    "known_role",
    "lookup_record",
    "persist_grant",
    "profile_row",
    "profile_rows",
    "remove_profile",
    "rows_from",
    "use_profile",
]


def lookup_record(vault: TokenVault, olares_id: str) -> tuple[TokenRecord | None, VaultError | None]:
    """The stored record, or (None, None) when absent, or (None, error) when unreadable.

    No Olares ID (a profile written without one) is olares-cli's ``olaresID is required``: unreadable,
    and the vault is never asked.
    """
    (found,) = vault.get_many([olares_id])  # ``get_many`` answers "" with that error, without asking the store
    return (None, found) if isinstance(found, VaultError) else (found, None)


class ProfileRow(NamedTuple):
    """One line of ``profile list``, plus what only we report (expiry, refresh token present).

    ``warning`` explains an ``unknown`` row for our own surfaces (``profile status``, the MCP tools);
    ``profile list`` does not print it, as olares-cli's does not. ``expires_at`` is the access token's
    ``exp`` (Unix seconds), so a row does not age: ``expires_in(now)`` is what is shown. (A named tuple:
    a listing builds one per profile.)
    """

    name: str
    olares_id: str
    status: Status
    version: str
    current: bool
    source: str
    managed: bool
    expires_at: int | None
    has_refresh_token: bool
    warning: str | None = None

    def expires_in(self, now: float) -> int | None:
        """Seconds from ``now`` to the access token's expiry (negative: expired), or None without one."""
        return None if self.expires_at is None else int(self.expires_at - now)

    def shown(self, now: float) -> dict[str, object]:
        """What our surfaces show of the row at ``now`` (the MCP tool's row model, the CLI's ``-o json``): no
        version is None, the status its text; ``managed`` is in ``source`` and the warning is listed apart."""
        return {
            "name": self.name,
            "olares_id": self.olares_id,
            "status": str(self.status),
            "version": None if self.version == "-" else self.version,
            "current": self.current,
            "source": self.source,
            "expires_in_seconds": self.expires_in(now),
            "has_refresh_token": self.has_refresh_token,
        }


def _warning(profile: Profile, error: VaultError) -> str:
    if not profile.has_olares_id:
        named = f" {ascii_quote(profile.name)}" if profile.name else ""
        return f"warning: profile{named} has no olaresId in config.json, so no token can belong to it"
    return f"warning: skipping stored token for {profile.olares_id}: {error}"


def _is_current(profile: Profile, current: Profile | None) -> bool:
    """olares-cli marks rows whose Olares ID is the current profile's; a profile without one only itself."""
    if current is None:
        return False
    return current is profile or (profile.has_olares_id and current.olares_id == profile.olares_id)


@functools.lru_cache(maxsize=64)
def _shown_version(version: str) -> str:
    return version if cacheable_version(version) else "-"


def _row(profile: Profile, current: Profile | None, found: Found, now: float) -> ProfileRow:
    if isinstance(found, VaultError):
        record, error = None, found
    else:
        record, error = found, None
    status, exp = status_and_expiry(record, managed=profile.managed, now=now, unreadable=error is not None)
    return ProfileRow(
        profile.display_name,
        profile.olares_id,
        status,
        _shown_version(profile.backend_version),
        _is_current(profile, current),
        profile.source,
        profile.managed,
        exp,
        record is not None and record.refresh_token != "",
        None if error is None else _warning(profile, error),
    )


def profile_row(config: Config, profile: Profile, vault: TokenVault, *, now: float) -> ProfileRow:
    """One row of ``profile list``, reading only that profile's token."""
    (found,) = vault.get_many([profile.olares_id])
    return _row(profile, config.current(), found, now)


def profile_rows(config: Config, vault: TokenVault, *, now: float) -> list[ProfileRow]:
    """The rows of ``profile list`` in file order. A vault error makes that row ``unknown``, never fatal.

    One ``get_many``: the key is loaded once, and a token file that did not change is only ``stat``-ed.
    """
    return rows_from(config, vault.get_many([profile.olares_id for profile in config.profiles]), now=now)


def rows_from(config: Config, found: Sequence[Found], *, now: float) -> list[ProfileRow]:
    """``profile_rows`` from the vault's answers (``found``, one per profile of ``config``, in order)."""
    current = config.current()
    return [_row(profile, current, record, now) for profile, record in zip(config.profiles, found, strict=True)]


@dataclass(frozen=True)
class UseResult:
    previous: str
    current: str
    profile: Profile

    @property
    def message(self) -> str:
        return f"switched to profile {self.profile.display_name} ({self.profile.olares_id})"


def use_profile(store: ConfigStore, key: str) -> UseResult:
    """``profile use <key|->``; the config is rewritten even when nothing changes, as olares-cli does."""

    def change(config: Config) -> UseResult:
        before = config.current_profile
        target = config.set_current(key)
        return UseResult(previous=before, current=config.current_profile, profile=target)

    return store.mutate(change)


@dataclass(frozen=True)
class RemoveResult:
    removed: Profile
    current: str
    remaining: int
    delete_warning: str | None
    purge_warning: str | None
    purged: bool

    def lines(self, service: str = "olares-cli") -> list[str]:
        """olares-cli's stdout lines, in order (its warnings go to stdout too)."""
        out = [self.delete_warning] if self.delete_warning else []
        out.append(f"removed profile {self.removed.display_name} ({self.removed.olares_id})")
        if self.current:
            out.append(f"current profile is now: {self.current}")
        elif self.remaining == 0:
            out.append("no profiles remain.")
            if self.purged:
                out.append(f'cleaned up keychain storage for service "{service}".')
            elif self.purge_warning:
                out.append(self.purge_warning)
        return out


def remove_profile(store: ConfigStore, vault: TokenVault, key: str, *, olares_id: str | None = None) -> RemoveResult:
    """``profile remove <key>``: config first, then the token; purge the vault after the last profile.

    ``key`` resolves as ``Config.find_profile`` does (an Olares ID names its own profile even
    where an older tool let another profile's alias shadow it). ``olares_id`` is for callers
    that resolved the target earlier, e.g. to show it to a human for confirmation: exactly
    that profile is removed, and if ``key`` no longer resolves to it (the config changed in
    between) nothing is changed. A managed profile is refused before anything is written.

    Raises:
        ProfileNotFound: nothing matches ``key``.
        ProfileConflict: ``key`` now names a profile other than ``olares_id``.
        ManagedProfile: the platform owns this credential.
    """

    def change(config: Config) -> tuple[Profile, str, int]:
        target = config.find_profile(key)
        if target is None:
            raise ProfileNotFound(key)
        if olares_id is not None and target.olares_id != olares_id:
            raise ProfileConflict(
                f"profile {ascii_quote(key)} now refers to {ascii_quote(target.olares_id)}, not "
                f"{ascii_quote(olares_id)}; nothing was removed"
            )
        if target.managed:
            raise ManagedProfile("remove", target.olares_id, target.app_name)
        removed = config.drop(target)  # exactly the profile resolved (and shown) above
        return removed, config.current_profile, len(config.profiles)

    removed, current, remaining = store.mutate(change)
    delete_warning = purge_warning = None
    try:
        vault.delete(removed.olares_id)
    except TokenNotFound:
        pass
    except VaultError as err:
        delete_warning = f"warning: failed to clear stored token for {removed.olares_id}: {err}"
    purged = False
    if remaining == 0 and current == "":
        try:
            vault.purge()
            purged = True
        except VaultError as err:
            purge_warning = f"warning: failed to purge keychain storage: {err}"
    return RemoveResult(removed, current, remaining, delete_warning, purge_warning, purged)


@dataclass(frozen=True)
class ProfileFlags:
    """The flags login and import share (beclab/Olares `cli/cmd/ctl/profile/login.go`)."""

    olares_id: str
    name: str = ""
    auth_url_override: str = ""
    local_url_prefix: str = ""
    insecure_skip_verify: bool = False

    def apply(self, existing: Profile | None) -> Profile:
        """olares-cli's merge: keep every existing field, replace only what a flag sets (login and import, step 2)."""
        if existing is None:
            return Profile(
                olares_id=self.olares_id,
                name=self.name,
                auth_url_override=self.auth_url_override,
                local_url_prefix=self.local_url_prefix,
                insecure_skip_verify=self.insecure_skip_verify,
            )
        merged = replace(existing, extra=list(existing.extra))
        if self.name:
            merged.name = self.name
        if self.auth_url_override:
            merged.auth_url_override = self.auth_url_override
        if self.local_url_prefix:
            merged.local_url_prefix = self.local_url_prefix
        if self.insecure_skip_verify:
            merged.insecure_skip_verify = True
        return merged


def ensure_profile_writable(config: Config, vault: TokenVault, flags: ProfileFlags, verb: str, *, now: float) -> None:
    """Refuse a login/import over a still-valid grant (olares-cli ``ensureProfileWritable``).

    Raises:
        ManagedProfile: the platform owns this Olares ID.
        ProfileConflict: the alias or the token file belongs to another profile (ours).
        AlreadyAuthenticated: a non-invalidated token with a future ``exp`` is stored.
        ExpiryUnknown: a non-invalidated token without ``exp`` is stored.
        VaultError: ``read token store: …``.
    """
    existing = config.find_by_olares_id(flags.olares_id)
    if existing is not None and existing.managed:
        raise ManagedProfile(verb, flags.olares_id, existing.app_name)
    config.check_upsert(flags.apply(existing))  # ours: before any password is read or token sent
    try:
        stored = vault.get(flags.olares_id)
    except TokenNotFound:
        return
    except VaultError as err:
        raise VaultError(f"read token store: {err}") from err
    if stored.invalidated_at:
        return
    try:
        exp = expires_at(stored.access_token)
    except NoExpClaim as err:
        raise ExpiryUnknown(flags.olares_id) from err
    except JWTError:
        return  # unparseable or empty: overwrite it
    if now < exp:
        raise AlreadyAuthenticated(flags.olares_id, exp - now)


@dataclass(frozen=True)
class PersistResult:
    profile: Profile
    switched: bool
    previous_current: str

    def switch_lines(self) -> list[str]:
        """olares-cli ``printSwitchNotice``."""
        if not self.switched:
            return []
        lines = [f"switched current profile to {self.profile.display_name}"]
        if self.previous_current:
            lines.append(f"previous profile: {self.previous_current} (use 'olares-cli profile use -' to switch back)")
        return lines


def persist_grant(
    store: ConfigStore, vault: TokenVault, flags: ProfileFlags, grant: Grant, *, switch: bool, now_ms: int
) -> PersistResult:
    """Store the token, then upsert the profile and move the pointers (olares-cli ``persistTokenAndProfile``).

    The profile is merged into the config as re-read under the lock, so a
    concurrent writer's profiles and caches survive. Ours: the whole step runs
    under the config lock and ``Config.check_upsert`` runs first, so a profile
    whose alias or token file belongs to another is refused with nothing written
    (the token is still written before config.json, as olares-cli does).

    Raises:
        ProfileConflict: nothing was written.
        VaultError: ``save token: …``.
    """
    record = TokenRecord(
        olares_id=flags.olares_id,
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        session_id=grant.session_id,
        granted_at=now_ms,
    )

    def change(config: Config) -> PersistResult:
        merged = flags.apply(config.find_by_olares_id(flags.olares_id))
        config.check_upsert(merged)
        try:
            vault.set(record)
        except VaultError as err:
            raise VaultError(f"save token: {err}") from err
        profile = config.upsert(merged)
        new_name = profile.display_name
        before = config.current_profile
        if switch and before != new_name:
            config.set_current(new_name)
            return PersistResult(profile, switched=True, previous_current=before)
        if not switch and before == "":
            config.current_profile = new_name
            return PersistResult(profile, switched=True, previous_current="")
        return PersistResult(profile, switched=False, previous_current="")

    return store.mutate(change)


def cache_owner_role(store: ConfigStore, olares_id: str, role: str, *, now: float) -> None:
    """olares-cli ``SetOwnerRole``: role and timestamp, written even when the role is empty (docs/compatibility.md).

    Ours: a role outside ``KNOWN_ROLES`` is saved as empty (``known_role``).
    """

    def change(config: Config) -> None:
        profile = config.find_by_olares_id(olares_id)
        if profile is not None:  # removed meanwhile: nothing to cache
            profile.owner_role = known_role(role)
            profile.whoami_refreshed_at = int(now)

    store.mutate(change, only_if_changed=True)


def cache_backend_version(store: ConfigStore, olares_id: str, version: str, *, now: float) -> None:
    """olares-cli ``SetBackendVersion``: the version string as returned, with its timestamp in seconds.

    Ours: nothing is written unless ``cacheable_version`` (semver, at most 32 characters).
    """
    if not cacheable_version(version):
        return

    def change(config: Config) -> None:
        profile = config.find_by_olares_id(olares_id)
        if profile is not None:
            profile.backend_version = version
            profile.backend_version_refreshed_at = int(now)

    store.mutate(change)
