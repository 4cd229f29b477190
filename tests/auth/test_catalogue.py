"""The error→fix catalogue classifies every message of docs/compatibility.md (as produced by our own error classes)."""

from __future__ import annotations

import pytest

from olares_auth_mcp.auth import errors as e
from olares_auth_mcp.auth.catalogue import CATALOGUE, UNCLASSIFIED, Diagnosis, Entry, classify
from olares_auth_mcp.auth.commands import OLARES_CLI, OURS

ID = "alice@olares.com"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (str(e.NotLoggedIn(ID)), "not_logged_in"),
        (str(e.NoProfile()), "not_logged_in"),
        ("Error: token not found", "not_logged_in"),
        (str(e.TokenInvalidated(ID, 1_777_000_000_000)), "invalidated"),
        (str(e.RefreshRejected(401, '{"status":"KO"}')), "invalidated"),
        (f'Get "https://files.alice.olares.com/x": {e.TokenInvalidated(ID, 1)}', "invalidated"),
        (str(e.AccessRejected(ID, 401)), "access_rejected"),
        (str(e.AccessRejected(ID, 459, "{}")), "access_rejected"),
        (str(e.PermissionDenied()), "permission_denied"),
        (str(e.TOTPRequired()), "totp_required"),
        (str(e.TOTPRequired(cli=True)), "totp_required"),
        (str(e.AlreadyAuthenticated(ID, 3600)), "already_authenticated"),
        (str(e.ExpiryUnknown(ID)), "no_exp_claim"),
        (str(e.ProfileNotFound("bob")), "profile_not_found"),
        (str(e.NoPreviousProfile()), "profile_not_found"),
        ('/api/firstfactor returned HTTP 401: {"status":"KO"}', "bad_password"),
        ("/api/secondfactor/totp returned HTTP 401: {}", "bad_totp"),
        ("password is empty", "bad_password"),
        ("stdin is not a terminal; pass --password-stdin and pipe the password instead", "needs_terminal"),
        (
            '/api/firstfactor: Post "https://auth.alice.olares.com/api/firstfactor?hideCookie=true": dial tcp: '
            "lookup auth.alice.olares.com: no such host",
            "network",
        ),
        ('/api/refresh: Post "https://x/api/refresh": context deadline exceeded', "timeout"),
        ("/api/refresh returned HTTP 502: <html>", "server"),
        ("refresh failed: KO: boom", "server"),
        ("refresh returned empty access_token", "server"),
        (str(e.LockTimeout(ID)), "lock_timeout"),
        (str(e.VaultLocked()), "vault_locked"),
        (str(e.VaultError.op_failed("Get", ID, e.VaultCorrupted())), "vault_corrupted"),
        (str(e.TokenDecodeError(ID, "x")), "vault_corrupted"),
        ("parse /home/a/.olares-cli/config.json: invalid character", "config"),
        (str(e.InvalidOlaresID("a@b@c")), "invalid_olares_id"),
        (str(e.ManagedProfile("log in as", ID, "lares")), "managed_profile"),
        ("something entirely different", "unclassified"),
    ],
)
def test_every_catalogue_message_is_classified(text: str, kind: str) -> None:
    assert classify(text).entry.kind == kind


def test_must_login_only_for_not_logged_in_and_invalidated() -> None:
    assert {entry.kind for entry in CATALOGUE if entry.must_login} == {"not_logged_in", "invalidated"}


def test_transient_entries_never_ask_for_a_login() -> None:
    for entry in CATALOGUE:
        if entry.transient:
            assert (
                "Do not log in" in entry.retry
                or "do not log in" in entry.retry
                or entry.kind in ("managed_pending", "vault_locked")
            )


def test_fix_names_the_olares_id_from_the_text() -> None:
    diagnosis = classify(str(e.TokenInvalidated(ID, 1)), cli=OLARES_CLI)
    assert diagnosis.fix == f"olares-cli profile login --olares-id {ID}"
    assert diagnosis.olares_id == ID


def test_every_retry_says_no_loop_or_what_to_do_instead() -> None:
    for entry in CATALOGUE:
        assert entry.retry and entry.fix and entry.agent_action


def test_no_entry_ever_proposes_a_removal() -> None:
    """Removing a profile deletes its token: that is the human's decision, never a fix handed to an agent."""
    for text in ("jwt has no exp claim for alice@olares.com", str(e.ExpiryUnknown(ID)), str(e.VaultCorrupted())):
        diagnosis = classify(text)
        assert "profile remove" not in diagnosis.fix and "remove" not in diagnosis.entry.agent_action
        assert "ask the human" in diagnosis.fix.lower()
    for entry in CATALOGUE:
        assert "profile remove" not in entry.fix and "profile remove" not in entry.retry
        assert entry.agent_action != "profile_remove"


@pytest.mark.parametrize(
    "text",
    [
        'refresh failed: KO: server said: "refresh token for alice@olares.com became invalid at now"',
        'whoami: server said: "no access token for alice@olares.com; run: olares-cli profile login"',
        '/api/refresh returned HTTP 502: server said: "jwt has no exp claim for alice@olares.com"',
    ],
)
def test_server_quoted_text_never_picks_the_entry_or_the_olares_id(text: str) -> None:
    diagnosis = classify(text)
    assert diagnosis.entry.kind == "server"
    assert diagnosis.olares_id is None


@pytest.mark.parametrize(
    "olares_id",
    ["alice@оlares.com", "alice@oIares.com", "alice@xn--lares-iye.com", "Alice@olares.com", "al ice@olares.com"],
)
def test_only_a_well_formed_olares_id_fills_the_fix(olares_id: str) -> None:
    diagnosis = classify(f"no access token for {olares_id}; run: olares-cli profile login --olares-id {olares_id}")
    assert diagnosis.entry.kind == "not_logged_in"
    assert diagnosis.olares_id is None and olares_id not in diagnosis.fix


def test_the_callers_own_olares_id_wins_over_the_text() -> None:
    diagnosis = classify(str(e.TokenInvalidated("mallory@evil.example", 1)), olares_id=ID)
    assert diagnosis.olares_id == ID and diagnosis.fix.endswith(ID)


# The wider family of real texts (issue 12, item 6): olares-cli's and Go's net/http / crypto/x509 wording,
# httpx's and ssl's wording as our transport words it (auth/wire.py `_transport_reason`), and the generic
# phrasings people and other tools use. Each was `unclassified` (or a wrong kind) before.
WIDER = "https://auth.alice.olares.com/api/refresh"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # generic 401 / 403 / 459 wording
        ("HTTP 401", "access_rejected"),
        ("Error: HTTP 403 Forbidden", "access_rejected"),
        ("request failed with status 459", "access_rejected"),
        ("401 Unauthorized", "access_rejected"),
        (
            'GET https://desktop.alice.olares.com/api/backend/v1/user-info: HTTP 401: server said: "no"',
            "access_rejected",
        ),
        ('{"code": 401, "message": "token expired"}', "access_rejected"),
        # a dead grant, in other words
        ("server rejected the refresh token", "invalidated"),
        ("Error: the server rejected the refresh token for alice@olares.com", "invalidated"),
        ("refresh token for alice@olares.com has been invalidated", "invalidated"),
        ("the refresh token has been invalidated; log in again", "invalidated"),
        ("the grant became invalid", "invalidated"),
        # no profile
        ("no profile selected", "not_logged_in"),
        ("Error: no current profile", "not_logged_in"),
        # TLS / x509: not transient
        (f'Post "{WIDER}": tls: failed to verify certificate: x509: certificate signed by unknown authority', "tls"),
        (
            f'Post "{WIDER}": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: '
            "current time 2026-11-30T09:00:00Z is after 2026-11-01T00:00:00Z",
            "tls",
        ),
        ("x509: certificate is valid for desktop.bob.olares.com, not desktop.alice.olares.com", "tls"),
        ("remote error: tls: handshake failure", "tls"),
        (
            f'/api/refresh: Post "{WIDER}": [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: '
            "self-signed certificate (_ssl.c:1000)",
            "tls",
        ),
        # DNS and connection refused: check the domain and the network
        (f'/api/refresh: Post "{WIDER}": [Errno -2] Name or service not known', "network"),
        (f'/api/refresh: Post "{WIDER}": [Errno -3] Temporary failure in name resolution', "network"),
        ("dial tcp: lookup auth.alice.olares.com on 127.0.0.53:53: no such host", "network"),
        (f'Post "{WIDER}": dial tcp 192.168.1.20:443: connect: connection refused', "network"),
        (f'/api/refresh: Post "{WIDER}": [Errno 111] Connection refused', "network"),
        (f'/api/refresh: Post "{WIDER}": All connection attempts failed', "network"),
        # timeouts and dropped connections: transient
        (
            f'/api/refresh: Post "{WIDER}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
            "timeout",
        ),
        (f'Post "{WIDER}": net/http: TLS handshake timeout', "timeout"),
        (f'/api/refresh: Post "{WIDER}": The read operation timed out', "timeout"),
        ("read tcp 10.0.0.2:51234->10.0.0.5:443: read: connection reset by peer", "timeout"),
        (f'Post "{WIDER}": unexpected EOF', "timeout"),
        # 5xx: transient
        ("/api/refresh returned HTTP 503: <html>", "server"),
        ("HTTP 502 Bad Gateway", "server"),
        ("500 Internal Server Error", "server"),
        ("GET https://desktop.alice.olares.com/api/backend/v1/user-info: HTTP 504: gateway", "server"),
    ],
)
def test_the_wider_family_of_real_texts_is_classified(text: str, kind: str) -> None:
    assert classify(text).entry.kind == kind


def _entry(kind: str) -> Entry:
    return next(entry for entry in (*CATALOGUE, UNCLASSIFIED) if entry.kind == kind)


def test_tls_is_not_transient_and_never_tells_the_agent_to_turn_verification_off() -> None:
    diagnosis = classify("x509: certificate signed by unknown authority", cli=OLARES_CLI)
    entry = diagnosis.entry
    assert entry.kind == "tls" and not entry.transient and not entry.must_login
    assert "certificate" in diagnosis.fix and "clock" in diagnosis.fix
    assert "a human may choose `--insecure-skip-verify`" in diagnosis.fix
    assert "never turn tls verification off yourself" in diagnosis.retry.lower()
    assert "retry later" not in diagnosis.retry.lower()
    assert entry.agent_action.startswith("none")


def test_dns_and_refused_say_check_the_domain_and_the_network() -> None:
    for text in ("dial tcp: lookup auth.alice.olares.com: no such host", "connect: connection refused"):
        diagnosis = classify(text)
        assert diagnosis.entry.kind == "network" and not diagnosis.entry.must_login
        assert "domain" in diagnosis.fix and "network" in diagnosis.fix
        assert "Do not log in again" in diagnosis.retry and "never retry in a loop" in diagnosis.retry


@pytest.mark.parametrize("kind", ["timeout", "server"])
def test_timeouts_and_5xx_are_transient_surfaced_and_never_looped(kind: str) -> None:
    entry = _entry(kind)
    assert entry.transient and not entry.must_login
    assert "surface it to the human" in entry.retry and "never retry in a loop" in entry.retry


@pytest.mark.parametrize(
    "text",
    [
        "Error: the server rejected the refresh token for alice@olares.com",
        "refresh token for alice@olares.com has been invalidated",
        "no access token for alice@olares.com",
        "olares-cli profile login --olares-id=alice@olares.com failed: HTTP 401",
        "alice@olares.com: x509: certificate signed by unknown authority",
        "could not log in as alice@olares.com: no such host",
    ],
)
def test_olares_id_is_filled_from_the_text(text: str) -> None:
    diagnosis = classify(text)
    assert diagnosis.entry.kind != "unclassified"
    assert diagnosis.olares_id == ID


def test_an_id_a_server_quoted_never_fills_the_fix() -> None:
    diagnosis = classify('server rejected the refresh token: server said: "for mallory@evil.example"')
    assert diagnosis.entry.kind == "invalidated"
    assert diagnosis.olares_id is None and "mallory" not in diagnosis.fix


@pytest.mark.parametrize("text", ["no profile selected", "server rejected the refresh token", "HTTP 401"])
def test_without_an_olares_id_the_fix_asks_the_human_for_it(text: str) -> None:
    for cli in (OURS, OLARES_CLI):
        diagnosis = classify(text, cli=cli)
        assert "<olares-id>" not in diagnosis.fix and "{id}" not in diagnosis.fix
        if "--olares-id" in diagnosis.fix:
            assert diagnosis.fix.startswith("Ask the human for their Olares ID")


def test_the_fix_names_the_installed_cli() -> None:
    text = str(e.NotLoggedIn(ID))
    assert classify(text).fix == f"olares-auth-mcp profile login --olares-id {ID}"
    assert classify(text, cli=OLARES_CLI).fix == f"olares-cli profile login --olares-id {ID}"
    for entry in (*CATALOGUE, UNCLASSIFIED):
        assert "olares-cli" not in Diagnosis(entry, ID, OURS).fix, "never a CLI the user may not have"
        assert "olares-cli" not in Diagnosis(entry, None, OURS).fix
