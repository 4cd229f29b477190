"""``config.json``: the profile list and the current/previous pointers (beclab/Olares `cli/pkg/cliconfig/config.go`).

Bytes are olares-cli's: ``MarshalIndent`` with two spaces, struct key order,
omitempty, Go's HTML escaping, no trailing newline, written 0600 through a
temp file and a rename. One deliberate difference: keys we do not know (from a
newer olares-cli) are kept, after the known ones, where olares-cli drops them.

Reading is Go's ``json.Unmarshal`` (``gojson``): a bad file is ``parse <path>: `` and Go's
own message, word for word. A profile without ``olaresId`` is not an error: it is kept, listed
as ``unknown`` and written back with ``"olaresId": ""``, as olares-cli does.

Every mutation goes through ``ConfigStore.mutate``: exclusive flock on
``locks/config.lock``, re-read, change, save. olares-cli's own profile verbs
write without the lock (beclab/Olares `cli/pkg/cliconfig/lock.go`); its cache writers take the same lock.

Ours, not olares-cli's: a file over ``MAX_CONFIG_BYTES`` (4 MiB) or nested deeper
than ``gojson.MAX_DEPTH`` is a ``ConfigError`` (``parse <path>: …``) instead of a
long parse or a crash; a real config.json is a few KB.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from olares_auth_mcp.auth._fs import atomic_write
from olares_auth_mcp.auth.errors import (
    ConfigError,
    NoPreviousProfile,
    ProfileConflict,
    ProfileNotFound,
    ascii_quote,
)
from olares_auth_mcp.auth.gojson import (
    GoJSONError,
    Pairs,
    as_bool,
    as_int64,
    as_string,
    as_string_list,
    decode_fields,
    dumps_indent,
    loads,
    type_error,
)
from olares_auth_mcp.auth.locks import flock_exclusive
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.vault._files import ParsedFile, safe_file_name

__all__ = ["MAX_CONFIG_BYTES", "Config", "ConfigStore", "Profile"]

T = TypeVar("T")
MAX_CONFIG_BYTES: Final = 4 * 1024 * 1024
# Go's error path to each nested struct: the JSON field names from the document root.
_PROFILE_PATH: Final = ("profiles",)
_CLUSTER_PATH: Final = ("profiles", "clusterContext")


_CLUSTER_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "username": as_string,
    "globalrole": as_string,
    "email": as_string,
    "workspaces": as_string_list,
    "systemNamespaces": as_string_list,
    "grantedClusters": as_string_list,
    "clusterRole": as_string,
}


def _as_cluster_context(value: Any, field_name: str) -> Pairs | None:
    """``*ClusterContextCache``: Go's types and key matching, then its bytes (struct order, omitempty).

    ``{}`` stays ``{}`` (a non-nil pointer is never omitted); keys we do not know are kept after the rest.
    """
    if value is None:
        return None
    if not isinstance(value, Pairs):
        raise type_error(value, "cliconfig.ClusterContextCache", field_name)
    known, unknown = decode_fields(value, _CLUSTER_FIELDS, struct="ClusterContextCache", path=_CLUSTER_PATH)
    out = Pairs((key, known[key]) for key in _CLUSTER_FIELDS if known.get(key))
    out.extend(unknown)
    return out


_PROFILE_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "name": as_string,
    "olaresId": as_string,
    "userUid": as_string,
    "authUrlOverride": as_string,
    "localUrlPrefix": as_string,
    "insecureSkipVerify": as_bool,
    "ownerRole": as_string,
    "whoamiRefreshedAt": as_int64,
    "clusterContext": _as_cluster_context,
    "clusterContextRefreshedAt": as_int64,
    "backendVersion": as_string,
    "backendVersionRefreshedAt": as_int64,
    "managed": as_bool,
    "appName": as_string,
}
_ATTR = {
    "name": "name",
    "olaresId": "olares_id",
    "userUid": "user_uid",
    "authUrlOverride": "auth_url_override",
    "localUrlPrefix": "local_url_prefix",
    "insecureSkipVerify": "insecure_skip_verify",
    "ownerRole": "owner_role",
    "whoamiRefreshedAt": "whoami_refreshed_at",
    "clusterContext": "cluster_context",
    "clusterContextRefreshedAt": "cluster_context_refreshed_at",
    "backendVersion": "backend_version",
    "backendVersionRefreshedAt": "backend_version_refreshed_at",
    "managed": "managed",
    "appName": "app_name",
}


@dataclass
class Profile:
    """One profile: an Olares ID and its settings and caches. No token material.

    ``olares_id`` is ``""`` for an entry written without one (or ``null`` in the list):
    olares-cli lists it (status ``unknown``) and keeps it, and so do we; such a profile
    is never found by an Olares ID and never maps to a token file.
    """

    olares_id: str
    name: str = ""
    user_uid: str = ""
    auth_url_override: str = ""
    local_url_prefix: str = ""
    insecure_skip_verify: bool = False
    owner_role: str = ""
    whoami_refreshed_at: int = 0
    cluster_context: Pairs | None = None
    cluster_context_refreshed_at: int = 0
    backend_version: str = ""
    backend_version_refreshed_at: int = 0
    managed: bool = False
    app_name: str = ""
    extra: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        """The alias when set, else the Olares ID: what the pointers and the NAME column hold."""
        return self.name or self.olares_id

    @property
    def has_olares_id(self) -> bool:
        return self.olares_id != ""

    def refers_to(self, pointer: str) -> bool:
        return pointer != "" and pointer in (self.name, self.olares_id)

    @property
    def source(self) -> str:
        """The SOURCE column: ``local``, ``platform`` or ``platform(<app>)``."""
        if not self.managed:
            return "local"
        return f"platform({self.app_name})" if self.app_name else "platform"

    def to_obj(self) -> Pairs:
        out = Pairs()
        for key, attr in _ATTR.items():
            value = getattr(self, attr)
            # olaresId is the only field without omitempty; a pointer (clusterContext) is omitted only when nil
            if key == "olaresId" or value or (key == "clusterContext" and value is not None):
                out.append((key, value))
        out.extend(self.extra)
        return out

    @classmethod
    def from_obj(cls, obj: Pairs) -> Profile:
        """One ``profiles`` entry; a missing or empty ``olaresId`` is ``""``, as in Go."""
        known, unknown = decode_fields(obj, _PROFILE_FIELDS, struct="ProfileConfig", path=_PROFILE_PATH)
        known.setdefault("olaresId", "")
        return cls(**{_ATTR[k]: v for k, v in known.items()}, extra=unknown)


def _as_profiles(value: Any, field_name: str) -> list[Profile]:
    """``[]ProfileConfig``: a ``null`` entry is a zero profile (no Olares ID), as Go decodes it."""
    if value is None:
        return []
    if not isinstance(value, list) or isinstance(value, Pairs):  # a decoded object is a list of pairs
        raise type_error(value, "[]cliconfig.ProfileConfig", field_name)
    profiles = []
    for item in value:
        if item is None:
            profiles.append(Profile(olares_id=""))
        elif isinstance(item, Pairs):
            profiles.append(Profile.from_obj(item))
        else:
            raise type_error(item, "cliconfig.ProfileConfig", field_name)
    return profiles


_CONFIG_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "currentProfile": as_string,
    "previousProfile": as_string,
    "profiles": _as_profiles,
}


@dataclass
class Config:
    """``MultiProfileConfig`` and its operations (olares-cli ``config.go``)."""

    current_profile: str = ""
    previous_profile: str = ""
    profiles: list[Profile] = field(default_factory=list)
    extra: list[tuple[str, Any]] = field(default_factory=list)

    def find_profile(self, key: str) -> Profile | None:
        """The profile ``key`` names: the one whose Olares ID is ``key``, else the first whose alias is.

        Ours, deliberately not olares-cli's alias-first ``FindProfile``. The two orders agree unless
        an alias equals another profile's Olares ID, which we never write (``check_upsert``) but an
        older tool may have. In such a config an Olares ID always resolves to the profile that *is*
        that ID, so a shadowing alias can never steer a lookup, the gate, whoami, ``profile use``
        or a removal to the wrong profile. The current/previous pointers resolve the same way.
        An empty key names nothing (olares-cli's ``FindProfile("")`` is nil too).
        """
        if key == "":
            return None
        by_id = self.find_by_olares_id(key)
        if by_id is not None:
            return by_id
        return next((p for p in self.profiles if p.name == key), None)

    def find_by_olares_id(self, olares_id: str) -> Profile | None:
        """olares-cli ``FindByOlaresID``: never a profile without an Olares ID (``""`` finds nothing)."""
        if olares_id == "":
            return None
        return next((p for p in self.profiles if p.olares_id == olares_id), None)

    def current(self) -> Profile | None:
        """The named current profile; the first profile when the pointer is empty; None when stale."""
        if self.current_profile == "":
            return self.profiles[0] if self.profiles else None
        return self.find_profile(self.current_profile)

    def check_upsert(self, profile: Profile) -> None:
        """Refuse a write that would give two profiles one name or one token file (ours, not olares-cli's).

        * A new profile may not take the token file of another (``alice@olares.com``,
          ``alice_olares.com`` and ``alice#olares.com`` all map to ``alice_olares.com.enc``;
          names differing only in case count as one, as on macOS), nor an Olares ID that
          another profile uses as its alias.
        * An alias being set may not equal another profile's alias or Olares ID.

        Raises:
            ProfileConflict: naming the profile in the way; nothing is changed.
        """
        existing = self.find_by_olares_id(profile.olares_id)
        others = [p for p in self.profiles if p.olares_id != profile.olares_id]
        if existing is None:
            file_name = safe_file_name(profile.olares_id)
            folded = file_name.casefold()  # macOS file systems ignore case: Alice@… and alice@… share a file
            for other in others:
                if not other.has_olares_id:
                    continue  # no Olares ID, no token file: nothing to collide with
                if other.name == profile.olares_id:
                    raise ProfileConflict(
                        f"olaresId {ascii_quote(profile.olares_id)} is already the name of profile "
                        f"{ascii_quote(other.olares_id)}; rename or remove that profile first"
                    )
                if safe_file_name(other.olares_id).casefold() == folded:
                    raise ProfileConflict(
                        f"olaresId {ascii_quote(profile.olares_id)} would share the token file {file_name} with "
                        f"profile {ascii_quote(other.olares_id)}; they are different IDs, so it is refused"
                    )
        if profile.name and (existing is None or existing.name != profile.name):
            for other in others:
                if profile.name in (other.name, other.olares_id):
                    what = "Olares ID" if profile.name == other.olares_id else "name"
                    raise ProfileConflict(
                        f"name {ascii_quote(profile.name)} is already the {what} of profile "
                        f"{ascii_quote(other.olares_id)}; choose another --name"
                    )

    def upsert(self, profile: Profile) -> Profile:
        """olares-cli ``Upsert`` (replace in place by Olares ID, else append), after ``check_upsert``."""
        self.check_upsert(profile)
        for index, existing in enumerate(self.profiles):
            if existing.olares_id == profile.olares_id:
                self.profiles[index] = profile
                return profile
        self.profiles.append(profile)
        return profile

    def set_current(self, key: str) -> Profile:
        """olares-cli ``SetCurrent``: ``-`` means previous; moving the pointer demotes the old current.

        Raises:
            NoPreviousProfile: ``-`` with no previous pointer.
            ProfileNotFound: no profile matches ``key``.
        """
        if key == "-":
            if self.previous_profile == "":
                raise NoPreviousProfile
            key = self.previous_profile
        target = self.find_profile(key)
        if target is None:
            raise ProfileNotFound(key)
        new = target.display_name
        if self.current_profile != new:
            self.previous_profile = self.current_profile
            self.current_profile = new
        return target

    def remove(self, key: str) -> Profile:
        """Remove the profile ``key`` names (``find_profile``) and repair the pointers.
        Upstream: beclab/Olares `cli/cmd/ctl/profile/remove.go`.

        olares-cli removes the first profile whose alias *or* Olares ID is ``key``; the two agree
        unless an alias shadows another profile's Olares ID, where we remove the profile that is
        that ID (the one a confirmation showed), never the one that shadows it.

        Raises:
            ProfileNotFound: nothing matched.
        """
        target = self.find_profile(key)
        if target is None:
            raise ProfileNotFound(key)
        return self.drop(target)

    def drop(self, target: Profile) -> Profile:
        """Remove exactly ``target`` (one of ``profiles``, found by identity, so also a profile
        without an Olares ID) and repair the pointers as olares-cli ``Remove`` does."""
        removed = self.profiles.pop(next(i for i, p in enumerate(self.profiles) if p is target))
        if removed.refers_to(self.previous_profile):
            self.previous_profile = ""
        if removed.refers_to(self.current_profile):
            if self.previous_profile and self.find_profile(self.previous_profile) is not None:
                self.current_profile = self.previous_profile
                self.previous_profile = ""
            elif self.profiles:
                self.current_profile = self.profiles[0].display_name
            else:
                self.current_profile = ""
        return removed

    def to_json(self) -> str:
        obj = Pairs()
        if self.current_profile:
            obj.append(("currentProfile", self.current_profile))
        if self.previous_profile:
            obj.append(("previousProfile", self.previous_profile))
        if self.profiles:
            obj.append(("profiles", [p.to_obj() for p in self.profiles]))
        obj.extend(self.extra)
        return dumps_indent(obj)

    @classmethod
    def from_json(cls, text: str | bytes) -> Config:
        """Parse config.json; empty input is an empty config.

        Raises:
            GoJSONError: invalid JSON or a field of the wrong type.
        """
        if len(text) == 0:
            return cls()
        obj = loads(text)
        if obj is None:
            return cls()
        if not isinstance(obj, Pairs):
            raise type_error(obj, "cliconfig.MultiProfileConfig")
        known, unknown = decode_fields(obj, _CONFIG_FIELDS, struct="MultiProfileConfig")
        return cls(
            current_profile=known.get("currentProfile", ""),
            previous_profile=known.get("previousProfile", ""),
            profiles=known.get("profiles", []),
            extra=unknown,
        )


def _os_reason(err: OSError) -> str:
    return (err.strerror or str(err)).lower()


class ConfigStore:
    """Reads and writes ``<home>/config.json``; ``mutate`` is the only way to change it."""

    def __init__(self, paths: Paths, *, lock_timeout: float = 10.0) -> None:
        self.paths = paths
        self.lock_timeout = lock_timeout
        self._snapshot: ParsedFile[Config] = ParsedFile()

    def snapshot(self) -> Config:
        """The config for readers that never change it, re-parsed only when the file changed.

        Cached by file identity (device, inode, size, mtime, ctime; ``ParsedFile``): a rename, an
        in-place rewrite and a write by another process all move it, and a file changed within the last
        two seconds is parsed on every call. Callers must not mutate the result; ``mutate`` always
        re-reads from disk.
        """
        return self._snapshot.get(self.paths.config_file, self.load)

    def load(self) -> Config:
        """The current config; a missing file is an empty config.

        Raises:
            ConfigError: ``read <path>: …`` or ``parse <path>: …``.
        """
        path = self.paths.config_file
        try:
            with path.open("rb") as file:
                data = file.read(MAX_CONFIG_BYTES + 1)
        except FileNotFoundError:
            return Config()
        except OSError as err:
            raise ConfigError(f"read {path}: {_os_reason(err)}") from err
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"parse {path}: file is larger than {MAX_CONFIG_BYTES} bytes")
        try:
            return Config.from_json(data)
        except GoJSONError as err:
            raise ConfigError(f"parse {path}: {err}") from err

    def _save(self, config: Config) -> None:
        path = self.paths.config_file
        try:
            atomic_write(path, config.to_json().encode("utf-8"), f".tmp-{os.urandom(8).hex()}")
        except OSError as err:
            raise ConfigError(f"write {path}: {_os_reason(err)}") from err

    def mutate(self, change: Callable[[Config], T], *, only_if_changed: bool = False) -> T:
        """Under ``locks/config.lock``: re-read, apply ``change``, save. Nothing is saved if it raises.

        ``only_if_changed`` skips the (fsync'd) write when the bytes would be the same: for caches
        such as the owner role, re-stamped within the same second by an agent calling in a loop.

        Raises:
            ConfigError: the lock, the read or the write failed.
        """
        lock = self.paths.config_lock

        def timed_out() -> ConfigError:
            return ConfigError(f"acquire config lock {lock}: timed out after {self.lock_timeout:g}s")

        try:
            with flock_exclusive(lock, self.lock_timeout, timed_out):
                config = self.load()
                before = config.to_json() if only_if_changed else None
                result = change(config)
                if before is None or config.to_json() != before:
                    self._save(config)
                return result
        except OSError as err:  # the lock directory itself could not be created or opened
            raise ConfigError(f"write {self.paths.config_file}: {_os_reason(err)}") from err
