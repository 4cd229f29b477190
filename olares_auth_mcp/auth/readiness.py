"""The auth-readiness gate: may an agent proceed with a command on this profile, and if not, what next.

Proceed on ``logged-in`` and ``expired`` (the transport refreshes an expired token on
the first 401); stop on ``never``, ``invalidated`` and everything that a request
could not get past, each with the exact next step. ``assess`` is local and pure
given its inputs; ``assess_live`` layers the ``Account``-backed live check on it, and ``gate``
is the whole answer an agent gets: the local verdict, the environment hints and, when asked,
the server's word.
"""

from __future__ import annotations

import bisect
import functools
import shlex
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from olares_auth_mcp.auth.catalogue import NO_ID, classify
from olares_auth_mcp.auth.commands import OURS, CliName, cli_name, installed_cli, login_command
from olares_auth_mcp.auth.config import Config
from olares_auth_mcp.auth.errors import (
    AccessRejected,
    AuthError,
    InvalidOlaresID,
    NotLoggedIn,
    PermissionDenied,
    ServerError,
    TokenInvalidated,
    VaultError,
)
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.profiles import ProfileRow, profile_row, rows_from
from olares_auth_mcp.auth.status import Status, status_changes_at
from olares_auth_mcp.auth.table import render_table
from olares_auth_mcp.auth.vault import EncryptedFileStore, Found, TokenVault
from olares_auth_mcp.auth.vault._files import stat_once

if TYPE_CHECKING:
    from olares_auth_mcp.auth.account import Account

__all__ = [
    "NO_OLARES_ID",
    "ListingCache",
    "NextAction",
    "ProfileListing",
    "Readiness",
    "assess",
    "assess_live",
    "environment_hints",
    "gate",
    "listing",
    "loose_key_hints",
]

Decision = Literal["proceed", "stop"]


ASK_FOR_ID = (
    "Ask the human for their Olares ID (name@domain); never guess or invent it. Then call start_login with "
    "olares_id set to exactly what they said."
)
ASK_TO_RUN = (
    "start_login does not accept this profile's Olares ID as it is written; ask the human to run the command "
    "themselves in a terminal."
)


@dataclass(frozen=True)
class NextAction:
    """The tool an agent calls next, and the command a human would run instead (the installed CLI).

    ``arguments`` are always complete and callable as given, or empty with ``ask_human`` saying what the
    agent must ask the human first (their Olares ID): no argument is ever a placeholder. ``tool`` is
    ``"none"`` when no tool can do it and only the human can (``ask_human`` says so).
    """

    tool: str
    arguments: dict[str, object]
    command: str
    ask_human: str | None = None


@dataclass(frozen=True)
class Readiness:
    decision: Decision
    status: str
    reason: str
    next_action: NextAction | None
    checked: Literal["local", "server"] = "local"
    profile: str | None = None
    olares_id: str | None = None
    expires_in_seconds: int | None = None
    hints: list[str] = field(default_factory=list)


def _login(olares_id: str | None, named: CliName) -> NextAction:
    """A login: ``start_login`` with an Olares ID the tool accepts, else what to ask the human."""
    cli = cli_name(named)
    if not olares_id:
        return NextAction("start_login", {}, f"{cli} profile login --olares-id {NO_ID}", ask_human=ASK_FOR_ID)
    try:
        OlaresID.validated(olares_id, agent=True)
    except InvalidOlaresID:
        return NextAction("none", {}, login_command(cli, olares_id), ask_human=ASK_TO_RUN)
    return NextAction("start_login", {"olares_id": olares_id}, login_command(cli, olares_id))


def loose_key_hints(vault: TokenVault, accounts: Collection[str] | None = None) -> list[str]:
    """Ours: one hint per key file or token file other users can read or that another user owns, with the fix.

    olares-cli reads such files anyway, so the files are still used: this warns, it never refuses.
    ``accounts`` limits the token files looked at (the gate: one profile's); None looks at all of them.
    """
    store = getattr(vault, "store", None)
    if not isinstance(store, EncryptedFileStore):
        return []
    hints = []
    for path, why in store.loose_files(accounts):
        quoted = shlex.quote(str(path))
        if why.startswith("is owned by"):
            fix = f"sudo chown $(id -u) {quoted} && chmod 600 {quoted}"
        else:
            fix = f"chmod 600 {quoted}"
        hints.append(
            f"{path} {why}: whoever can read it can decrypt or use the stored tokens; olares-cli still "
            f"reads it, so it is used, not refused. Fix: {fix}"
        )
    return hints


def environment_hints(
    statuses: Collection[str],
    vault: TokenVault,
    legacy_tokens_exists: bool,
    accounts: Collection[str] | None = None,
) -> list[str]:
    """Hints for profiles in ``statuses`` (one gate answer, or every row of a listing): a leftover plaintext
    tokens.json, which backend holds the tokens, and (ours) key material with loose permissions or a
    foreign owner (``loose_key_hints``, over ``accounts``' token files, or all). Each hint once, whatever the
    number of profiles: one directory scan at most."""
    hints = loose_key_hints(vault, accounts)
    if Status.NEVER in statuses and legacy_tokens_exists:
        hints.append(
            "~/.olares-cli/tokens.json (the deprecated plaintext store) exists: this user probably upgraded "
            "olares-cli, whose keychain-era builds ignore that file. Log in again; the file is never read or "
            "deleted by this server."
        )
    if vault.backend == "file-fallback":
        hints.append(
            "Tokens are in the file fallback (master.key.file next to the .enc files), not the system keychain: "
            "anyone who can read that directory can decrypt them."
        )
    return hints


_VERDICTS: dict[Status, tuple[Decision, str, str | None]] = {
    Status.LOGGED_IN: ("proceed", "A valid access token is stored.", None),
    Status.EXPIRED: (
        "proceed",
        "The access token has expired; the next request refreshes it once, transparently.",
        None,
    ),
    Status.NEVER: (
        "stop",
        "No token is stored for this profile: the human must log in (the password never goes through you).",
        "login",
    ),
    Status.INVALIDATED: (
        "stop",
        "The server rejected this profile's refresh token; only a new login recovers (no remove needed).",
        "login",
    ),
    Status.UNPARSEABLE: (
        "stop",
        "The stored access token is not a readable JWT, so requests would fail; a new login overwrites it.",
        "login",
    ),
    Status.PENDING: (
        "stop",
        "A platform-issued profile is still waiting for its credential; wait, do not log in.",
        "list",
    ),
    Status.UNKNOWN: (
        "stop",
        "The stored token cannot be read (keychain locked or record damaged); nothing was deleted.",
        "list",
    ),
}


NO_OLARES_ID = (
    "This profile has no Olares ID in config.json, so no token can belong to it: log in with the Olares ID "
    "(that adds a profile) and remove this one."
)


def _for_row(row: ProfileRow, cli: CliName, now: float) -> Readiness:
    if row.olares_id == "":  # listed as unknown, like olares-cli; the fix is a login, not a retry
        return Readiness(
            "stop",
            status=str(row.status),
            reason=NO_OLARES_ID,
            next_action=_login(None, cli),
            profile=row.name or None,
            olares_id=None,
        )
    decision, reason, step = _VERDICTS[row.status]
    action = None
    if step == "login":
        action = _login(row.olares_id, cli)  # the profile's Olares ID, never its alias
    elif step == "list":
        action = NextAction("profile_list", {}, f"{cli_name(cli)} profile list")
    return Readiness(
        decision,
        status=str(row.status),
        reason=reason,
        next_action=action,
        profile=row.name,
        olares_id=row.olares_id,
        expires_in_seconds=row.expires_in(now),
    )


def assess(config: Config, vault: TokenVault, *, target: str | None, now: float, cli: CliName = OURS) -> Readiness:
    """The local gate for ``target`` (a name or Olares ID) or, by default, the current profile.

    ``cli`` is the program ``next_action.command`` names, or how to find it (``auth.commands.installed_cli``).
    """
    if target is not None:
        profile = config.find_profile(target)
        if profile is None:
            return Readiness(
                "stop",
                status="no-profile",
                reason=f"No profile is named {target!r}.",
                next_action=_login(target if _agent_id(target) else None, cli)
                if "@" in target
                else NextAction("profile_list", {}, f"{cli_name(cli)} profile list"),
            )
    else:
        profile = config.current()
        if profile is None:
            return Readiness(
                "stop",
                status="no-profile",
                reason="No Olares profile is configured (or the current pointer names a missing profile).",
                next_action=_login(None, cli),
            )
    return _for_row(profile_row(config, profile, vault, now=now), cli, now)


def _agent_id(raw: str) -> bool:
    try:
        OlaresID.validated(raw, agent=True)
    except InvalidOlaresID:
        return False
    return True


def assess_live(
    account: Account, local: Readiness, *, target: str | None, clock: Callable[[], float], cli: CliName = OURS
) -> Readiness:
    """``local`` checked against the server through the refreshing transport (one authenticated request).

    An expired token is refreshed on the way; a dead grant becomes ``invalidated``; a transient failure
    says so and never asks for a login.
    """
    login = _login(local.olares_id, cli)
    server = replace(local, checked="server")
    try:
        account.verify(target)
    except TokenInvalidated:
        reason = "The server rejected the refresh token just now; only a new login recovers."
        return replace(server, decision="stop", status="invalidated", reason=reason, next_action=login)
    except NotLoggedIn:
        reason = "No usable refresh token is stored."
        return replace(server, decision="stop", status="never", reason=reason, next_action=login)
    except PermissionDenied:
        reason = "Authenticated, but this identity may not read its user info; business commands may still work."
        return replace(_reassess(account, server, target, clock, cli), reason=reason)
    except AccessRejected as err:
        reason = f"The server still rejects the token after one refresh and retry (HTTP {err.status}); log in again."
        return replace(server, decision="stop", reason=reason, next_action=login)
    except AuthError as err:
        if isinstance(err, ServerError) and not err.transient:
            raise
        reason = (
            f"Could not verify with the server ({classify(str(err)).entry.kind}): the grant is still valid. "
            "Retry later; do not log in again."
        )
        command = f"{cli_name(cli)} profile whoami --refresh"
        again = NextAction("auth_readiness", {"profile": target, "live": True}, command)
        return replace(server, decision="stop", reason=reason, next_action=again)
    reason = "The server accepted the credential (refreshed first if it had expired)."
    return replace(_reassess(account, server, target, clock, cli), reason=reason)


def _reassess(
    account: Account, server: Readiness, target: str | None, clock: Callable[[], float], cli: CliName
) -> Readiness:
    """The local view after a live call: status and expiry reflect a refresh that just happened."""
    fresh = assess(account.store.load(), account.vault, target=target, now=clock(), cli=cli)
    return replace(
        server, decision="proceed", status=fresh.status, expires_in_seconds=fresh.expires_in_seconds, next_action=None
    )


def gate(account: Account, *, target: str | None = None, live: bool = False) -> Readiness:
    """The auth-readiness gate's complete answer for ``target`` (a name or Olares ID; default: the current profile).

    The local verdict (``assess``), the environment hints for that one profile (``environment_hints``:
    its own token file, not every profile's), and with ``live`` the server's word (``assess_live``, only
    when the local verdict is to proceed). ``next_action.command`` names the CLI installed on the
    account's ``PATH``, looked up only when a command is named.
    """
    cli = functools.cache(lambda: installed_cli(account.env))
    with stat_once():  # the profile's token file and the key file, stat-ed once for the verdict and the hints
        local = assess(account.store.snapshot(), account.vault, target=target, now=account.clock(), cli=cli)
        legacy = account.paths.legacy_tokens_file.exists()
        accounts = [local.olares_id] if local.olares_id else []
        local = replace(local, hints=environment_hints({local.status}, account.vault, legacy, accounts))
    if live and local.decision == "proceed":
        return assess_live(account, local, target=target, clock=account.clock, cli=cli)
    return local


@dataclass(frozen=True)
class ProfileListing:
    """``profile list``'s answer: the rows and their table, the current profile's name, what the listing warns
    about, and ``now``, the instant it describes (``ProfileRow.shown(now)``)."""

    rows: list[ProfileRow]
    table: str
    current: str | None
    token_backend: str
    warnings: list[str]
    hints: list[str]
    now: float


@dataclass(frozen=True)
class _Made:
    config: Config
    found: Sequence[Found]
    rows: list[ProfileRow]
    table: str
    now: float
    turns: list[int]  # sorted: the instants at which a row's status changes with the clock alone


class ListingCache:
    """The last listing's rows and table, kept for the next while nothing they were made of changed.

    Rows are made of the config snapshot (one object per parse of config.json, never mutated; an equal one
    while the file is too recent to be kept by identity), the vault's answer for each profile (the same
    record object while its token file is unchanged: every layer below reads a file again when its identity
    moves, ctime included) and the clock. So for an equal config and the identical answers, the rows and
    their table are the last listing's, unless the clock has passed a token's expiry since (in either
    direction): then they are made again. Rows hold the absolute expiry, so seconds to expiry are always
    counted from the listing's own ``now``. One cache per server; it holds one listing.
    """

    def __init__(self) -> None:
        self._last: _Made | None = None

    def rows_and_table(self, config: Config, found: Sequence[Found], now: float) -> tuple[list[ProfileRow], str]:
        last = self._last  # one read: another thread may replace it meanwhile, never change it
        if last is not None and (last.config is config or last.config == config) and _same(last.found, found):
            low, high = sorted((last.now, now))
            if bisect.bisect_right(last.turns, high) == bisect.bisect_right(last.turns, low):  # none in (low, high]
                return last.rows, last.table
        rows = rows_from(config, found, now=now)
        turns = sorted(t for row in rows if (t := status_changes_at(row.status, row.expires_at)) is not None)
        made = _Made(config, found, rows, render_table(rows), now, turns)
        self._last = made
        return made.rows, made.table


def _same(kept: Sequence[Found], found: Sequence[Found]) -> bool:
    """The same answers: the same record objects (or both none); an error is never the same (made anew)."""
    return len(kept) == len(found) and all(
        a is b and not isinstance(a, VaultError) for a, b in zip(kept, found, strict=True)
    )


def listing(account: Account, *, refresh_version: bool = False, cache: ListingCache | None = None) -> ProfileListing:
    """Every profile with its status, and the environment hints for all of them (one scan, each hint once).

    ``refresh_version`` re-fetches the current profile's Olares version first (a network call that writes the
    cache); its failure is a warning, never an error. ``cache`` reuses the last listing's rows and table when
    nothing they were made of changed (``ListingCache``); the vault is read and the hints made either way.
    """
    warnings = []
    if refresh_version:
        try:
            account.refresh_version()
        except AuthError as err:
            warnings.append(f"warning: could not refresh backend version for the current profile: {err}")
    config = account.store.snapshot()
    now = account.clock()
    with stat_once():  # each token file stat-ed once for its row and its permissions, the key file once
        found = account.vault.get_many([profile.olares_id for profile in config.profiles])
        rows, table = (ListingCache() if cache is None else cache).rows_and_table(config, found, now)
        warnings.extend(row.warning for row in rows if row.warning)
        legacy = account.paths.legacy_tokens_file.exists()
        hints = sorted(environment_hints({str(row.status) for row in rows}, account.vault, legacy))
    current = config.current()
    return ProfileListing(
        rows, table, current.display_name if current else None, account.vault.backend, warnings, hints, now
    )
