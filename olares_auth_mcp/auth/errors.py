"""Every error of the olares-cli profile layer, each message written once.

The wording is olares-cli's, byte for byte (docs/compatibility.md). Each
class carries its fields and builds its text in ``__str__``; ``kind`` names
its entry in the error→fix catalogue (``auth.catalogue``)::

    AuthError
    ├── UsageError                 flag and argument misuse (`--olares-id is required`, …)
    │   ├── InvalidOlaresID        `olaresId is empty` / `… contains more than one '@'`
    │   └── ProfileConflict        (ours) a name or token file another profile already has
    ├── ConfigError                `parse <path>: …`, `read <path>: …`, write failures
    ├── ProfileNotFound            `profile "<key>" not found`
    ├── NoPreviousProfile          `no previous profile to switch back to`
    ├── NoProfile                  `no Olares profile is configured: …`
    ├── NotLoggedIn                `no access token for <id>; run: …`
    ├── TokenInvalidated           `refresh token for <id> became invalid at <ts>; …`
    ├── AlreadyAuthenticated       `already authenticated for <id> (expires in <dur>).\\n…`
    ├── ExpiryUnknown              `a token is already stored for <id> but its expiry …`
    ├── JWTError                   `token is empty`, `token does not look like a JWT …`
    │   └── NoExpClaim             `jwt has no exp claim`
    ├── VaultError                 `keychain <Op> failed for olares-cli/<account>: <cause>`
    │   ├── TokenNotFound          `token not found`
    │   ├── VaultCorrupted         `keychain is corrupted`
    │   ├── VaultLocked            `keychain access blocked`
    │   ├── TokenDecodeError       `decode stored token for <id>: <err>`
    │   └── ForeignRecord          (ours) the record names another Olares ID
    ├── InputError                 `password is empty`, `stdin is not a terminal; …`, …
    ├── ManagedProfile             `cannot <verb> <id>: its credential is issued by the platform …`
    ├── TOTPRequired               `two-factor authentication [is ]required: re-run with --totp <code>`
    ├── ServerError                an HTTP exchange failed; ``transient`` says whether retrying may help
    │   ├── LoginFailed            `/api/firstfactor returned HTTP …`, `first-factor authentication failed: …`
    │   ├── RefreshRejected        `refresh token rejected by server: /api/refresh returned HTTP …`
    │   ├── RefreshFailed          `refresh failed: …`, `refresh returned empty access_token`, 5xx, transport
    │   ├── AccessRejected         `server rejected the access token (HTTP <n>); please run: …`
    │   └── PermissionDenied       `server rejected the request (HTTP 403); …`
    └── LockTimeout                `acquire refresh lock for <id>: context deadline exceeded`
"""

from __future__ import annotations

import json
from typing import ClassVar

__all__ = [
    "AccessRejected",
    "AlreadyAuthenticated",
    "AuthError",
    "ConfigError",
    "ExpiryUnknown",
    "ForeignRecord",
    "InputError",
    "InvalidOlaresID",
    "JWTError",
    "LockTimeout",
    "LoginFailed",
    "ManagedProfile",
    "NoExpClaim",
    "NoPreviousProfile",
    "NoProfile",
    "NotLoggedIn",
    "PermissionDenied",
    "ProfileConflict",
    "ProfileNotFound",
    "RefreshFailed",
    "RefreshRejected",
    "ServerError",
    "TOTPRequired",
    "TokenDecodeError",
    "TokenInvalidated",
    "TokenNotFound",
    "UsageError",
    "VaultCorrupted",
    "VaultError",
    "VaultLocked",
    "format_go_rfc3339",
    "humanize_duration",
]


class AuthError(Exception):
    """Root of every error this package raises on purpose."""

    kind: ClassVar[str] = "unclassified"
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(AuthError, ValueError):
    """A flag or argument is missing or malformed."""

    kind = "usage"


class InvalidOlaresID(UsageError):
    """The Olares ID cannot be parsed (olares-cli `ParseID`)."""

    kind = "invalid_olares_id"

    def __init__(self, raw: str, reason: str = "") -> None:
        self.raw = raw
        if raw.strip() == "":
            text = "olaresId is empty"
        elif reason:
            # ascii(): the ID may come from an agent; never print its control, bidi or look-alike characters raw
            text = f"olaresId {raw!a} is not a valid Olares ID: {reason}"
        else:
            text = f"olaresId {go_quote(raw)} contains more than one '@'"
        super().__init__(text)


class ProfileConflict(UsageError):
    """Ours: the write would give two profiles one name or one token file, or the target moved.

    Refused before anything is written; the message says which profile is in the way.
    """

    kind = "usage"


class ConfigError(AuthError):
    """config.json cannot be read, parsed or written."""

    kind = "config"


class ProfileNotFound(AuthError, LookupError):
    """No profile matches the key (by Olares ID first, then by alias: ``Config.find_profile``)."""

    kind = "profile_not_found"

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"profile {go_quote(key)} not found")


class NoPreviousProfile(AuthError, LookupError):
    """`profile use -` with nothing to go back to."""

    kind = "no_previous_profile"

    def __init__(self) -> None:
        super().__init__("no previous profile to switch back to")


class NoProfile(AuthError):
    """No profile is configured, or the current pointer resolves to nothing."""

    kind = "no_profile"

    def __init__(self) -> None:
        super().__init__(
            "no Olares profile is configured: run `olares-cli profile login --olares-id <id>` "
            "or `olares-cli profile import --olares-id <id> --refresh-token <tok>`"
        )


class NotLoggedIn(AuthError):
    """The profile exists but no usable token (or no refresh token) is stored."""

    kind = "not_logged_in"

    def __init__(self, olares_id: str) -> None:
        self.olares_id = olares_id
        super().__init__(
            f"no access token for {olares_id}; run: olares-cli profile login --olares-id {olares_id}"
            "  (or profile import --refresh-token <tok>)"
        )


class TokenInvalidated(AuthError):
    """The server rejected the grant; only a new login or import recovers."""

    kind = "invalidated"

    def __init__(self, olares_id: str, invalidated_at_ms: int) -> None:
        self.olares_id = olares_id
        self.invalidated_at_ms = invalidated_at_ms
        ts = format_go_rfc3339(invalidated_at_ms)
        super().__init__(
            f"refresh token for {olares_id} became invalid at {ts}; please run: "
            f"olares-cli profile login --olares-id {olares_id}"
            f"  (or profile import --olares-id {olares_id} --refresh-token <tok>)"
        )


class AlreadyAuthenticated(AuthError):
    """Login/import refused: a still-valid token is stored for this Olares ID."""

    kind = "already_authenticated"

    def __init__(self, olares_id: str, remaining_seconds: float) -> None:
        self.olares_id = olares_id
        self.remaining_seconds = remaining_seconds
        super().__init__(
            f"already authenticated for {olares_id} (expires in {humanize_duration(remaining_seconds)}).\n"
            f"to re-authenticate, run: olares-cli profile remove {olares_id}"
        )


class ExpiryUnknown(AuthError):
    """Login/import refused: a token without an `exp` claim is stored."""

    kind = "no_exp_claim"

    def __init__(self, olares_id: str) -> None:
        self.olares_id = olares_id
        super().__init__(
            f"a token is already stored for {olares_id} but its expiry can't be determined client-side.\n"
            f"to re-authenticate, run: olares-cli profile remove {olares_id}"
        )


class JWTError(AuthError, ValueError):
    """The access token is not a JWT whose `exp` can be read (olares-cli `jwt.go`)."""

    kind = "bad_jwt"


class NoExpClaim(JWTError):
    """The JWT decodes but carries no (or a zero) `exp`."""

    def __init__(self) -> None:
        super().__init__("jwt has no exp claim")


class VaultError(AuthError):
    """The token store failed; the OS-level cause is chained."""

    kind = "vault"

    @classmethod
    def op_failed(cls, op: str, account: str, cause: object) -> VaultError:
        return cls(f"keychain {op} failed for olares-cli/{account}: {cause}")


class TokenNotFound(VaultError, LookupError):
    """No record is stored for this Olares ID."""

    kind = "not_logged_in"

    def __init__(self) -> None:
        super().__init__("token not found")


class VaultCorrupted(VaultError):
    """The master key has the wrong length or a blob does not authenticate."""

    def __init__(self, detail: str = "keychain is corrupted") -> None:
        super().__init__(detail)


class VaultLocked(VaultError):
    """The OS keychain did not answer in time or refused access."""

    kind = "vault_locked"

    def __init__(self) -> None:
        super().__init__("keychain access blocked")


class TokenDecodeError(VaultError):
    """A decrypted record is not valid token JSON."""

    def __init__(self, olares_id: str, detail: str) -> None:
        self.olares_id = olares_id
        super().__init__(f"decode stored token for {olares_id}: {detail}")


class ForeignRecord(VaultError):
    """Ours: the record stored under this Olares ID names another one (two IDs share a token file).

    ``alice@olares.com`` and ``alice_olares.com`` both map to ``alice_olares.com.enc``;
    a record written for one is never handed out as the other's token.
    """

    def __init__(self, olares_id: str, stored: str) -> None:
        self.olares_id = olares_id
        self.stored = stored
        shown = json.dumps(stored[:64] + ("…" if len(stored) > 64 else ""))  # ASCII-escaped: it came from a file
        super().__init__(f"the stored record is for olaresId {shown}, not this one (two IDs share one token file)")


class InputError(AuthError):
    """Interactive input is missing or unreadable (password, TOTP, stdin)."""

    kind = "input"


class TOTPRequired(AuthError):
    """The account needs a second factor and none was given."""

    kind = "totp_required"

    def __init__(self, *, cli: bool = False) -> None:
        # The library sentinel says "is required"; the login command rewords it.
        verb = "required" if cli else "is required"
        super().__init__(f"two-factor authentication {verb}: re-run with --totp <code>")


class ServerError(AuthError):
    """An HTTP exchange with Olares failed.

    ``transient`` is true for transport errors, timeouts, 5xx and undecodable
    bodies: retrying later may help, logging in again will not.
    """

    kind = "server"

    def __init__(self, message: str, *, status: int | None = None, transient: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient


class LoginFailed(ServerError):
    """First or second factor refused (wrong password, wrong code, bad reply)."""

    kind = "login_failed"


class RefreshRejected(ServerError):
    """`/api/refresh` answered 401/403/459 with a JSON object: the grant is dead."""

    kind = "invalidated"

    def __init__(self, status: int, body: str) -> None:
        super().__init__(
            f"refresh token rejected by server: /api/refresh returned HTTP {status}: {body}",
            status=status,
            transient=False,
        )


class RefreshFailed(ServerError):
    """`/api/refresh` failed in a way that does not prove the grant is dead."""

    kind = "server"


class AccessRejected(ServerError):
    """An auth status (401/403/459) survived the refresh and the one retry."""

    kind = "access_rejected"

    def __init__(self, olares_id: str, status: int, body: str = "") -> None:
        detail = f"HTTP {status}: {body}" if body else f"HTTP {status}"
        super().__init__(
            f"server rejected the access token ({detail}); please run: "
            f"olares-cli profile login --olares-id {olares_id}",
            status=status,
            transient=False,
        )
        self.olares_id = olares_id


class PermissionDenied(ServerError):
    """A 403 that survived the refresh: the identity lacks permission."""

    kind = "permission_denied"

    def __init__(self) -> None:
        super().__init__(
            "server rejected the request (HTTP 403); the active identity does not have permission "
            "for this resource or action; inspect it with `olares-cli profile whoami --refresh`",
            status=403,
            transient=False,
        )


class ManagedProfile(AuthError):
    """olares-cli ``ErrManagedProfile``: the platform issued this credential; verbs are refused."""

    kind = "managed_profile"

    def __init__(self, verb: str, olares_id: str, app_name: str = "") -> None:
        owner = f'for application "{app_name}"' if app_name else "for an installed application"
        super().__init__(
            f"cannot {verb} {olares_id}: its credential is issued by the platform {owner} "
            "and is not stored locally; uninstall that application to revoke it"
        )


class LockTimeout(AuthError, TimeoutError):
    """The cross-process refresh lock was not acquired in time."""

    kind = "lock_timeout"

    def __init__(self, olares_id: str) -> None:
        self.olares_id = olares_id
        super().__init__(f"acquire refresh lock for {olares_id}: context deadline exceeded")


def ascii_quote(text: str) -> str:
    """Ours: a double-quoted, ASCII-only rendering (JSON escapes) for names we did not choose."""
    return json.dumps(text)


def go_quote(text: str) -> str:
    """Go's ``%q`` for the strings we quote: plain ASCII ids come out as ``"…"``."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def humanize_duration(seconds: float) -> str:
    """olares-cli's ``humanizeDuration``: ``45s``, ``12m3s``, ``23h59m`` (days folded into hours).

    Go's ``int(d.Seconds())`` truncates; we truncate too (the rounding mode is
    not pinned by a test upstream, truncation is what the Go expression does).
    """
    total = max(int(seconds), 0)
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m{total % 60}s"
    return f"{total // 3600}h{(total % 3600) // 60}m"


def format_go_rfc3339(ms: int) -> str:
    """Go ``time.Format(time.RFC3339)`` of a unix-ms instant in the local zone (``Z`` at offset 0)."""
    from datetime import UTC, datetime  # rare (an invalidated profile's message): off the CLI start-up path

    moment = datetime.fromtimestamp(ms // 1000, tz=UTC).astimezone()
    text = moment.strftime("%Y-%m-%dT%H:%M:%S%z")
    offset = text[-5:]
    if offset in ("+0000", "-0000"):
        return text[:-5] + "Z"
    return f"{text[:-5]}{offset[:3]}:{offset[3:]}"
