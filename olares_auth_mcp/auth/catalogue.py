"""The error→fix catalogue: every auth error olares-cli (or we) can print, with its one fix.

Data, shared by ``explain_auth_error``, the ``olares://guide/errors`` resource and the
gate. ``must_login`` is true only where logging in is the fix (not logged in, a dead
grant); everything else says why logging in again would not help. No entry ever tells
an agent to retry an auth error in a loop.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Final

from olares_auth_mcp.auth.errors import InvalidOlaresID
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.untrusted import strip_said

__all__ = ["CATALOGUE", "Diagnosis", "Entry", "classify", "find_olares_id"]


@dataclass(frozen=True)
class Entry:
    kind: str
    summary: str
    must_login: bool
    transient: bool
    fix: str  # one command; ``{id}`` is the Olares ID when known
    agent_action: str  # the MCP tool call that does the same, when there is one
    retry: str
    patterns: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["patterns"] = list(self.patterns)
        return out


NO_LOOP: Final = "Do not retry the failed command until the fix is done; never retry an auth error in a loop."
LOGIN = "olares-cli profile login --olares-id {id}"
ASK_HUMAN = "Ask the human; removing a profile and its stored token is their decision, never the agent's."

CATALOGUE: Final[tuple[Entry, ...]] = (
    Entry(
        "managed_profile",
        "The platform issued this credential to an installed application; "
        "it cannot be logged in, imported or removed locally.",
        False,
        False,
        "olares-cli profile list",
        "profile_list",
        "Do not retry. Uninstalling that application is the only way to revoke it; ask the human.",
        (r"its credential is issued by the platform",),
    ),
    Entry(
        "invalidated",
        "The server rejected the refresh token: the grant is dead. "
        "Only a new login (or import) recovers; no remove is needed.",
        True,
        False,
        LOGIN,
        "start_login",
        "Stop and ask the human to log in (start_login). " + NO_LOOP,
        (
            r"refresh token for \S+ became invalid at",
            r"refresh token rejected by server",
            r"the credential for \S+ was rejected at",
            r"auth_token_invalidated",
        ),
    ),
    Entry(
        "not_logged_in",
        "No usable token is stored for this profile (or no profile exists yet).",
        True,
        False,
        LOGIN,
        "start_login",
        "Stop and ask the human to log in (start_login), or import a refresh token from an environment variable. "
        + NO_LOOP,
        (
            r"no access token for \S+",
            r"no Olares profile is configured",
            r"\btoken not found\b",
            r"auth_not_logged_in",
            r"auth_no_profile",
        ),
    ),
    Entry(
        "already_authenticated",
        "A still-valid token is stored: there is nothing to fix, proceed with the original command.",
        False,
        False,
        "olares-cli profile list",
        "auth_readiness",
        "Proceed. Re-login only if the human asks for it; removing the stored token first is their decision.",
        (r"already authenticated for \S+ \(expires in",),
    ),
    Entry(
        "no_exp_claim",
        "A token without an expiry is stored, so a new login is refused; only the human may decide to remove "
        "the profile first.",
        False,
        False,
        ASK_HUMAN,
        "none: ask the human",
        "Stop and tell the human; do not remove anything yourself (it deletes the stored token). " + NO_LOOP,
        (r"expiry can't be determined client-side", r"jwt has no exp claim"),
    ),
    Entry(
        "permission_denied",
        "The identity is authenticated but lacks permission for this resource or action; "
        "logging in again will not help.",
        False,
        False,
        "olares-cli profile whoami --refresh",
        "whoami",
        "Do not retry and do not log in again; tell the human which permission is missing.",
        (r"server rejected the request \(HTTP 403\)", r"does not have permission"),
    ),
    Entry(
        "access_rejected",
        "An auth status (401/403/459) survived the automatic refresh and the one retry.",
        False,
        False,
        "olares-cli profile whoami --refresh",
        "auth_readiness",
        "Do not retry the command. Check once with auth_readiness(live=true): if it says stop, follow its next action.",
        (r"server rejected the access token \(HTTP \d+",),
    ),
    Entry(
        "totp_required",
        "The account needs a two-factor code.",
        False,
        False,
        "olares-cli profile login --olares-id {id} --totp <code>",
        "start_login",
        "Use start_login: the relay asks the human for the code. Do not guess codes.",
        (r"two-factor authentication (is )?required",),
    ),
    Entry(
        "bad_totp",
        "The two-factor code was refused (wrong or expired).",
        False,
        False,
        LOGIN,
        "start_login",
        "Ask the human for a fresh code once; do not retry codes automatically.",
        (r"/api/secondfactor/totp returned HTTP 4\d\d", r"second-factor authentication failed", r"TOTP code is empty"),
    ),
    Entry(
        "bad_password",
        "The password was refused.",
        False,
        False,
        LOGIN,
        "start_login",
        "Ask the human to try again through the secret-entry page; never ask for the password in chat.",
        (r"/api/firstfactor returned HTTP 4\d\d", r"first-factor authentication failed", r"\bpassword is empty\b"),
    ),
    Entry(
        "needs_terminal",
        "The login needs an interactive terminal for the password.",
        False,
        False,
        LOGIN,
        "start_login",
        "Use start_login (it provides the terminal); never pass a password on the command line.",
        (r"stdin is not a terminal",),
    ),
    Entry(
        "profile_not_found",
        "No profile has that name or Olares ID.",
        False,
        False,
        "olares-cli profile list",
        "profile_list",
        "List the profiles and use an exact name; do not guess.",
        (r'profile ".*" not found', r"no previous profile to switch back to"),
    ),
    Entry(
        "managed_pending",
        "A platform-issued profile is still waiting for its credential.",
        False,
        True,
        "olares-cli profile list",
        "profile_list",
        "Wait for the platform to provision it; check again later, a few times at most.",
        (r"\bpending\b.*platform",),
    ),
    Entry(
        "vault_locked",
        "The OS keychain did not answer (locked or blocked).",
        False,
        True,
        "olares-cli profile list",
        "profile_list",
        "Ask the human to unlock the keychain, then check once.",
        (r"keychain access blocked",),
    ),
    Entry(
        "vault_corrupted",
        "The stored token cannot be read (bad master key or damaged record). Nothing was deleted.",
        False,
        False,
        ASK_HUMAN,
        "none: ask the human",
        "Stop and tell the human; only they decide whether to remove the profile and log in again. " + NO_LOOP,
        (
            r"keychain is corrupted",
            r"decode stored token for",
            r"message authentication failed",
            r"ciphertext too short",
            r"keychain not initialized",
        ),
    ),
    Entry(
        "config",
        "config.json cannot be read or written.",
        False,
        False,
        "olares-cli profile list",
        "profile_list",
        "Show the error to the human; the file is left untouched for them to repair.",
        (r"parse \S*config\.json", r"read \S*config\.json", r"write \S*config\.json", r"acquire config lock"),
    ),
    Entry(
        "lock_timeout",
        "Another process held the refresh lock for too long.",
        False,
        True,
        "olares-cli profile list",
        "auth_readiness",
        "Transient: check again once in a minute; do not log in.",
        (r"acquire refresh lock for",),
    ),
    Entry(
        "invalid_olares_id",
        "The Olares ID is malformed.",
        False,
        False,
        "olares-cli profile login --olares-id <local>@<domain>",
        "start_login",
        "Correct the ID (one '@' at most) and try once.",
        (r"olaresId is empty", r"olaresId \".*\" contains more than one '@'", r"--olares-id is required"),
    ),
    Entry(
        "server",
        "The Olares server failed or answered garbage (5xx, bad JSON). The grant is still valid.",
        False,
        True,
        "olares-cli profile whoami --refresh",
        "auth_readiness",
        "Transient: surface it; retry later with backoff, a few times at most. Do not log in again.",
        (
            r"HTTP 5\d\d",
            r"parse /api/\S+ body",
            r"refresh returned empty access_token",
            r"refresh failed:",
            r"decode response",
            r"^\S+: server said: \"",  # a BFL error reply (`whoami: server said: "…"`)
        ),
    ),
    Entry(
        "network",
        "Olares could not be reached (DNS, connection, TLS or timeout). The grant is still valid.",
        False,
        True,
        "olares-cli profile whoami --refresh",
        "auth_readiness",
        "Transient: check the network or the URL; retry later, a few times at most. Do not log in again.",
        (
            r"dial tcp",
            r"connection refused",
            r"no such host",
            r"Name or service not known",
            r"deadline exceeded",
            r"timed? ?out",
            r"certificate",
            r"TLS",
            r"EOF",
            r"ConnectError",
            r"All connection attempts failed",
            r"Server disconnected",
            r"RemoteProtocolError",
        ),
    ),
)

UNCLASSIFIED: Final = Entry(
    "unclassified",
    "Not an auth error this catalogue knows.",
    False,
    False,
    "olares-cli profile list",
    "auth_readiness",
    "Show the error to the human; check auth_readiness once. " + NO_LOOP,
    (),
)

_COMPILED: Final = tuple(
    (entry, tuple(re.compile(p, re.IGNORECASE | re.MULTILINE) for p in entry.patterns)) for entry in CATALOGUE
)
_ID: Final = re.compile(
    r"(?:--olares-id |for |account \"|profile \")([^\s\"';:()@]{1,63}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)"
)
MAX_TEXT: Final = 20_000


def find_olares_id(text: str) -> str | None:
    """The first Olares ID our own messages name (``for <id>``, ``--olares-id <id>``), only when it is a
    well-formed one; never one quoted from a server (``server said: "…"``)."""
    for match in _ID.finditer(strip_said(text[:MAX_TEXT])):
        try:
            return OlaresID.validated(match.group(1), agent=True).raw
        except InvalidOlaresID:
            continue
    return None


@dataclass(frozen=True)
class Diagnosis:
    entry: Entry
    olares_id: str | None

    @property
    def fix(self) -> str:
        return self.entry.fix.replace("{id}", self.olares_id or "<olares-id>")

    @property
    def retry(self) -> str:
        return self.entry.retry.replace("{id}", self.olares_id or "<olares-id>")


def classify(text: str, olares_id: str | None = None) -> Diagnosis:
    """The first catalogue entry (most specific first) whose pattern occurs in what *we* wrote in ``text``.

    Text a server wrote (``server said: "…"``) never picks the entry or the Olares ID. ``olares_id`` is the
    caller's own ID (the session's profile) and wins over any ID found in the text.
    """
    ours = strip_said(text[:MAX_TEXT])
    who = olares_id or find_olares_id(ours)
    for entry, patterns in _COMPILED:
        if any(p.search(ours) for p in patterns):
            return Diagnosis(entry, who)
    return Diagnosis(UNCLASSIFIED, who)
