"""The HTTP exchanges with Olares, byte for byte as olares-cli sends them (compat §3.3, §3.4, §4.2, §6.3, §9.3).

Requests go through an injected ``HttpFactory`` so tests pass ``httpx.MockTransport``
or point at the simulator; nothing here reads the environment.
"""

from __future__ import annotations

import hashlib
import json
import re
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from olares_auth_mcp.auth.errors import LoginFailed, RefreshFailed, RefreshRejected, ServerError, TOTPRequired
from olares_auth_mcp.auth.gojson import dumps_compact
from olares_auth_mcp.auth.olares_id import OlaresID, service_origin
from olares_auth_mcp.auth.tokens import Grant

__all__ = [
    "AUTH_STATUSES",
    "PASSWORD_SALT",
    "Endpoints",
    "HttpFactory",
    "bfl_data",
    "default_http_factory",
    "login",
    "refresh_grant",
    "salted_password",
    "snippet",
    "tls_context",
]

PASSWORD_SALT: Final = "@Olares2025"  # noqa: S105 - a public protocol constant, not a secret
AUTH_STATUSES: Final = frozenset({401, 403, 459})
JSON_HEADERS: Final = {"Content-Type": "application/json", "Accept": "application/json"}

HttpFactory = Callable[..., httpx.Client]
"""``factory(*, insecure: bool, timeout: float, auth: httpx.Auth | None = None) -> httpx.Client``."""


_TLS_LOCK: Final = threading.Lock()
_TLS_CONTEXTS: dict[bool, ssl.SSLContext] = {}


def tls_context(*, insecure: bool = False) -> ssl.SSLContext:
    """The process's one TLS context for verifying clients (and one for the human-chosen insecure mode).

    Built lazily, once, by httpx's own ``create_ssl_context``, so it is exactly what ``verify=True``
    (honouring ``SSL_CERT_FILE``/``SSL_CERT_DIR``, else certifi) or ``verify=False`` would build per
    client. Parsing the CA bundle costs ~20 ms and leaks allocator memory every time; sharing the
    context makes a client cheap. An ``SSLContext`` is safe to share across threads.
    """
    context = _TLS_CONTEXTS.get(insecure)
    if context is None:
        with _TLS_LOCK:
            context = _TLS_CONTEXTS.get(insecure)
            if context is None:
                context = httpx.create_ssl_context(verify=not insecure, trust_env=not insecure)
                _TLS_CONTEXTS[insecure] = context
    return context


def default_http_factory(
    *, insecure: bool = False, timeout: float = 30.0, auth: httpx.Auth | None = None
) -> httpx.Client:
    """A fresh client (own connection pool and cookie jar) on the shared TLS context: verification
    off only for ``insecure`` profiles, which (as Go's bare transport) then ignore ``HTTP(S)_PROXY``."""
    return httpx.Client(verify=tls_context(insecure=insecure), timeout=timeout, trust_env=not insecure, auth=auth)


def salted_password(password: str) -> str:
    """``md5(password + "@Olares2025")`` in lower-case hex: what ``/api/firstfactor`` expects."""
    return hashlib.md5((password + PASSWORD_SALT).encode("utf-8"), usedforsecurity=False).hexdigest()


def snippet(body: bytes, limit: int = 256) -> str:
    """The first ``limit`` bytes of a body, then ``...(truncated)``; cut on bytes, as Go does."""
    cut = body[:limit].decode("utf-8", errors="replace")
    return cut + "...(truncated)" if len(body) > limit else cut


@dataclass(frozen=True)
class Endpoints:
    """Where one profile's requests go, and the URLs its login body names.

    ``auth`` and ``desktop`` are request targets (possibly redirected to the test rig by
    ``OLARES_AUTH_MCP_SERVICE_URL``); ``login_target`` is always the desktop URL derived
    from the Olares ID with an empty prefix, whatever the redirect (clarifications §3).
    """

    olares_id: OlaresID
    auth: str
    desktop: str
    login_target: str
    destination: str = ""
    """The auth URL as the profile configures it (derived, or the human's override), never the test-rig
    redirect: what a human is shown as the place their password or token goes."""

    @property
    def destination_host(self) -> str:
        """The host of ``destination`` (``auth.alice.olares.com``), for pages and confirmations."""
        return urlsplit(self.destination or self.auth).hostname or self.destination

    @classmethod
    def derive(
        cls, olares_id: OlaresID, *, auth_url_override: str = "", local_url_prefix: str = "", env: Mapping[str, str]
    ) -> Endpoints:
        auth = auth_url_override or service_origin(olares_id.auth_url(local_url_prefix), env)
        return cls(
            olares_id=olares_id,
            auth=auth,
            desktop=service_origin(olares_id.desktop_url(local_url_prefix), env),
            login_target=olares_id.desktop_url(),
            destination=auth_url_override or olares_id.auth_url(local_url_prefix),
        )


def _post(client: httpx.Client, url: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    try:
        return client.post(url, content=dumps_compact(body).encode("utf-8"), headers={**JSON_HEADERS, **headers})
    except httpx.HTTPError as err:
        raise ServerError(f'{path}: Post "{url}": {_transport_reason(err)}', transient=True) from err


def _transport_reason(err: httpx.HTTPError) -> str:
    if isinstance(err, httpx.TimeoutException):
        return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
    return str(err) or type(err).__name__


def _envelope(response: httpx.Response, path: str, failure: str, error: type[ServerError]) -> dict[str, Any]:
    """Authelia's ``{"status":"OK","data":{…}}``; every other shape becomes the right error."""
    body = response.content
    if response.status_code != 200:
        transient = response.status_code >= 500 or response.status_code == 429
        raise error(
            f"{path} returned HTTP {response.status_code}: {snippet(body)}",
            status=response.status_code,
            transient=transient,
        )
    try:
        parsed = json.loads(body)
    except ValueError as err:
        raise error(f"parse {path} body: {err} (body={snippet(body)})", status=200, transient=True) from err
    if not isinstance(parsed, dict):
        raise error(f"parse {path} body: not a JSON object (body={snippet(body)})", status=200, transient=True)
    status = str(parsed.get("status", ""))
    if status.upper() != "OK":
        message = parsed.get("message")
        detail = f"{failure}: {status}: {message}" if message else f"{failure}: {status}"
        raise error(detail, status=200, transient=False)
    data = parsed.get("data")
    return data if isinstance(data, dict) else {}


def _grant(data: dict[str, Any]) -> Grant:
    def text(key: str) -> str:
        value = data.get(key)
        return value if isinstance(value, str) else ""

    return Grant(
        access_token=text("access_token"),
        refresh_token=text("refresh_token"),
        session_id=text("session_id"),
        fa2=data.get("fa2") is True,
    )


def login(client: httpx.Client, endpoints: Endpoints, password: str, totp: str = "") -> Grant:
    """First factor, then (when ``fa2``) the TOTP second factor, on one client and cookie jar.

    Raises:
        TOTPRequired: the account needs a code and ``totp`` is empty.
        LoginFailed: wrong password or code, or an unexpected reply.
        ServerError: transport failure (``transient``).
    """
    first_url = f"{endpoints.auth}/api/firstfactor?hideCookie=true"
    body = {
        "username": endpoints.olares_id.local,
        "password": salted_password(password),
        "keepMeLoggedIn": False,
        "requestMethod": "POST",
        "targetURL": endpoints.login_target,
        "acceptCookie": True,
    }
    response = _post(client, first_url, "/api/firstfactor", body, {})
    first = _grant(_envelope(response, "/api/firstfactor", "first-factor authentication failed", LoginFailed))
    if not first.fa2:
        return first
    if not totp:
        raise TOTPRequired
    second_url = f"{endpoints.auth}/api/secondfactor/totp"
    headers = {"X-Authorization": first.access_token, "X-Unauth-Error": "Non-Redirect"}
    response = _post(
        client, second_url, "/api/secondfactor/totp", {"targetUrl": endpoints.login_target, "token": totp}, headers
    )
    second = _grant(_envelope(response, "/api/secondfactor/totp", "second-factor authentication failed", LoginFailed))
    if not second.session_id:
        second = Grant(second.access_token, second.refresh_token, first.session_id)
    return second


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


def refresh_grant(client: httpx.Client, auth_url: str, refresh_token: str, access_token: str = "") -> Grant:
    """``POST /api/refresh``: exactly one call. A rotated refresh token replaces ours; none keeps ours.

    401/403/459 count as a rejected grant only with a JSON-object body. We take the
    stricter Location-lineage rule (compat §4.2 variant, refresh_test.go): an edge's
    HTML or text 403/459, an empty 401 or a JSON array are not proof that the grant
    is dead, and must never invalidate a profile.

    Raises:
        RefreshRejected: the server rejected the grant.
        RefreshFailed: any other failure (5xx, transport, garbage; ``transient``).
    """
    url = f"{auth_url}/api/refresh"
    headers = {"X-Authorization": access_token} if access_token else {}
    try:
        response = _post(client, url, "/api/refresh", {"refreshToken": refresh_token}, headers)
    except ServerError as err:
        raise RefreshFailed(str(err), transient=True) from err
    if response.status_code in AUTH_STATUSES and _is_json_object(response.content):
        raise RefreshRejected(response.status_code, snippet(response.content))
    try:
        grant = _grant(_envelope(response, "/api/refresh", "refresh failed", RefreshFailed))
    except RefreshFailed as err:
        err.transient = True  # anything short of a rejection leaves the grant alive: retry later, never log in
        raise
    if not grant.access_token:
        raise RefreshFailed("refresh returned empty access_token", status=200, transient=True)
    return Grant(grant.access_token, grant.refresh_token or refresh_token, grant.session_id)


_SEMVER: Final = re.compile(r"v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def is_semver(text: str) -> bool:
    """Masterminds' lenient ``semver.NewVersion``: ``1``, ``1.2``, ``v1.12.6-rc.1+build``."""
    return _SEMVER.fullmatch(text) is not None


def bfl_data(response: httpx.Response, label: str) -> dict[str, Any]:
    """The ``data`` of a BFL envelope ``{"code":0,"message":…,"data":{…}}`` that answered 200.

    Raises:
        ServerError: non-zero code (``<label>: <message>``) or an undecodable body.
    """
    try:
        parsed = json.loads(response.content)
    except ValueError as err:
        raise ServerError(f"{label}: decode response: {err} (body={snippet(response.content)})") from err
    if not isinstance(parsed, dict):
        raise ServerError(f"{label}: decode response: not a JSON object")
    code = parsed.get("code", 0)
    if code != 0:
        message = parsed.get("message")
        raise ServerError(
            f"{label}: {message}" if message else f"{label}: server returned code={code}", transient=False
        )
    data = parsed.get("data")
    return data if isinstance(data, dict) else {}
