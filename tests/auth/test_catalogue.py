"""The error→fix catalogue classifies every message of compat §8 (as produced by our own error classes)."""

from __future__ import annotations

import pytest

from olares_auth_mcp.auth import errors as e
from olares_auth_mcp.auth.catalogue import CATALOGUE, classify

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
        ('/api/refresh: Post "https://x/api/refresh": context deadline exceeded', "network"),
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
    diagnosis = classify(str(e.TokenInvalidated(ID, 1)))
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
