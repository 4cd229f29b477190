"""Where a client could get it wrong, the simulator answers as strictly as a real Olares box.

The edge (beclab/authelia `internal/handlers/handler_authz_impl_legacy.go`) refuses desktop-API tokens
with 459 and a JSON body, or with a 401/302 redirect when the client forgot ``X-Unauth-Error``; a
provisional first-factor token of a 2FA account opens nothing; the session cookie follows
``acceptCookie`` (`handler_firstfactor.go`); olares-info answers user-service's ``code: 200``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest

from olares_auth_mcp.sim import Simulator, main
from tests.sim._wire import API_HEADERS, NOW, SECRET, edge_refusal, salted, second_factor, user_info
from tests.sim.test_sim_cli import running_sim

USER_INFO = "/api/backend/v1/user-info"
OLARES_INFO = "/api/olares-info"
DESKTOP = "https://desktop.bob.olares.com"


def _first_factor(client: httpx.Client, **extra: object) -> httpx.Response:
    body = {
        "username": "bob",
        "password": salted("abc"),
        "keepMeLoggedIn": False,
        "requestMethod": "POST",
        "targetURL": DESKTOP,
        **extra,
    }
    return client.post("/api/firstfactor", params={"hideCookie": "true"}, json=body)


def _expired(sim: Simulator) -> str:
    access, _ = sim.issue_tokens("alice@olares.com")
    sim.expire_access_tokens()
    return access


# -- 459 is the default refusal ----------------------------------------------------------


@pytest.mark.parametrize("path", [USER_INFO, OLARES_INFO])
def test_an_expired_token_gets_the_edge_459_with_its_exact_body(
    sim: Simulator, client: httpx.Client, path: str
) -> None:
    resp = client.get(path, headers={"X-Authorization": _expired(sim), **API_HEADERS})
    assert resp.status_code == 459
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == edge_refusal(sim, path)
    assert list(resp.json()) == ["fa2", "method", "session_id", "target_url"]  # Go marshals map keys sorted


def test_the_459_names_the_full_url_and_method_and_echoes_the_session_cookie(
    sim: Simulator, client: httpx.Client
) -> None:
    headers = {"X-Authorization": _expired(sim), "Cookie": "authelia_session=s-123", **API_HEADERS}
    resp = client.get(f"{OLARES_INFO}?t=1", headers=headers)
    assert resp.json() == {
        "fa2": False,
        "method": "GET",
        "session_id": "s-123",
        "target_url": f"{sim.url}{OLARES_INFO}?t=1",
    }


def test_x_unauth_error_is_also_honoured_as_a_cookie(sim: Simulator, client: httpx.Client) -> None:
    headers = {"X-Authorization": _expired(sim), "Cookie": "X-Unauth-Error=Non-Redirect", "Accept": "application/json"}
    assert client.get(USER_INFO, headers=headers).status_code == 459


def test_the_401_knob_answers_bfl_json_whatever_the_headers(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(edge_status=401)
    access = _expired(sim)
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as client:
        for headers in (API_HEADERS, {}, {"Accept": "text/html"}):
            resp = client.get(USER_INFO, headers={"X-Authorization": access, **headers})
            assert (resp.status_code, resp.json()) == (401, {"code": 401, "message": "access token expired or revoked"})
        sim.set_edge_status(459)
        assert user_info(client, access).status_code == 459


@pytest.mark.parametrize("status", [403, 200, 0])
def test_edge_status_accepts_only_459_and_401(sim: Simulator, status: int) -> None:
    with pytest.raises(ValueError, match="edge_status"):
        sim.set_edge_status(status)
    with pytest.raises(ValueError, match="edge_status"):
        Simulator(edge_status=status)


# -- a client that forgets X-Unauth-Error is redirected, never given JSON -----------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Accept": "application/json"}, 401),
        ({"Accept": ""}, 401),
        ({"Accept": "text/html", "X-Requested-With": "XMLHttpRequest"}, 401),
        ({"Accept": "*/*"}, 302),  # httpx's default: the edge takes it for a browser
        ({"Accept": "application/json, text/html;q=0.9"}, 302),
    ],
)
def test_without_x_unauth_error_the_edge_redirects_to_the_login_portal(
    sim: Simulator, client: httpx.Client, headers: dict[str, str], status: int
) -> None:
    resp = client.get(USER_INFO, headers={"X-Authorization": _expired(sim), **headers})
    assert resp.status_code == status
    assert resp.headers["content-type"].startswith("text/html")
    location = urlsplit(resp.headers["location"])
    assert parse_qs(location.query) == {"rd": [f"{sim.url}{USER_INFO}"], "rm": ["GET"]}
    assert resp.text.startswith("<a href=") and resp.text.endswith(
        f"{status} {'Unauthorized' if status == 401 else 'Found'}</a>"
    )


# -- a first-factor-only token of a 2FA account ------------------------------------------------


@pytest.mark.parametrize("path", [USER_INFO, OLARES_INFO])
def test_a_first_factor_only_token_is_refused_with_fa2_true(sim: Simulator, client: httpx.Client, path: str) -> None:
    first = _first_factor(client, acceptCookie=True).json()["data"]
    assert first["fa2"] is True
    resp = client.get(path, headers={"X-Authorization": first["access_token"], **API_HEADERS})
    # the client's jar sends the first factor's session cookie along, and the edge names it
    expected = {**edge_refusal(sim, path, fa2=True), "session_id": client.cookies["authelia_session"]}
    assert (resp.status_code, resp.json()) == (459, expected)
    sim.set_edge_status(401)
    resp = client.get(path, headers={"Cookie": f"auth_token={first['access_token']}", **API_HEADERS})
    assert (resp.status_code, resp.json()) == (401, {"code": 401, "message": "second factor not completed"})


def test_once_the_second_factor_is_done_the_first_token_still_opens_nothing(
    sim: Simulator, client: httpx.Client
) -> None:
    first = _first_factor(client, acceptCookie=True).json()["data"]
    final = second_factor(client, first["access_token"], pyotp.TOTP(SECRET).at(NOW)).json()["data"]
    assert user_info(client, final["access_token"]).status_code == 200
    resp = user_info(client, first["access_token"])
    assert (resp.status_code, resp.json()["fa2"]) == (459, False)


# -- acceptCookie ------------------------------------------------------------------------------


def test_accept_cookie_false_sets_no_session_cookie_so_the_second_factor_fails(sim: Simulator) -> None:
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as client:
        resp = _first_factor(client, acceptCookie=False)
        assert resp.status_code == 200
        assert resp.json()["data"]["fa2"] is True
        assert "set-cookie" not in resp.headers
        assert not client.cookies
        second = second_factor(client, resp.json()["data"]["access_token"], pyotp.TOTP(SECRET).at(NOW))
        assert second.status_code == 401
        assert second.json()["status"] == "KO"


def test_accept_cookie_true_sets_the_session_cookie(sim: Simulator) -> None:
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as client:
        resp = _first_factor(client, acceptCookie=True)
        assert resp.headers["set-cookie"].startswith("authelia_session=")
        assert second_factor(client, resp.json()["data"]["access_token"], pyotp.TOTP(SECRET).at(NOW)).status_code == 200


@pytest.mark.parametrize("extra", [{}, {"acceptCookie": None}])
def test_accept_cookie_absent_sets_no_session_cookie(sim: Simulator, extra: dict[str, object]) -> None:
    """Stricter than Authelia (which defaults a missing acceptCookie to true): a client must ask for the cookie."""
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as client:
        resp = _first_factor(client, **extra)
        assert resp.status_code == 200
        assert "set-cookie" not in resp.headers


@pytest.mark.parametrize("value", ["true", 1, "false"])
def test_a_non_boolean_accept_cookie_is_a_bad_request(client: httpx.Client, value: object) -> None:
    resp = _first_factor(client, acceptCookie=value)
    assert resp.status_code == 400
    assert resp.json() == {"status": "KO", "message": "acceptCookie must be a boolean"}


# -- BFL codes ---------------------------------------------------------------------------------


def test_olares_info_answers_code_200_and_user_info_code_0(sim: Simulator, client: httpx.Client) -> None:
    access, _ = sim.issue_tokens("alice@olares.com")
    info = client.get(OLARES_INFO, headers={"X-Authorization": access, **API_HEADERS}).json()
    assert (info["code"], info["data"]["osVersion"]) == (200, "1.12.6")
    assert user_info(client, access).json()["code"] == 0


# -- the sim command ---------------------------------------------------------------------------


def test_sim_command_edge_status_401_gives_bfl_json(capsys: pytest.CaptureFixture[str]) -> None:
    with running_sim("--edge-status", "401") as (_proc, lines):
        url = lines.get(timeout=20)
        resp = httpx.get(f"{url}{OLARES_INFO}", headers=API_HEADERS, timeout=5, trust_env=False)
        assert (resp.status_code, resp.json()) == (401, {"code": 401, "message": "missing access token"})
    assert main(["--edge-status", "403"]) == 2
    assert "--edge-status: invalid choice" in capsys.readouterr().err
