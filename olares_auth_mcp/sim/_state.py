"""The simulator's state: accounts, grants, pending second factors, faults and hit counters.

`SimState` is the server's whole contract. Its methods take parsed request values and
either return tokens or raise `Rejected`, whose message is safe to send to the client
(it never contains a token, password or code). One lock guards everything, because the
HTTP server answers each connection on its own thread. All time comes from the injected
clock, so tests can pin TOTP windows and JWT expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import jwt
import pyotp

PASSWORD_SALT: Final = "@Olares2025"  # noqa: S105 - a public protocol constant (beclab/Olares `cli/pkg/auth/login.go`)
DEFAULT_DOMAIN: Final = "olares.com"
SESSION_COOKIE: Final = "authelia_session"
LOGIN_FAILED: Final = "Authentication failed, incorrect password."
_ALGORITHM: Final = "HS512"
# An abandoned first factor is forgotten after this long, so the table stays bounded.
_PENDING_TTL: Final = 300.0
# The one real Olares token seen carries this group for an admin-capable account.
# upstream: beclab/Olares `cli/pkg/auth/jwt_test.go`
_ADMIN_GROUPS: Final = ("lldap_admin",)


EDGE_STATUSES: Final = (459, 401)


class Rejected(Exception):
    """A request the simulated server refuses; `str(err)` is safe to put in a response body.

    `one_factor` marks a desktop-API token whose session passed the first factor only (a 2FA
    account before its TOTP code): the edge reports it as ``fa2: true``.
    """

    def __init__(self, message: str, *, one_factor: bool = False) -> None:
        super().__init__(message)
        self.one_factor = one_factor


@dataclass(frozen=True)
class SimUser:
    """An account on the simulated Olares.

    `olares_id` is e.g. ``alice@olares.com``. The login body carries only the local part
    (``alice``), so local parts must be unique within one simulator. When `totp_secret`
    (base32) is set the account needs a second factor for the desktop target URL.
    `owner_role` is what ``/api/backend/v1/user-info`` reports (owner | admin | normal).
    """

    olares_id: str
    password: str = field(repr=False)  # kept out of repr so a logged SimUser leaks nothing
    totp_secret: str | None = field(default=None, repr=False)
    owner_role: str = "owner"


@dataclass(frozen=True)
class TokenSet:
    """What a successful auth call answers; `refresh_token` None means "not rotated"."""

    access_token: str
    refresh_token: str | None
    session_id: str
    fa2: bool = False

    def envelope(self) -> dict[str, Any]:
        """The Authelia-style ``{"status":"OK","data":{…}}`` body for this token set."""
        data: dict[str, Any] = {"access_token": self.access_token}
        if self.refresh_token is not None:
            data["refresh_token"] = self.refresh_token
        data["session_id"] = self.session_id
        data["fa2"] = self.fa2
        return {"status": "OK", "data": data}


@dataclass(frozen=True)
class Fault:
    """A canned misbehaviour for one route; see `Simulator.inject`."""

    status: int | None
    body: bytes
    content_type: str
    delay: float
    drop: bool


@dataclass(frozen=True)
class _Grant:
    local: str
    session_id: str
    mfa: int


@dataclass(frozen=True)
class _Pending:
    local: str
    cookie: str
    session_id: str
    created: float


def salted_password(password: str) -> str:
    """``md5(password + "@Olares2025")`` in lower-case hex: what the login body carries.

    Upstream: beclab/Olares `cli/pkg/auth/login.go`.
    """
    return hashlib.md5((password + PASSWORD_SALT).encode(), usedforsecurity=False).hexdigest()


def local_part(olares_id: str) -> str:
    """The text before ``@`` (the whole id when there is none), after trimming, as olares-cli does."""
    return olares_id.strip().partition("@")[0]


def desktop_url(olares_id: str) -> str:
    """``https://desktop.<local>.<domain>``: the login target that triggers the 2FA policy."""
    local, at, domain = olares_id.strip().partition("@")
    return f"https://desktop.{local}.{domain if at else DEFAULT_DOMAIN}"


def check_edge_status(status: int) -> None:
    """Raise ValueError unless `status` is one the simulated edge can answer a refused token with."""
    if status not in EDGE_STATUSES:
        raise ValueError(f"edge_status must be one of {', '.join(map(str, EDGE_STATUSES))}")


def check_totp_secret(secret: str) -> None:
    """Raise ValueError unless pyotp accepts `secret`: base32 and at least 112 bits (pyotp 2.12 enforces it)."""
    try:
        pyotp.TOTP(secret).byte_secret()
    except ValueError as exc:  # binascii.Error is a ValueError
        raise ValueError(f"totp_secret is not usable: {exc}") from None


class SimState:
    """Thread-safe state of one simulator; survives server restarts (same signing key)."""

    def __init__(
        self,
        *,
        access_ttl: float,
        rotate_refresh: bool,
        os_version: str,
        clock: Callable[[], float],
        edge_status: int = 459,
    ) -> None:
        check_edge_status(edge_status)
        self.access_ttl = access_ttl
        self.rotate_refresh = rotate_refresh
        self.os_version = os_version
        self._clock = clock
        self._key = secrets.token_bytes(64)
        self._lock = threading.Lock()
        self._users: dict[str, SimUser] = {}  # by local part: all the login body names
        self._live_access: dict[int, str] = {}  # jid -> local part; absent = expired/revoked
        self._grants: dict[str, _Grant] = {}  # refresh token -> grant
        self._pending: dict[str, _Pending] = {}  # first-factor access token -> 2FA in progress
        self._faults: dict[str, tuple[Fault, int | None]] = {}  # path -> (fault, remaining uses)
        self._hits: Counter[str] = Counter()
        self._date_offset = 0.0  # seconds added to the clock in the Date header only
        self._edge_status = edge_status  # how the desktop API refuses a token: 459 (the edge) or 401 JSON

    # -- accounts -------------------------------------------------------------------------

    def add_user(self, user: SimUser) -> None:
        """Register `user`; ValueError on a duplicate local part or a malformed TOTP secret."""
        if user.totp_secret is not None:
            check_totp_secret(user.totp_secret)
        local = local_part(user.olares_id)
        if not local:
            raise ValueError("olares_id has an empty local part")
        with self._lock:
            if local in self._users:
                raise ValueError(f"a user with local part {local!r} already exists")
            self._users[local] = user

    def _user_by_id(self, olares_id: str) -> SimUser:
        user = self._users.get(local_part(olares_id))
        if user is None or user.olares_id != olares_id:
            raise KeyError(olares_id)
        return user

    # -- auth flows -----------------------------------------------------------------------

    def first_factor(self, username: str, password: str, target_url: str) -> tuple[TokenSet, str | None]:
        """Check a salted password; returns the tokens and, when ``fa2`` is set, the session cookie.

        The fa2 tokens are provisional: they open `second_factor` only, and are rejected
        by the API routes and by `refresh`, so a client that stores them gets caught.
        """
        with self._lock:
            user = self._users.get(username)
            expected = salted_password(user.password) if user else ""
            if user is None or not hmac.compare_digest(password.encode(), expected.encode()):
                raise Rejected(LOGIN_FAILED)
            session_id = secrets.token_urlsafe(16)
            if user.totp_secret is None or target_url != desktop_url(user.olares_id):
                return self._grant(user, session_id, mfa=0), None
            access = self._mint(user, mfa=0, live=False)
            cookie = secrets.token_urlsafe(24)
            self._prune_pending()
            self._pending[access] = _Pending(username, cookie, session_id, self._clock())
            provisional = TokenSet(access, secrets.token_urlsafe(32), session_id, fa2=True)
            return provisional, cookie

    def second_factor(self, access_token: str, cookie: str | None, target_url: str, code: str) -> TokenSet:
        """Finish a 2FA login begun by `first_factor`; a wrong code leaves it open for a retry."""
        with self._lock:
            pending = self._pending.get(access_token)
            if pending is None or self._clock() - pending.created > _PENDING_TTL:
                raise Rejected("no first factor in progress for this token")
            if cookie is None or not hmac.compare_digest(cookie.encode(), pending.cookie.encode()):
                raise Rejected("session cookie missing or does not match the first factor")
            user = self._users[pending.local]
            if target_url != desktop_url(user.olares_id):
                raise Rejected("targetUrl does not match the first factor")
            secret = user.totp_secret or ""  # only TOTP users ever get a pending entry
            if not pyotp.TOTP(secret).verify(code, for_time=self._clock(), valid_window=1):
                raise Rejected("Authentication failed, please retry.")
            del self._pending[access_token]
            return self._grant(user, pending.session_id, mfa=1)

    def refresh(self, refresh_token: str) -> TokenSet:
        """Mint a new access token for a live grant, rotating the refresh token if configured."""
        with self._lock:
            grant = self._grants.get(refresh_token)
            user = self._users.get(grant.local) if grant else None
            if grant is None or user is None:
                raise Rejected("refresh token is invalid or has been revoked")
            access = self._mint(user, mfa=grant.mfa, live=True)
            if not self.rotate_refresh:
                return TokenSet(access, None, grant.session_id)
            del self._grants[refresh_token]
            rotated = secrets.token_urlsafe(32)
            self._grants[rotated] = grant
            return TokenSet(access, rotated, grant.session_id)

    def authorize(self, token: str | None) -> SimUser:
        """The user a desktop-API token belongs to.

        Raises:
            Rejected: the token is missing, forged, expired or revoked, or (``one_factor``) it is the
                provisional token of a 2FA login whose second factor has not been completed.
        """
        if not token:
            raise Rejected("missing access token")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                # Expiry is checked below against the injected clock, not the wall clock.
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.InvalidTokenError:
            raise Rejected("invalid access token") from None
        exp, jid = claims.get("exp"), claims.get("jid")
        if type(exp) is not int or type(jid) is not int:
            raise Rejected("invalid access token")
        with self._lock:
            if self._clock() >= exp:
                raise Rejected("access token expired")
            if token in self._pending:
                raise Rejected("second factor not completed", one_factor=True)
            local = self._live_access.get(jid)
            if local is None:
                raise Rejected("access token expired or revoked")
            return self._users[local]

    def issue_tokens(self, olares_id: str) -> tuple[str, str]:
        """(access, refresh) for a registered user, as a password login would give; KeyError if unknown."""
        with self._lock:
            user = self._user_by_id(olares_id)
            tokens = self._grant(user, secrets.token_urlsafe(16), mfa=int(user.totp_secret is not None))
            return tokens.access_token, tokens.refresh_token or ""

    def _grant(self, user: SimUser, session_id: str, *, mfa: int) -> TokenSet:
        # Caller holds the lock. A grant is one refresh token; each login makes a new one.
        refresh = secrets.token_urlsafe(32)
        self._grants[refresh] = _Grant(local_part(user.olares_id), session_id, mfa)
        return TokenSet(self._mint(user, mfa=mfa, live=True), refresh, session_id)

    def _mint(self, user: SimUser, *, mfa: int, live: bool) -> str:
        # Caller holds the lock. Claims mirror a real Olares token.
        # upstream: beclab/Olares `cli/pkg/auth/jwt_test.go`, jwt_test.go
        iat = int(self._clock())
        jid = secrets.randbits(64)
        local = local_part(user.olares_id)
        claims = {
            "exp": iat + round(self.access_ttl),
            "iat": iat,
            "username": local,
            "groups": list(_ADMIN_GROUPS) if user.owner_role in ("owner", "admin") else [],
            "mfa": mfa,
            "jid": jid,
        }
        if live:
            self._live_access[jid] = local
        # typ=None drops the "typ" header: real Olares tokens carry only {"alg":"HS512"}.
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM, headers={"typ": None})

    def _prune_pending(self) -> None:
        now = self._clock()
        for token in [t for t, p in self._pending.items() if now - p.created > _PENDING_TTL]:
            del self._pending[token]

    # -- knobs ----------------------------------------------------------------------------

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """Reject `refresh_token` from now on; unknown or already-rotated tokens are a no-op."""
        with self._lock:
            self._grants.pop(refresh_token, None)

    def revoke_user(self, olares_id: str) -> None:
        """Reject every token issued to the user so far (refresh and access); KeyError if unknown."""
        with self._lock:
            local = local_part(self._user_by_id(olares_id).olares_id)
            self._grants = {t: g for t, g in self._grants.items() if g.local != local}
            self._live_access = {j: u for j, u in self._live_access.items() if u != local}
            self._pending = {t: p for t, p in self._pending.items() if p.local != local}

    def expire_access_tokens(self) -> None:
        """Treat every access token issued so far as expired; refresh tokens stay valid."""
        with self._lock:
            self._live_access.clear()

    def set_fault(self, path: str, fault: Fault, times: int | None) -> None:
        """Install (or replace) the fault for `path`, for `times` requests or until cleared."""
        with self._lock:
            self._faults[path] = (fault, times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, path: str) -> Fault | None:
        """The fault to apply to this request to `path`, using up one of its `times`."""
        with self._lock:
            entry = self._faults.get(path)
            if entry is None:
                return None
            fault, remaining = entry
            if remaining is not None:
                if remaining <= 1:
                    del self._faults[path]
                else:
                    self._faults[path] = (fault, remaining - 1)
            return fault

    def count_hit(self, path: str) -> None:
        with self._lock:
            self._hits[path] += 1

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[path]

    def reset_counters(self) -> None:
        with self._lock:
            self._hits.clear()

    def set_edge_status(self, status: int) -> None:
        check_edge_status(status)
        with self._lock:
            self._edge_status = status

    def edge_status(self) -> int:
        with self._lock:
            return self._edge_status

    def set_date_offset(self, seconds: float) -> None:
        with self._lock:
            self._date_offset = seconds

    def date_now(self) -> float:
        """The time the ``Date`` response header reports: the clock plus the skew knob."""
        with self._lock:
            offset = self._date_offset
        return self._clock() + offset
