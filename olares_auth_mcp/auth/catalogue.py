"""The error→fix catalogue: every auth error olares-cli (or we) can print, with its one fix.

Data, shared by ``explain_auth_error``, the ``olares://guide/errors`` resource and the
gate. ``must_login`` is true only where logging in is the fix (not logged in, a dead
grant); everything else says why logging in again would not help. No entry ever tells
an agent to retry an auth error in a loop, or to turn TLS verification off.

A fix is a template: ``{cli}`` is the CLI that is installed (``auth.commands.installed_cli``),
``{id}`` the Olares ID when one is known; when none is, the fix first says to ask the human
for it (``Diagnosis.fix``), so no fix ever carries a placeholder an agent could run as is.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass
from typing import Any, Final

from olares_auth_mcp.auth.commands import OURS
from olares_auth_mcp.auth.errors import InvalidOlaresID
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.untrusted import strip_said

__all__ = ["CATALOGUE", "Diagnosis", "Entry", "classify", "find_olares_id"]


_TRANSIENT_RETRY: Final = (
    "Transient: surface it to the human; check once later with auth_readiness(live=true), a few times at "
    "most. Do not log in again; never retry in a loop."
)


@dataclass(frozen=True)
class Entry:
    kind: str
    summary: str
    must_login: bool
    transient: bool
    fix: str  # one command; ``{cli}`` is the installed CLI, ``{id}`` the Olares ID when known
    agent_action: str  # the MCP tool call that does the same, when there is one
    retry: str
    patterns: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["patterns"] = list(self.patterns)
        return out


NO_LOOP: Final = "Do not retry the failed command until the fix is done; never retry an auth error in a loop."
LOGIN = "{cli} profile login --olares-id {id}"
ASK_HUMAN = "Ask the human; removing a profile and its stored token is their decision, never the agent's."

CATALOGUE: Final[tuple[Entry, ...]] = (
    Entry(
        "managed_profile",
        "The platform issued this credential to an installed application; "
        "it cannot be logged in, imported or removed locally.",
        False,
        False,
        "{cli} profile list",
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
            r"rejected the refresh token",
            r"refresh token (?:\S+ ){0,4}(?:has been|was|is|became) (?:invalidated|invalid|revoked)",
            r"(?:grant|token|credential|session) (?:has been|was) (?:invalidated|revoked)",
            r"\bbecame invalid\b",
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
            r"no (?:current |active )?profile (?:is )?(?:selected|set|configured)",
            r"no current profile",
            r"\bnot logged in\b",
        ),
    ),
    Entry(
        "already_authenticated",
        "A still-valid token is stored: there is nothing to fix, proceed with the original command.",
        False,
        False,
        "{cli} profile list",
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
        "{cli} profile whoami --refresh",
        "whoami",
        "Do not retry and do not log in again; tell the human which permission is missing.",
        (r"server rejected the request \(HTTP 403\)", r"does not have permission"),
    ),
    Entry(
        "totp_required",
        "The account needs a two-factor code.",
        False,
        False,
        "{cli} profile login --olares-id {id} --totp <code>",
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
        "access_rejected",
        "The server answered an auth status (401/403/459) that survived the automatic refresh and the one "
        "retry: the access was rejected, or this identity lacks permission for the resource.",
        False,
        False,
        "{cli} profile whoami --refresh",
        "auth_readiness",
        "Do not retry the command. Check once with auth_readiness(live=true): if it says stop, follow its next "
        "action; if it says proceed, the identity lacks permission for this resource: tell the human. " + NO_LOOP,
        (
            r"server rejected the access token \(HTTP \d+",
            # generic wording, after the specific 401s above (a refused password, code or refresh token)
            r"\bHTTP(?:/\d(?:\.\d)?)? ?(?:status )?(?:code )?:? ?(?:401|403|459)\b",
            r"\b(?:status|code|error)(?: code)?\"?[ :=]+\"?(?:401|403|459)\b",
            r"\b(?:401 Unauthori[sz]ed|403 Forbidden)\b",
            r"\b(?:Unauthori[sz]ed|Forbidden)\b",
        ),
    ),
    Entry(
        "profile_not_found",
        "No profile has that name or Olares ID.",
        False,
        False,
        "{cli} profile list",
        "profile_list",
        "List the profiles and use an exact name; do not guess.",
        (r'profile ".*" not found', r"no previous profile to switch back to"),
    ),
    Entry(
        "managed_pending",
        "A platform-issued profile is still waiting for its credential.",
        False,
        True,
        "{cli} profile list",
        "profile_list",
        "Wait for the platform to provision it; check again later, a few times at most.",
        (r"\bpending\b.*platform",),
    ),
    Entry(
        "vault_locked",
        "The OS keychain did not answer (locked or blocked).",
        False,
        True,
        "{cli} profile list",
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
        "{cli} profile list",
        "profile_list",
        "Show the error to the human; the file is left untouched for them to repair.",
        (r"parse \S*config\.json", r"read \S*config\.json", r"write \S*config\.json", r"acquire config lock"),
    ),
    Entry(
        "lock_timeout",
        "Another process held the refresh lock for too long.",
        False,
        True,
        "{cli} profile list",
        "auth_readiness",
        "Transient: check again once in a minute; do not log in.",
        (r"acquire refresh lock for",),
    ),
    Entry(
        "invalid_olares_id",
        "The Olares ID is malformed.",
        False,
        False,
        "{cli} profile login --olares-id <local>@<domain>",
        "start_login",
        "Correct the ID (one '@' at most) and try once.",
        (r"olaresId is empty", r"olaresId \".*\" contains more than one '@'", r"--olares-id is required"),
    ),
    Entry(
        "tls",
        "The TLS connection to Olares was refused: the box's certificate did not verify (expired, self-signed, "
        "for another host) or this computer's clock is wrong. Not transient; the grant is still valid.",
        False,
        False,
        "Check the box's certificate or this computer's clock; a human may choose `--insecure-skip-verify` "
        "with the CLI ({cli} profile login).",
        "none: tell the human",
        "Do not retry and do not log in again: tell the human the certificate did not verify. Never turn TLS "
        "verification off yourself; only the human may choose that. " + NO_LOOP,
        (
            r"x509",
            r"certificate",
            r"CERTIFICATE_VERIFY_FAILED",
            r"\bSSL(?:Error|:| error)",
            r"\btls: ",
            r"handshake failure",
            r"unknown (?:certificate )?authority",
        ),
    ),
    Entry(
        "server",
        "The Olares server failed or answered garbage (5xx, bad JSON). The grant is still valid.",
        False,
        True,
        "{cli} profile whoami --refresh",
        "auth_readiness",
        _TRANSIENT_RETRY,
        (
            r"HTTP 5\d\d",
            r"\b(?:status|code)(?: code)?\"?[ :=]+\"?5\d\d\b",
            r"\b5\d\d (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out)\b",
            r"parse /api/\S+ body",
            r"refresh returned empty access_token",
            r"refresh failed:",
            r"decode response",
            r"^\S+: server said: \"",  # a BFL error reply (`whoami: server said: "…"`)
        ),
    ),
    Entry(
        "network",
        "Olares could not be reached: its host name did not resolve, or the connection was refused. "
        "The grant is still valid.",
        False,
        False,
        "Check the Olares ID's domain (spelled right? the box online?) and this computer's network, then: "
        "{cli} profile whoami --refresh",
        "auth_readiness",
        "Check the Olares ID's domain and the network first, then check once with auth_readiness(live=true). "
        "Do not log in again; never retry in a loop.",
        (
            r"no such host",
            r"Name or service not known",
            r"nodename nor servname",
            r"Temporary failure in name resolution",
            r"getaddrinfo",
            r"\bNXDOMAIN\b",
            r"\b(?:DNS|name resolution)\b",
            r"connection refused",
            r"ECONNREFUSED",
            r"network is unreachable",
            r"no route to host",
            r"dial tcp",
            r"ConnectError",
            r"All connection attempts failed",
        ),
    ),
    Entry(
        "timeout",
        "The request to Olares timed out or the connection dropped midway. The grant is still valid.",
        False,
        True,
        "{cli} profile whoami --refresh",
        "auth_readiness",
        _TRANSIENT_RETRY,
        (
            r"deadline exceeded",
            r"timed? ?out",
            r"\bEOF\b",
            r"connection reset",
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
    "{cli} profile list",
    "auth_readiness",
    "Show the error to the human; check auth_readiness once. " + NO_LOOP,
    (),
)

_COMPILED: Final = tuple(
    (entry, tuple(re.compile(p, re.IGNORECASE | re.MULTILINE) for p in entry.patterns)) for entry in CATALOGUE
)
_ID: Final = re.compile(
    r"(?:--olares-id[ =]|\bfor |\baccount |\bprofile |\bOlares ID:? |\bolaresId[ =]|\bas |\buser |^)[\"'`]?"
    r"([^\s\"'`;:()@]{1,63}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)",
    re.MULTILINE,
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


NO_ID: Final = "<their Olares ID>"
ASK_ID: Final = "Ask the human for their Olares ID (name@domain) and use exactly what they say; never guess it. Then: "


@dataclass(frozen=True)
class Diagnosis:
    entry: Entry
    olares_id: str | None
    cli: str = OURS

    @property
    def fix(self) -> str:
        """The entry's fix for this CLI and Olares ID; without an ID, it first says to ask the human for it."""
        return self._filled(self.entry.fix)

    @property
    def retry(self) -> str:
        return self._filled(self.entry.retry)

    def _filled(self, template: str) -> str:
        text = template.replace("{cli}", self.cli)
        if "{id}" not in text:
            return text
        if self.olares_id:
            return text.replace("{id}", shlex.quote(self.olares_id))
        return ASK_ID + text.replace("{id}", NO_ID)


def classify(text: str, olares_id: str | None = None, *, cli: str = OURS) -> Diagnosis:
    """The first catalogue entry (most specific first) whose pattern occurs in what *we* wrote in ``text``.

    Text a server wrote (``server said: "…"``) never picks the entry or the Olares ID. ``olares_id`` is the
    caller's own ID (the session's profile) and wins over any ID found in the text. ``cli`` is the program
    the fix names (``auth.commands.installed_cli``).
    """
    ours = strip_said(text[:MAX_TEXT])
    who = olares_id or find_olares_id(ours)
    for entry, patterns in _COMPILED:
        if any(p.search(ours) for p in patterns):
            return Diagnosis(entry, who, cli)
    return Diagnosis(UNCLASSIFIED, who, cli)
