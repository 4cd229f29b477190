"""Every message of olares-cli's catalogue (docs/compatibility.md), byte for byte, written once in ``auth.errors``."""

from __future__ import annotations

import pytest

from olares_auth_mcp.auth import errors as e


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (e.InvalidOlaresID(""), "olaresId is empty"),
        (e.InvalidOlaresID("  "), "olaresId is empty"),
        (e.InvalidOlaresID("a@b@c"), "olaresId \"a@b@c\" contains more than one '@'"),
        (e.ProfileNotFound("bob"), 'profile "bob" not found'),
        (e.NoPreviousProfile(), "no previous profile to switch back to"),
        (
            e.NoProfile(),
            "no Olares profile is configured: run `olares-cli profile login --olares-id <id>` or "
            "`olares-cli profile import --olares-id <id> --refresh-token <tok>`",
        ),
        (
            e.NotLoggedIn("alice@olares.com"),
            "no access token for alice@olares.com; run: olares-cli profile login --olares-id alice@olares.com"
            "  (or profile import --refresh-token <tok>)",
        ),
        (
            e.AlreadyAuthenticated("alice@olares.com", 86399),
            "already authenticated for alice@olares.com (expires in 23h59m).\n"
            "to re-authenticate, run: olares-cli profile remove alice@olares.com",
        ),
        (
            e.ExpiryUnknown("alice@olares.com"),
            "a token is already stored for alice@olares.com but its expiry can't be determined client-side.\n"
            "to re-authenticate, run: olares-cli profile remove alice@olares.com",
        ),
        (e.NoExpClaim(), "jwt has no exp claim"),
        (e.TokenNotFound(), "token not found"),
        (e.VaultCorrupted(), "keychain is corrupted"),
        (e.VaultLocked(), "keychain access blocked"),
        (
            e.VaultError.op_failed("Get", "alice@olares.com", "boom"),
            "keychain Get failed for olares-cli/alice@olares.com: boom",
        ),
        (e.TokenDecodeError("a@b", "x"), "decode stored token for a@b: x"),
        (e.TOTPRequired(), "two-factor authentication is required: re-run with --totp <code>"),
        (e.TOTPRequired(cli=True), "two-factor authentication required: re-run with --totp <code>"),
        (
            e.RefreshRejected(401, '{"status":"KO"}'),
            'refresh token rejected by server: /api/refresh returned HTTP 401: {"status":"KO"}',
        ),
        (
            e.AccessRejected("alice@olares.com", 401),
            "server rejected the access token (HTTP 401); please run: olares-cli profile login --olares-id alice@olares.com",
        ),
        (
            e.PermissionDenied(),
            "server rejected the request (HTTP 403); the active identity does not have permission for this "
            "resource or action; inspect it with `olares-cli profile whoami --refresh`",
        ),
        (e.LockTimeout("a@b"), "acquire refresh lock for a@b: context deadline exceeded"),
        (
            e.ManagedProfile("remove", "alice@olares.test", "lares"),
            'cannot remove alice@olares.test: its credential is issued by the platform for application "lares" '
            "and is not stored locally; uninstall that application to revoke it",
        ),
    ],
)
def test_messages_are_byte_exact(error: e.AuthError, text: str) -> None:
    assert str(error) == text


def test_invalidated_message_uses_local_rfc3339(monkeypatch: pytest.MonkeyPatch) -> None:
    """Go's RFC3339 in the local zone: ``Z`` under UTC, ``+08:00`` elsewhere; two spaces before ``(or``."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        err = e.TokenInvalidated("alice@olares.com", 1_777_627_200_999)
        assert str(err) == (
            "refresh token for alice@olares.com became invalid at 2026-05-01T09:20:00Z; please run: "
            "olares-cli profile login --olares-id alice@olares.com"
            "  (or profile import --olares-id alice@olares.com --refresh-token <tok>)"
        )
        monkeypatch.setenv("TZ", "Asia/Shanghai")
        time.tzset()
        assert e.format_go_rfc3339(1_777_627_200_000) == "2026-05-01T17:20:00+08:00"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (59.9, "59s"), (60, "1m0s"), (3599, "59m59s"), (90061, "25h1m")]
)
def test_humanize_duration(seconds: float, text: str) -> None:
    assert e.humanize_duration(seconds) == text
