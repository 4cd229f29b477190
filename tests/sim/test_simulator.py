"""The simulator's protocol over real loopback HTTP: login, 2FA, refresh, tokens and desktop API.

Knobs, faults and lifecycle are in test_sim_knobs.py; the ``sim`` command in test_sim_cli.py.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import jwt
import pyotp
import pytest

from olares_auth_mcp.sim import Simulator
from tests.sim._wire import (
    ALICE,
    API_HEADERS,
    BOB,
    CAROL,
    KO_BAD_PASSWORD,
    NOW,
    SECRET,
    FakeClock,
    edge_refusal,
    first_factor,
    login,
    refresh,
    salted,
    second_factor,
    user_info,
)

# -- first factor -------------------------------------------------------------------------


def test_first_factor_accepts_the_salted_md5_vectors(client: httpx.Client) -> None:
    """Both hash vectors from beclab/Olares `cli/pkg/auth/login.go` log in; the token opens the desktop API."""
    assert salted("P@ssw0rd") == "4725f8a2db5008eef64d5993817a40c8"
    resp = first_factor(client, "alice", "4725f8a2db5008eef64d5993817a40c8", "https://desktop.alice.olares.com")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "OK"
    assert body["data"]["fa2"] is False
    assert set(body["data"]) == {"access_token", "refresh_token", "session_id", "fa2"}
    assert user_info(client, body["data"]["access_token"]).status_code == 200
    resp = first_factor(client, "bob", "a596176a5d70abb1306afbdf4f004e5e", "https://vault.bob.olares.com/server")
    assert resp.status_code == 200


@pytest.mark.parametrize(
    ("local", "password_hash"), [("alice", salted("wrong")), ("alice", "P@ssw0rd"), ("zed", salted("x"))]
)
def test_first_factor_rejects_bad_credentials_with_ko_json(
    client: httpx.Client, local: str, password_hash: str
) -> None:
    """A wrong password, an unsalted password or an unknown user is 401 with Authelia's KO body."""
    resp = first_factor(client, local, password_hash, "https://desktop.alice.olares.com")
    assert resp.status_code == 401
    assert resp.json() == KO_BAD_PASSWORD


@pytest.mark.parametrize("body", [b"{not json", b"[1]", b'{"username": 1, "password": "x"}'])
def test_malformed_login_body_is_400_ko(client: httpx.Client, body: bytes) -> None:
    """A body that is not a JSON object with string fields is 400 with a JSON KO body."""
    resp = client.post("/api/firstfactor", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["status"] == "KO"


# -- second factor ------------------------------------------------------------------------


def test_totp_account_needs_fa2_only_for_the_desktop_target(client: httpx.Client) -> None:
    """The vault target gives a final token; the desktop target gives fa2 plus a session cookie."""
    data = login(client, BOB)
    assert data["fa2"] is False
    assert user_info(client, data["access_token"]).status_code == 200

    resp = first_factor(client, "bob", salted("abc"), "https://desktop.bob.olares.com")
    assert resp.status_code == 200
    assert resp.json()["data"]["fa2"] is True
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith("authelia_session=")
    assert "Path=/" in cookie
    assert "HttpOnly" in cookie


def test_provisional_fa2_tokens_open_nothing_but_the_second_factor(client: httpx.Client) -> None:
    """Tokens from an fa2 first factor are rejected by the desktop API (459, fa2 true) and by /api/refresh."""
    data = first_factor(client, "bob", salted("abc"), "https://desktop.bob.olares.com").json()["data"]
    resp = user_info(client, data["access_token"])
    assert (resp.status_code, resp.json()["fa2"]) == (459, True)
    assert refresh(client, data["refresh_token"]).status_code == 401


def test_second_factor_with_a_real_code_returns_final_tokens(client: httpx.Client) -> None:
    """A current TOTP code plus the first-factor token and cookie yields working mfa tokens."""
    first = first_factor(client, "bob", salted("abc"), "https://desktop.bob.olares.com").json()["data"]
    resp = second_factor(client, first["access_token"], pyotp.TOTP(SECRET).at(NOW))
    assert resp.status_code == 200
    data = resp.json()["data"]
    assert data["fa2"] is False
    assert data["session_id"] == first["session_id"]
    assert data["access_token"] != first["access_token"]
    assert jwt.decode(data["access_token"], options={"verify_signature": False})["mfa"] == 1
    assert user_info(client, data["access_token"]).json()["data"] == {"name": "bob", "owner_role": "owner"}
    assert refresh(client, data["refresh_token"]).status_code == 200
    # The pending login is used up.
    assert second_factor(client, first["access_token"], pyotp.TOTP(SECRET).at(NOW)).status_code == 401


def test_second_factor_rejects_a_wrong_code_and_allows_a_retry(client: httpx.Client) -> None:
    """A wrong or two-windows-old code is 401 KO; the first factor stays open for a retry."""
    first = first_factor(client, "bob", salted("abc"), "https://desktop.bob.olares.com").json()["data"]
    totp = pyotp.TOTP(SECRET)
    for code in ("000000" if totp.at(NOW) != "000000" else "111111", totp.at(NOW - 90)):
        resp = second_factor(client, first["access_token"], code)
        assert resp.status_code == 401
        assert resp.json()["status"] == "KO"
    # valid_window=1: the previous 30 s window is still accepted.
    assert second_factor(client, first["access_token"], totp.at(NOW - 30)).status_code == 200


def test_second_factor_requires_cookie_token_and_non_redirect_header(sim: Simulator, client: httpx.Client) -> None:
    """Without the session cookie, with another token, or without X-Unauth-Error it is 401 KO."""
    first = first_factor(client, "bob", salted("abc"), "https://desktop.bob.olares.com").json()["data"]
    code = pyotp.TOTP(SECRET).at(NOW)
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as cookieless:
        resp = second_factor(cookieless, first["access_token"], code)
    assert resp.status_code == 401
    assert resp.json()["status"] == "KO"
    access, _ = sim.issue_tokens("bob@olares.com")
    assert second_factor(client, access, code).status_code == 401
    resp = client.post(
        "/api/secondfactor/totp",
        json={"targetUrl": "https://desktop.bob.olares.com", "token": code},
        headers={"X-Authorization": first["access_token"]},
    )
    assert resp.status_code == 401
    assert second_factor(client, first["access_token"], code).status_code == 200


# -- refresh ------------------------------------------------------------------------------


def test_refresh_rotates_and_retires_the_old_refresh_token(client: httpx.Client) -> None:
    """With rotation each refresh returns a new refresh token and the old one is rejected."""
    data = login(client, ALICE)
    resp = refresh(client, data["refresh_token"])
    assert resp.status_code == 200
    new = resp.json()["data"]
    assert new["refresh_token"] not in ("", data["refresh_token"])
    assert new["session_id"] == data["session_id"]
    assert user_info(client, new["access_token"]).status_code == 200
    old = refresh(client, data["refresh_token"])
    assert old.status_code == 401
    assert old.json()["status"] == "KO"
    assert refresh(client, new["refresh_token"]).status_code == 200


def test_refresh_without_rotation_omits_the_refresh_token(make_sim: Callable[..., Simulator]) -> None:
    """rotate_refresh=False: the response has no refresh_token and the old one keeps working."""
    sim = make_sim(rotate_refresh=False)
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as client:
        data = login(client, ALICE)
        for _ in range(2):
            resp = refresh(client, data["refresh_token"])
            assert resp.status_code == 200
            assert "refresh_token" not in resp.json()["data"]
            assert user_info(client, resp.json()["data"]["access_token"]).status_code == 200


def test_revoked_or_unknown_refresh_token_is_401_with_a_json_object(sim: Simulator, client: httpx.Client) -> None:
    """Rejections carry a JSON object body, which olares-cli needs to count them as rejections."""
    data = login(client, ALICE)
    sim.revoke_refresh_token(str(data["refresh_token"]))
    for token in (data["refresh_token"], "never-issued"):
        resp = refresh(client, token)
        assert resp.status_code == 401
        assert resp.headers["content-type"] == "application/json"
        body = resp.json()
        assert body["status"] == "KO"
        assert body["message"]


def test_revoke_user_rejects_all_their_tokens_but_not_a_new_login(sim: Simulator, client: httpx.Client) -> None:
    """revoke_user kills every grant and access token of that user only; a new login works."""
    alice, carol = login(client, ALICE), login(client, CAROL)
    sim.revoke_user("alice@olares.com")
    assert refresh(client, alice["refresh_token"]).status_code == 401
    assert user_info(client, alice["access_token"]).status_code == 459
    assert user_info(client, carol["access_token"]).status_code == 200
    assert user_info(client, login(client, ALICE)["access_token"]).status_code == 200
    with pytest.raises(KeyError):
        sim.revoke_user("nobody@olares.com")


def test_expire_access_tokens_then_refresh_gives_a_working_token(sim: Simulator, client: httpx.Client) -> None:
    """After expire_access_tokens the API answers the edge's 459; a refresh restores access."""
    data = login(client, ALICE)
    sim.expire_access_tokens()
    resp = user_info(client, data["access_token"])
    assert (resp.status_code, resp.json()) == (459, edge_refusal(sim, "/api/backend/v1/user-info"))
    fresh = refresh(client, data["refresh_token"]).json()["data"]
    assert user_info(client, fresh["access_token"]).status_code == 200


# -- tokens and the desktop API -----------------------------------------------------------


@pytest.mark.parametrize("ttl", [86400, 2, 0])
def test_access_token_is_an_hs512_jwt_with_olares_claims(make_sim: Callable[..., Simulator], ttl: int) -> None:
    """Header is exactly {"alg":"HS512"}; exp - iat == access_ttl; iat comes from the clock."""
    sim = make_sim(access_ttl=ttl)
    access, _ = sim.issue_tokens("alice@olares.com")
    assert jwt.get_unverified_header(access) == {"alg": "HS512"}
    claims = jwt.decode(access, options={"verify_signature": False})
    assert set(claims) == {"exp", "iat", "username", "groups", "mfa", "jid"}
    assert claims["iat"] == int(NOW)
    assert claims["exp"] - claims["iat"] == ttl
    assert claims["username"] == "alice"
    assert claims["mfa"] == 0
    assert isinstance(claims["jid"], int)


def test_access_token_expires_by_the_injected_clock(make_sim: Callable[..., Simulator], clock: FakeClock) -> None:
    """A 2 s token works until iat+2 on the injected clock; a 0 s token never works."""
    sim = make_sim(access_ttl=2)
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as client:
        access, _ = sim.issue_tokens("alice@olares.com")
        clock.now = NOW + 1.9
        assert user_info(client, access).status_code == 200
        clock.now = NOW + 2
        resp = user_info(client, access)
        assert (resp.status_code, resp.json()) == (459, edge_refusal(sim, "/api/backend/v1/user-info"))
        sim.set_edge_status(401)
        resp = user_info(client, access)
        assert (resp.status_code, resp.json()) == (401, {"code": 401, "message": "access token expired"})
    zero = make_sim(access_ttl=0)
    with httpx.Client(base_url=zero.url, timeout=5, trust_env=False) as client:
        assert user_info(client, zero.issue_tokens("alice@olares.com")[0]).status_code == 459


def test_forged_or_missing_token_is_refused_like_an_expired_one(sim: Simulator, client: httpx.Client) -> None:
    """A token signed with another key, garbage, or no token at all gets the edge's 459 (the 401 knob: BFL 401)."""
    claims = {"exp": int(NOW) + 60, "iat": int(NOW), "username": "alice", "groups": [], "mfa": 0, "jid": 1}
    forged = jwt.encode(claims, b"k" * 64, algorithm="HS512")
    for headers in ({"X-Authorization": forged}, {"X-Authorization": "not-a-jwt"}, {}):
        resp = client.get("/api/backend/v1/user-info", headers={**headers, **API_HEADERS})
        assert (resp.status_code, resp.json()) == (459, edge_refusal(sim, "/api/backend/v1/user-info"))
    sim.set_edge_status(401)
    for headers in ({"X-Authorization": forged}, {"X-Authorization": "not-a-jwt"}, {}):
        resp = client.get("/api/backend/v1/user-info", headers={**headers, **API_HEADERS})
        assert resp.status_code == 401
        assert resp.json()["code"] == 401


def test_desktop_api_accepts_the_auth_token_cookie(sim: Simulator, client: httpx.Client) -> None:
    """Without X-Authorization the auth_token cookie authenticates, as the transport sends both."""
    access, _ = sim.issue_tokens("carol@example.org")
    resp = client.get("/api/backend/v1/user-info", headers={"Cookie": f"auth_token={access}"})
    assert resp.json() == {"code": 0, "message": "", "data": {"name": "carol", "owner_role": "normal"}}


def test_olares_info_reports_the_configured_os_version(make_sim: Callable[..., Simulator]) -> None:
    """/api/olares-info answers data.osVersion for a valid token, with user-service's code 200."""
    sim = make_sim(os_version="1.13.0-rc.1")
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as client:
        access, _ = sim.issue_tokens("alice@olares.com")
        resp = client.get("/api/olares-info", headers={"X-Authorization": access})
        assert resp.json()["code"] == 200
        assert resp.json()["data"]["osVersion"] == "1.13.0-rc.1"
        assert client.get("/api/olares-info", headers=API_HEADERS).status_code == 459


def test_unknown_path_is_json_404_and_wrong_method_405(client: httpx.Client) -> None:
    """Paths the simulator does not serve answer JSON, never HTML."""
    resp = client.get("/api/nope")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/json"
    assert client.get("/api/refresh").status_code == 405
