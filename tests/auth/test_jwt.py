"""JWT ``exp`` extraction and expiry, pinned to olares-cli's ``jwt_test.go`` (beclab/Olares `cli/pkg/auth/jwt.go`, `cli/pkg/auth/jwt_test.go`, docs/compatibility.md)."""

from __future__ import annotations

import pytest

from olares_auth_mcp.auth.errors import JWTError, NoExpClaim
from olares_auth_mcp.auth.jwt import decode_segment, expires_at, is_expired
from tests.helpers import b64url, make_jwt

REAL_PAYLOAD = (
    '{"exp":1777127385,"iat":1777040985,"username":"pptest01","groups":["lldap_admin"],'
    '"mfa":0,"jid":13962895094395427312}'
)


def test_real_olares_token_payload_gives_its_exp() -> None:
    """The real Olares access token of jwt_test.go (a uint64 jid beside exp) reads exp 1777127385."""
    assert expires_at(make_jwt(payload=REAL_PAYLOAD)) == 1777127385


def test_empty_object_payload_has_no_exp_claim() -> None:
    with pytest.raises(NoExpClaim, match="^jwt has no exp claim$"):
        expires_at("h.e30.s")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("not.a.jwt.too.many.dots", "token does not look like a JWT (want 3 segments, got 6)"),
        ("", "token is empty"),
        ("onlyone", "token does not look like a JWT (want 3 segments, got 1)"),
    ],
)
def test_malformed_tokens_are_errors(token: str, message: str) -> None:
    with pytest.raises(JWTError) as info:
        expires_at(token)
    assert str(info.value) == message


def test_expiry_boundaries() -> None:
    """IsExpired is false at exp-3600 and true at exp and exp+1."""
    token = make_jwt({"exp": 1777127385})
    assert not is_expired(token, 1777127385 - 3600)
    assert is_expired(token, 1777127385)
    assert is_expired(token, 1777127386)
    assert is_expired(token, 1777127385 - 60, skew=60)


@pytest.mark.parametrize(
    "payload",
    ['{"exp":1.0}', '{"exp":1e9}', '{"exp":"1777127385"}', '{"exp":true}', '{"exp":9223372036854775808}', "[1]"],
)
def test_exp_must_be_an_int64_literal(payload: str) -> None:
    """Go rejects floats, exponents, strings, bools and out-of-range numbers in an int64 field."""
    with pytest.raises(JWTError) as info:
        expires_at(make_jwt(payload=payload))
    assert not isinstance(info.value, NoExpClaim)


@pytest.mark.parametrize(("payload", "exp"), [('{"EXP":5}', 5), ('{"exp":1,"Exp":7}', 7), ('{"exp":-3}', -3)])
def test_key_match_is_case_insensitive_and_last_wins(payload: str, exp: int) -> None:
    assert expires_at(make_jwt(payload=payload)) == exp


@pytest.mark.parametrize("payload", ['{"exp":0}', '{"exp":null}', "null", '{"iat":5}'])
def test_zero_or_missing_exp_is_no_exp_claim(payload: str) -> None:
    with pytest.raises(NoExpClaim):
        expires_at(make_jwt(payload=payload))


def test_negative_exp_is_valid_and_expired() -> None:
    assert is_expired(make_jwt({"exp": -1}), 0)


def test_base64_decoder_is_strict_like_go() -> None:
    """Raw and padded base64url are accepted; + and / are not; CR and LF are ignored."""
    raw = b64url(b'{"exp":12}')
    assert decode_segment(raw) == b'{"exp":12}'
    padded = raw + "=" * (-len(raw) % 4)
    assert decode_segment(padded) == b'{"exp":12}'
    assert decode_segment(raw[:4] + "\r\n" + raw[4:]) == b'{"exp":12}'
    for bad in ("ab+d", "ab/d", "abcd=", "a", "ab=c"):
        with pytest.raises(JWTError):
            decode_segment(bad)


NESTED = '{"exp":4102444800,"x":' + "[" * 600 + "]" * 600 + "}"
HUGE = '{"exp":4102444800,"pad":"' + "a" * (1024 * 1024) + '"}'


@pytest.mark.parametrize("payload", [NESTED, HUGE], ids=["nested-600", "1MB"])
def test_hostile_payloads_are_typed_errors(payload: str) -> None:
    """A server-issued token nesting 600 deep or 1 MB long is unreadable (JWTError), never a RecursionError."""
    with pytest.raises(JWTError, match="^decode jwt payload: "):
        expires_at(make_jwt(payload=payload))


def test_depth_and_size_limits_leave_real_tokens_alone() -> None:
    shallow = '{"exp":1777127385,"x":' + "[" * 60 + "]" * 60 + "}"
    assert expires_at(make_jwt(payload=shallow)) == 1777127385
    assert expires_at(make_jwt(payload='{"exp":1777127385,"pad":"' + "a" * 60_000 + '"}')) == 1777127385
