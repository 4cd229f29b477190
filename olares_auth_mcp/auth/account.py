"""Account operations over the wire, shared by the CLI and the MCP tools: login, import, whoami, version.

``Account`` holds the injected dependencies (paths, vault, HTTP factory, clock,
environment); every method returns a plain result for its caller to print or shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import InitVar, dataclass, field

import httpx

from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.credentials import Credentials, resolve_credentials
from olares_auth_mcp.auth.errors import (
    AccessRejected,
    AuthError,
    LoginFailed,
    PermissionDenied,
    ServerError,
    UsageError,
)
from olares_auth_mcp.auth.httpx_auth import OlaresAuth, TokenCell
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.profiles import (
    MAX_VERSION_LENGTH,
    PersistResult,
    ProfileFlags,
    cache_backend_version,
    cache_owner_role,
    cacheable_version,
    ensure_profile_writable,
    known_role,
    persist_grant,
)
from olares_auth_mcp.auth.refresh import Refresher
from olares_auth_mcp.auth.tokens import Grant
from olares_auth_mcp.auth.untrusted import clean, said, scrub
from olares_auth_mcp.auth.vault import TokenVault
from olares_auth_mcp.auth.wire import (
    AUTH_STATUSES,
    EXCHANGE_SECONDS,
    ClientPool,
    Endpoints,
    HttpFactory,
    bfl_data,
    bounded,
    first_factor,
    refresh_grant,
    second_factor,
    server_body,
    wrong_code,
)
from olares_auth_mcp.auth.wire import login as wire_login

__all__ = ["Account", "LoginOutcome", "WhoamiResult", "role_label"]

USER_INFO = "/api/backend/v1/user-info"
OLARES_INFO = "/api/olares-info"
LOGIN_TIMEOUT = 10.0
CODE_ATTEMPTS = 3  # two-factor codes one interactive login may try (ours; olares-cli stops at the first)
MAX_NAME_LENGTH = 64


def _version(value: object) -> str:
    """``osVersion`` trimmed, or "" when it is not a string (``cacheable_version`` then decides)."""
    return value.strip() if isinstance(value, str) else ""


def role_label(role: str) -> str:
    """``owner`` → Owner, ``admin`` → Admin, ``normal`` → User, empty → (unknown), else title-cased."""
    return {"owner": "Owner", "admin": "Admin", "normal": "User", "": "(unknown)"}.get(role, role.title())


@dataclass(frozen=True)
class LoginOutcome:
    """What login/import printed on stdout and stderr, in olares-cli's order."""

    persisted: PersistResult
    stdout: list[str]
    stderr: list[str] = field(default_factory=list)
    role: str = ""


@dataclass(frozen=True)
class WhoamiResult:
    olares_id: str
    name: str
    role: str
    source: str  # "cache" or "server"
    refreshed_at: int
    previous_role: str
    changed: bool
    now: float

    def table_lines(self) -> list[str]:
        local = OlaresID.parse(self.olares_id).local
        who = f"{self.olares_id} (name: {self.name})" if self.name and self.name != local else self.olares_id
        lines = [f"{who} — {role_label(self.role)}"]
        if self.source == "server":
            lines.append(f"fetched just now from {USER_INFO}")
        elif self.role == "" and self.refreshed_at == 0:
            lines.append("no role cached yet")
        elif self.refreshed_at == 0:
            lines.append("from cache (no refresh timestamp)")
        else:
            lines.append(f"from cache, refreshed {_ago(self.now - self.refreshed_at)}")
        if self.changed:
            lines.append(f"role changed: {role_label(self.previous_role)} -> {role_label(self.role)}")
        return lines

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"olaresId": self.olares_id}
        optional: dict[str, object] = {
            "name": self.name,
            "role": self.role,
            "roleLabel": role_label(self.role) if self.role else "",
            "source": self.source,
            "refreshedAt": self.refreshed_at,
            "refreshedAgoSecs": max(int(self.now - self.refreshed_at), 0) if self.refreshed_at else 0,
            "previousRole": self.previous_role,
            "changed": self.changed,
        }
        out.update({k: v for k, v in optional.items() if v or k == "source"})
        return out


def _ago(seconds: float) -> str:
    total = max(int(seconds), 0)
    if total < 60:
        return f"{total}s ago"
    if total < 3600:
        return f"{total // 60}m ago"
    if total < 86400:
        return f"{total // 3600}h ago"
    return f"{total // 86400}d ago"


@dataclass
class Account:
    """Operations on profiles that talk to Olares."""

    paths: Paths
    vault: TokenVault
    http: HttpFactory
    clock: Callable[[], float]
    env: Mapping[str, str]
    exchange_seconds: float = EXCHANGE_SECONDS
    """Wall-clock bound of each HTTP exchange with the server (``wire.bounded``)."""
    config_store: InitVar[ConfigStore | None] = None
    """The process's config store (``Runtime`` shares its one); None makes one on ``paths``."""
    store: ConfigStore = field(init=False)
    refresher: Refresher = field(init=False)
    _cells: dict[str, TokenCell] = field(init=False, default_factory=dict)
    _clients: ClientPool = field(init=False, default_factory=ClientPool)

    def __post_init__(self, config_store: ConfigStore | None) -> None:
        self.store = ConfigStore(self.paths) if config_store is None else config_store
        self.refresher = Refresher(self.paths, self.vault, self.http, self.clock)

    # --- resolution and the refreshing client -------------------------------------------------

    def credentials(self, target: str | None = None) -> Credentials:
        return resolve_credentials(self.store, self.vault, dict(self.env), target=target)

    def _auth(self, creds: Credentials) -> OlaresAuth:
        """The refreshing auth for the profile, on the token cell every client of the profile shares."""
        cell = self._cells.get(creds.profile.olares_id)
        if cell is None or cell.get() != creds.record.access_token:
            cell = self._cells[creds.profile.olares_id] = TokenCell(creds.record.access_token)
        return OlaresAuth(
            creds.profile.olares_id,
            creds.endpoints.auth,
            cell,
            self.refresher,
            insecure=creds.profile.insecure_skip_verify,
        )

    def client(self, creds: Credentials) -> httpx.Client:
        """A client for the profile's desktop API through the refreshing transport."""
        insecure = creds.profile.insecure_skip_verify
        return self.http(insecure=insecure, timeout=30.0, auth=self._auth(creds))

    def get_bfl(self, creds: Credentials, path: str, label: str) -> dict[str, object]:
        """GET a BFL route through the refreshing client; an auth status after the retry is a typed error.

        The exchange (the refresh-and-retry included) is bounded by ``exchange_seconds`` and ``wire.MAX_BODY``.
        The client comes from the profile's pool (per TLS mode, hence per proxy setting), so calls in a burst
        reuse one connection; the auth is the request's own.
        """
        url = f"{creds.endpoints.desktop}{path}"
        sent = [creds.record.access_token, creds.record.refresh_token, creds.record.session_id]
        insecure = creds.profile.insecure_skip_verify
        auth = self._auth(creds)
        key = (creds.profile.olares_id, insecure)
        with self._clients.lease(key, lambda: self.http(insecure=insecure, timeout=30.0)) as client:
            try:
                with bounded(client, self.exchange_seconds):
                    response = client.get(url, headers={"Accept": "application/json"}, auth=auth)
            except httpx.HTTPError as err:
                raise ServerError(f'Get "{url}": {clean(str(err))}', transient=True) from err
            cell = self._cells.get(creds.profile.olares_id)
            if cell is not None:
                sent.append(cell.get())  # the token the transport sent last (a refresh may have replaced ours)
        if response.status_code == 403:
            raise PermissionDenied  # a 403 that survived the refresh is a permission problem (Managed era)
        if response.status_code in AUTH_STATUSES:
            raise AccessRejected(
                creds.profile.olares_id, response.status_code, server_body(response.content, sent, 200)
            )
        if response.status_code != 200:
            raise ServerError(
                f"GET {url}: HTTP {response.status_code}: {server_body(response.content, sent)}",
                status=response.status_code,
                transient=response.status_code >= 500,
            )
        return bfl_data(response, label, sent)

    def _name(self, data: dict[str, object], sent: list[str]) -> str:
        value = data.get("name")
        return scrub(clean(value, MAX_NAME_LENGTH), sent) if isinstance(value, str) else ""

    # --- whoami / version ----------------------------------------------------------------------

    def whoami(self, *, refresh: bool = False, target: str | None = None) -> WhoamiResult:
        creds = self.credentials(target)
        profile = creds.profile
        now = self.clock()
        cached = known_role(profile.owner_role)  # a role outside the known set is never replayed
        if not refresh and cached:
            return WhoamiResult(profile.olares_id, "", cached, "cache", profile.whoami_refreshed_at, "", False, now)
        data = self.get_bfl(creds, USER_INFO, "whoami")
        raw_role = data.get("owner_role")
        role = known_role(raw_role if isinstance(raw_role, str) else "")
        known = bool(role) or not raw_role
        # An unknown role is never saved. What the profile already holds (same role, stamped this second, as by
        # an agent calling in a loop) is not re-written: that would be a config lock and a re-read for no change.
        if known and (profile.owner_role, profile.whoami_refreshed_at) != (role, int(now)):
            cache_owner_role(self.store, profile.olares_id, role, now=now)
        changed = known and bool(cached) and cached != role
        name = self._name(data, [creds.record.access_token, creds.record.refresh_token])
        return WhoamiResult(profile.olares_id, name, role, "server", int(now), cached, changed, now)

    def verify(self, target: str | None = None) -> None:
        """One authenticated request (user-info) through the refreshing transport: refreshes if needed.

        Raises:
            TokenInvalidated, NotLoggedIn, AccessRejected, PermissionDenied, ServerError: as the request ends.
        """
        self.get_bfl(self.credentials(target), USER_INFO, "whoami")

    def refresh_version(self, target: str | None = None) -> str:
        """Fetch ``osVersion`` for the profile through the refreshing client and cache it."""
        creds = self.credentials(target)
        data = self.get_bfl(creds, OLARES_INFO, "olares-info")
        version = _version(data.get("osVersion"))
        if not version:
            raise ServerError(f"{OLARES_INFO} returned an empty osVersion", transient=False)
        if not cacheable_version(version):
            shown = said(version, [creds.record.access_token, creds.record.refresh_token], MAX_VERSION_LENGTH)
            raise ServerError(f"{OLARES_INFO} returned an unparseable osVersion ({shown})", transient=False)
        cache_backend_version(self.store, creds.profile.olares_id, version, now=self.clock())
        return version

    # --- login and import ------------------------------------------------------------------------

    def endpoints_for(self, flags: ProfileFlags) -> Endpoints:
        if not flags.olares_id:
            raise UsageError("--olares-id is required")
        return Endpoints.derive(
            OlaresID.parse(flags.olares_id),
            auth_url_override=flags.auth_url_override,
            local_url_prefix=flags.local_url_prefix,
            env=self.env,
        )

    def check_writable(self, flags: ProfileFlags, verb: str) -> Endpoints:
        """Flag checks, then the re-authentication rule: before any password is read.

        Upstream: beclab/Olares `cli/cmd/ctl/profile/login.go`, steps 1-3.
        """
        endpoints = self.endpoints_for(flags)
        ensure_profile_writable(self.store.load(), self.vault, flags, verb, now=self.clock())
        return endpoints

    def login(self, flags: ProfileFlags, endpoints: Endpoints, password: str, totp: str = "") -> Grant:
        """One full login (first factor, then the second when ``totp`` is given) on a fresh cookie jar."""
        with self.http(insecure=flags.insecure_skip_verify, timeout=LOGIN_TIMEOUT) as client:
            return wire_login(client, endpoints, password, totp, seconds=self.exchange_seconds)

    def login_asking_code(
        self,
        flags: ProfileFlags,
        endpoints: Endpoints,
        password: str,
        code: str,
        ask_again: Callable[[int], str],
        *,
        attempts: int = CODE_ATTEMPTS,
    ) -> Grant:
        """A full login with ``code``; on a wrong code, ``ask_again(tries_left)`` gives another one, which is
        sent on the same client and cookie jar (the first factor is not repeated), up to ``attempts`` codes.

        Raises what ``login`` raises; after the last wrong code, that code's ``LoginFailed``.
        """
        with self.http(insecure=flags.insecure_skip_verify, timeout=LOGIN_TIMEOUT) as client:
            first = first_factor(client, endpoints, password, seconds=self.exchange_seconds)
            if not first.fa2:
                return first
            for attempt in range(1, attempts + 1):
                try:
                    return second_factor(
                        client, endpoints, first, code, password=password, seconds=self.exchange_seconds
                    )
                except LoginFailed as err:
                    if attempt == attempts or not wrong_code(err):
                        raise
                    code = ask_again(attempts - attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def redeem_refresh_token(self, flags: ProfileFlags, endpoints: Endpoints, refresh_token: str) -> Grant:
        """Import: exactly one ``/api/refresh`` call, with no ``X-Authorization``."""
        with self.http(insecure=flags.insecure_skip_verify, timeout=LOGIN_TIMEOUT) as client:
            return refresh_grant(client, endpoints.auth, refresh_token, seconds=self.exchange_seconds)

    def persist(self, flags: ProfileFlags, grant: Grant, *, switch: bool, headline: str) -> LoginOutcome:
        """Store the grant, then print like olares-cli: headline, switch notice, storage notice, eager fetches."""
        result = persist_grant(self.store, self.vault, flags, grant, switch=switch, now_ms=int(self.clock() * 1000))
        stdout = [headline.format(name=result.profile.display_name), *result.switch_lines()]
        stdout.append(f'token stored via {self.vault.backend} (service "olares-cli", account "{flags.olares_id}").')
        stderr: list[str] = []
        with self.http(insecure=flags.insecure_skip_verify, timeout=5.0) as client:  # one pool for both fetches
            role = self._eager_role(client, flags, grant, stdout, stderr)
            self._eager_version(client, flags, grant, stderr)
        return LoginOutcome(result, stdout, stderr, role)

    def _eager_get(self, client: httpx.Client, flags: ProfileFlags, grant: Grant, path: str) -> httpx.Response:
        endpoints = self.endpoints_for(flags)
        url = f"{endpoints.desktop}{path}"
        headers = {"Accept": "application/json", "X-Authorization": grant.access_token}
        sent = [grant.access_token, grant.refresh_token, grant.session_id]
        try:
            with bounded(client, self.exchange_seconds):
                response = client.get(url, headers=headers)
        except httpx.HTTPError as err:
            raise ServerError(f'Get "{url}": {clean(str(err))}') from err
        if response.status_code in (401, 403):
            raise AccessRejected(flags.olares_id, response.status_code, server_body(response.content, sent, 200))
        if response.status_code != 200:
            raise ServerError(f"GET {url}: HTTP {response.status_code}: {server_body(response.content, sent)}")
        return response

    def _eager_role(
        self, client: httpx.Client, flags: ProfileFlags, grant: Grant, stdout: list[str], stderr: list[str]
    ) -> str:
        sent = [grant.access_token, grant.refresh_token, grant.session_id]
        try:
            data = bfl_data(self._eager_get(client, flags, grant, USER_INFO), "whoami", sent)
            raw_role = data.get("owner_role")
            role = known_role(raw_role if isinstance(raw_role, str) else "")
            if role or not raw_role:
                cache_owner_role(self.store, flags.olares_id, role, now=self.clock())  # an unknown role is never saved
        except AuthError as err:
            stderr.append(f"warning: post-login role fetch failed: {err}")
            stderr.append("         (run `olares-cli profile whoami --refresh` later to populate the role cache)")
            return ""
        if role:
            stdout.append(f"role: {role_label(role)}")
        return role

    def _eager_version(self, client: httpx.Client, flags: ProfileFlags, grant: Grant, stderr: list[str]) -> None:
        try:
            data = bfl_data(
                self._eager_get(client, flags, grant, OLARES_INFO),
                "olares-info",
                [grant.access_token, grant.refresh_token],
            )
        except AuthError as err:
            stderr.append(f"warning: post-login version fetch failed: {err}")
            return
        version = _version(data.get("osVersion"))
        if not version or not cacheable_version(version):
            return  # the eager fetch is silent here (docs/compatibility.md)
        try:
            cache_backend_version(self.store, flags.olares_id, version, now=self.clock())
        except AuthError as err:
            stderr.append(f"warning: could not cache Olares backend version: {err}")
