"""The live checks, for one profile: DNS, TCP, TLS and clock skew on its hosts, then the grant itself.

Where requests go is decided only by the profile on disk and the server's environment
(``Endpoints.derive``): the doctor's arguments pick a profile, never a host. Every exchange is
bounded; the probes send no credential (a bare ``GET /``), and only the grant check sends the
stored token, through the normal refreshing path.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.commands import OLARES_CLI
from olares_auth_mcp.auth.config import Config, Profile
from olares_auth_mcp.auth.doctor._local import login_fix, sh
from olares_auth_mcp.auth.doctor._model import Audience, DoctorOptions, Finding, clean
from olares_auth_mcp.auth.errors import (
    AccessRejected,
    AuthError,
    JWTError,
    LockTimeout,
    NotLoggedIn,
    PermissionDenied,
    TokenInvalidated,
)
from olares_auth_mcp.auth.jwt import expires_at
from olares_auth_mcp.auth.olares_id import SERVICE_URL_ENV, OlaresID
from olares_auth_mcp.auth.profiles import lookup_record
from olares_auth_mcp.auth.wire import Endpoints

__all__ = ["live_checks"]

FLIP_TOLERANCE = 2.0  # the Date header has one-second resolution, plus the round trip


@dataclass(frozen=True)
class _Probe:
    date: str | None = None
    received_at: float = 0.0
    cert: bytes | None = None
    error: Exception | None = None


def _resolve(host: str, port: int, timeout: float) -> list[Any] | Exception:
    """``getaddrinfo`` on a helper thread, bounded (the resolver itself has no timeout)."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as err:
            box["error"] = err
        done.set()

    threading.Thread(target=run, name="doctor-dns", daemon=True).start()
    if not done.wait(timeout):
        return TimeoutError(f"no answer within {timeout:g}s")
    if "error" in box:
        error: Exception = box["error"]
        return error
    addresses: list[Any] = box["value"]
    return addresses


def _connect(addresses: list[Any], timeout: float) -> Exception | None:
    error: Exception | None = None
    for family, kind, proto, _, sockaddr in addresses:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout)
                sock.connect(sockaddr)
            return None
        except OSError as err:
            error = err
    return error or OSError("no address")


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return clean(err.strerror, 200)
    return clean(str(err) or type(err).__name__, 200)


def _cert_error(err: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _probe(account: Account, url: str, insecure: bool, timeout: float) -> _Probe:
    """A bare ``GET <origin>/`` through the profile's own HTTP factory (same trust and TLS settings)."""
    try:
        with (
            account.http(insecure=insecure, timeout=timeout) as client,
            client.stream("GET", f"{url}/", headers={"Accept": "*/*"}) as response,
        ):
            return _Probe(response.headers.get("Date"), account.clock(), _peer_cert(response))
    except httpx.HTTPError as err:
        return _Probe(error=err)


def _peer_cert(response: httpx.Response) -> bytes | None:
    """The DER certificate the server presented, when the transport exposes its TLS object."""
    stream = response.extensions.get("network_stream")
    try:
        tls = stream.get_extra_info("ssl_object") if stream is not None else None
        der = tls.getpeercert(True) if tls is not None else None  # positional: httpcore hands out _ssl._SSLSocket
    except (AttributeError, TypeError, ValueError):
        return None
    return der if isinstance(der, bytes) else None


def _unverified_cert(host: str, port: int, timeout: float) -> bytes | None:
    """The server's certificate, read from a handshake alone (nothing is sent), to report its dates."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only to read the failing certificate's dates; no request follows
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            context.wrap_socket(sock, server_hostname=host) as tls,
        ):
            return tls.getpeercert(binary_form=True)
    except (OSError, ValueError):
        return None


def _not_after(der: bytes | None) -> datetime | None:
    if not der:
        return None
    try:
        return x509.load_der_x509_certificate(der).not_valid_after_utc
    except ValueError:
        return None


def _tls(
    check: str,
    host: str,
    port: int,
    probe: _Probe,
    profile: Profile,
    audience: Audience,
    now: float,
    opts: DoctorOptions,
) -> Finding:
    if profile.insecure_skip_verify:
        command = (
            f"{opts.cli or OLARES_CLI} profile remove {sh(profile.olares_id)} && "
            f"{opts.cli or OLARES_CLI} profile login --olares-id {sh(profile.olares_id)}"
        )
        return Finding(
            check,
            "warn",
            f"TLS verification is off for this profile (a human set --insecure-skip-verify): anyone on the path "
            f"to {host} could read the tokens",
            f"once {host} has a valid certificate, a human logs in again without the flag: {command}",
        )
    if probe.error is not None:
        cert_error = _cert_error(probe.error)
        if cert_error is None:
            return Finding(
                check,
                "fail",
                f"the HTTPS exchange with {host} failed: {_reason(probe.error)}",
                f"check that the Olares box is online: open https://{host} in a browser on this machine",
            )
        reason = clean(cert_error.verify_message or str(cert_error), 200)
        expiry = _not_after(_unverified_cert(host, port, opts.net_timeout))
        if expiry is not None and expiry.timestamp() <= now:
            return Finding(
                check,
                "fail",
                f"{host}'s certificate expired on {expiry:%Y-%m-%d %H:%M} UTC ({reason}; this machine's clock "
                f"says {datetime.fromtimestamp(now, UTC):%Y-%m-%d %H:%M} UTC): every request fails",
                "the Olares box renews its certificate when it is online with a correct clock: bring it online; "
                "never turn verification off",
            )
        return Finding(
            check,
            "fail",
            f"{host}'s certificate is not trusted here ({reason})",
            f"check that {host} really is your Olares box (a proxy or captive portal?); never turn verification off",
        )
    expiry = _not_after(probe.cert)
    if expiry is None:
        return Finding(check, "ok", f"{host}: TLS verified (certificate dates not available)")
    days = int((expiry.timestamp() - now) // 86400)
    if days < opts.cert_warn_days:
        return Finding(
            check,
            "warn",
            f"{host}: TLS verified, but the certificate expires on {expiry:%Y-%m-%d} ({days} days)",
            "keep the Olares box online so it renews its certificate before then",
        )
    return Finding(check, "ok", f"{host}: TLS verified; certificate valid until {expiry:%Y-%m-%d} ({days} days)")


def _clock_fix(platform: str) -> str:
    if platform == "darwin":
        return "sync the clock: sudo sntp -sS time.apple.com"
    if platform.startswith("linux"):
        return "sync the clock: sudo timedatectl set-ntp true"
    return "sync this machine's clock with an NTP server"


def _clock(probe: _Probe, host: str, exp: int | None, opts: DoctorOptions) -> Finding:
    if probe.error is not None or not probe.date:
        return Finding("clock", "skipped", f"no Date header from {host} to compare with")
    try:
        server = parsedate_to_datetime(probe.date).timestamp()
    except (TypeError, ValueError):
        return Finding("clock", "skipped", f"{host} sent an unreadable Date header")
    local = probe.received_at
    skew = local - server
    way = "ahead of" if skew > 0 else "behind"
    said = f"this machine's clock is {abs(skew):.0f}s {way} the server's"
    if exp is not None and abs(skew) >= FLIP_TOLERANCE and (local >= exp) != (server >= exp):
        status_here = "expired" if local >= exp else "logged-in"
        truth = "still valid" if server < exp else "already expired"
        return Finding(
            "clock",
            "fail",
            f"{said}: STATUS says {status_here}, but by the server's clock the access token is {truth}",
            _clock_fix(opts.platform),
        )
    if abs(skew) >= opts.skew_warn:
        return Finding(
            "clock",
            "warn",
            f"{said}: STATUS is wrong for {abs(skew):.0f}s around every token's expiry",
            _clock_fix(opts.platform),
        )
    return Finding("clock", "ok", f"{said} (within {opts.skew_warn:g}s)")


def _grant(account: Account, key: str | None, olares_id: str, audience: Audience, lock: str, cli: str) -> Finding:
    login = login_fix(olares_id, audience, cli)
    try:
        account.verify(key)
    except TokenInvalidated:
        return Finding("grant", "fail", "the server rejects this profile's refresh token (invalidated)", login)
    except NotLoggedIn:
        return Finding("grant", "fail", "no usable refresh token is stored for this profile", login)
    except PermissionDenied:
        return Finding("grant", "ok", "authenticated; this identity may not read its user info (HTTP 403)")
    except AccessRejected as err:
        return Finding(
            "grant",
            "fail",
            f"the server still rejects the token after one refresh and retry (HTTP {err.status})",
            login,
        )
    except LockTimeout:
        return Finding(
            "grant",
            "fail",
            "another process held this profile's refresh lock past the timeout",
            f"find the holder with `lsof {sh(lock)}` and end it if stuck; never delete the lock file",
        )
    except AuthError as err:
        again = (
            f'auth_readiness(profile="{key}", live=true) once, later'
            if audience == "agent" and key
            else "auth_readiness(live=true) once, later"
            if audience == "agent"
            else f"{cli} profile whoami --refresh once, later"
        )
        return Finding(
            "grant",
            "fail",
            f"could not verify with the server ({err.kind}; server text: {clean(str(err), 240)}); the stored "
            "grant is untouched",
            f"{again}; do not log in again for this",
        )
    return Finding("grant", "ok", "the server accepted the grant (refreshed first if it had expired)")


def _target(config: Config, key: str | None, audience: Audience, cli: str) -> Profile | Finding:
    profile = config.find_profile(key) if key is not None else config.current()
    if profile is not None:
        return profile
    listing = "profile_list()" if audience == "agent" else f"{cli} profile list"
    if key is not None:
        return Finding("live.profile", "fail", f"no profile is named {key!r}; nothing was contacted", listing)
    return Finding(
        "live.profile",
        "fail",
        "no current profile (none configured, or the pointer names a missing one); nothing was contacted",
        login_fix(None, audience, cli) if not config.profiles else listing,
    )


def _host_checks(
    account: Account,
    label: str,
    url: str,
    target: Profile,
    rigged: bool,
    audience: Audience,
    opts: DoctorOptions,
) -> tuple[list[Finding], _Probe | None]:
    """DNS, TCP and TLS for one of the profile's hosts; the probe (for its Date) when one was made."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    via = f" (routed by {SERVICE_URL_ENV})" if rigged else ""
    where = (
        f"check {SERVICE_URL_ENV} in the server's environment"
        if rigged
        else f"check the Olares ID and that the box is online: nslookup {host}"
    )
    addresses = _resolve(host, port, opts.net_timeout)
    if isinstance(addresses, Exception):
        return [
            Finding(f"dns.{label}", "fail", f"{host}{via} does not resolve: {_reason(addresses)}", where),
            Finding(f"tcp.{label}", "skipped", f"{host} does not resolve"),
            Finding(f"tls.{label}", "skipped", f"{host} does not resolve"),
        ], None
    resolved = Finding(f"dns.{label}", "ok", f"{host}{via} resolves")
    refused = _connect(addresses, opts.net_timeout)
    if refused is not None:
        reach = where if rigged else f"check that the Olares box is on and reachable from here: open {url}"
        return [
            resolved,
            Finding(f"tcp.{label}", "fail", f"{host}:{port} does not accept connections: {_reason(refused)}", reach),
            Finding(f"tls.{label}", "skipped", f"{host}:{port} is not reachable"),
        ], None
    connected = Finding(f"tcp.{label}", "ok", f"{host}:{port} accepts connections")
    probe = _probe(account, url, target.insecure_skip_verify, opts.net_timeout)
    if parts.scheme != "https":
        return [
            resolved,
            connected,
            Finding(f"tls.{label}", "skipped", f"{url} is plain http{via}: no TLS to check"),
        ], probe
    verdict = _tls(f"tls.{label}", host, port, probe, target, audience, account.clock(), opts)
    return [resolved, connected, verdict], probe


def live_checks(
    account: Account, key: str | None, config: Config | None, *, audience: Audience, opts: DoctorOptions
) -> tuple[list[Finding], str | None]:
    """The network findings for one profile (``key``, else the current one), and its display name."""
    if config is None:
        return [Finding("live", "skipped", "config.json does not parse, so no profile can be checked")], None
    cli = opts.cli or OLARES_CLI
    target = _target(config, key, audience, cli)
    if isinstance(target, Finding):
        return [target], None
    try:
        endpoints = Endpoints.derive(
            OlaresID.parse(target.olares_id),
            auth_url_override=target.auth_url_override,
            local_url_prefix=target.local_url_prefix,
            env=account.env,
        )
    except AuthError as err:
        return [
            Finding("live.profile", "fail", clean(str(err)), login_fix(target.olares_id or None, audience, cli))
        ], None
    rigged = bool(account.env.get(SERVICE_URL_ENV, "").strip())
    findings: list[Finding] = []
    reachable = True
    auth_probe = _Probe()
    for label, url in (("auth", endpoints.auth), ("desktop", endpoints.desktop)):
        host_findings, probe = _host_checks(account, label, url, target, rigged, audience, opts)
        findings.extend(host_findings)
        reachable = reachable and all(f.status != "fail" for f in host_findings)
        if label == "auth" and probe is not None:
            auth_probe = probe
    record, _ = lookup_record(account.vault, target.olares_id)
    exp: int | None = None
    if record is not None and record.access_token:
        try:
            exp = expires_at(record.access_token)
        except JWTError:
            exp = None
    findings.append(_clock(auth_probe, urlsplit(endpoints.auth).hostname or "", exp, opts))
    if not reachable:
        findings.append(
            Finding("grant", "skipped", "a host is unreachable or untrusted (see above); no token was sent")
        )
    else:
        lock = str(account.paths.refresh_lock(target.olares_id))
        findings.append(_grant(account, key, target.olares_id, audience, lock, cli))
    return findings, target.display_name
