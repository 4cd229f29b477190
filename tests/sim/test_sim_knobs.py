"""The simulator's knobs and lifecycle: fault injection, hit counters, concurrency, stop/start.

The protocol itself is in test_simulator.py; the ``sim`` command in test_sim_cli.py.
"""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

import olares_auth_mcp.sim
from olares_auth_mcp.sim import Simulator, SimUser
from tests.sim._wire import ALICE, BOB, SECRET, FakeClock, first_factor, login, refresh, salted, user_info, wait_for

# -- faults and counters ------------------------------------------------------------------


def test_inject_status_with_html_body_for_a_limited_number_of_times(sim: Simulator, client: httpx.Client) -> None:
    """times=1 answers the injected 459 HTML once, then the route behaves normally."""
    data = login(client, ALICE)
    sim.inject("/api/refresh", status=459, body="<html>denied</html>", content_type="text/html", times=1)
    resp = refresh(client, data["refresh_token"])
    assert (resp.status_code, resp.text, resp.headers["content-type"]) == (459, "<html>denied</html>", "text/html")
    assert refresh(client, data["refresh_token"]).status_code == 200


def test_inject_500_lasts_until_clear_faults(sim: Simulator, client: httpx.Client) -> None:
    """Without times the fault persists; clear_faults restores normal answers."""
    access, _ = sim.issue_tokens("alice@olares.com")
    sim.inject("/api/backend/v1/user-info", status=500, body=b'{"code":500}')
    for _ in range(3):
        assert user_info(client, access).status_code == 500
    sim.clear_faults()
    assert user_info(client, access).status_code == 200


def test_inject_delay_delays_the_real_answer(sim: Simulator, client: httpx.Client) -> None:
    """A delay alone sleeps server-side, then serves; a client timeout shorter than it trips."""
    access, _ = sim.issue_tokens("alice@olares.com")
    sim.inject("/api/backend/v1/user-info", delay=0.3, times=1)
    started = time.monotonic()
    assert user_info(client, access).status_code == 200
    assert time.monotonic() - started >= 0.3
    sim.inject("/api/backend/v1/user-info", delay=10, times=1)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/api/backend/v1/user-info", headers={"X-Authorization": access}, timeout=0.2)


def test_inject_drop_closes_the_connection_without_a_response(sim: Simulator, client: httpx.Client) -> None:
    """drop=True hangs up before any status line, which httpx reports as a protocol error."""
    sim.inject("/api/refresh", drop=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        refresh(client, "anything")
    assert refresh(client, "anything").status_code == 401


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"status": 99}, {"drop": True, "status": 500}, {"body": "x"}, {"delay": -1}, {"status": 500, "times": 0}],
)
def test_inject_rejects_inconsistent_options(sim: Simulator, kwargs: dict[str, Any]) -> None:
    """inject refuses combinations that could not mean anything."""
    with pytest.raises(ValueError):
        sim.inject("/api/refresh", **kwargs)


def test_hits_count_every_request_per_path_and_reset(sim: Simulator, client: httpx.Client) -> None:
    """Faulted, rejected and unknown-path requests count too; the query string is ignored."""
    sim.inject("/api/refresh", status=503, times=1)
    refresh(client, "a")
    refresh(client, "b")
    first_factor(client, "alice", salted("nope"), "")
    client.get("/elsewhere")
    assert sim.hits("/api/refresh") == 2
    assert sim.hits("/api/firstfactor?hideCookie=true") == 1
    assert sim.hits("/elsewhere") == 1
    assert sim.hits("/api/olares-info") == 0
    sim.reset_counters()
    assert sim.hits("/api/refresh") == 0


def test_refresh_storm_of_128_concurrent_requests_rotates_exactly_once(sim: Simulator) -> None:
    """128 simultaneous refreshes of one rotating token: exactly one wins, none is refused a connection."""
    refresh_token = sim.issue_tokens("alice@olares.com")[1]
    barrier = threading.Barrier(128, timeout=10)
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
    with httpx.Client(base_url=sim.url, timeout=10, trust_env=False, limits=limits) as client:

        def one(_: int) -> int:
            barrier.wait()
            return refresh(client, refresh_token).status_code

        with ThreadPoolExecutor(max_workers=128) as pool:
            statuses = list(pool.map(one, range(128)))
    assert sorted(set(statuses)) == [200, 401]
    assert statuses.count(200) == 1
    assert sim.hits("/api/refresh") == 128


# -- lifecycle and surface ----------------------------------------------------------------


def test_stop_is_bounded_and_releases_the_port(clock: FakeClock) -> None:
    """stop() returns promptly even with an idle keep-alive connection and a delayed request."""
    sim = Simulator([ALICE], clock=clock)
    url = sim.start(port=0)
    port = int(url.rsplit(":", 1)[1])
    access, _ = sim.issue_tokens("alice@olares.com")
    errors: list[Exception] = []
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
        assert user_info(client, access).status_code == 200  # leaves a keep-alive connection open
        sim.inject("/api/olares-info", delay=30)

        def delayed() -> None:
            try:
                httpx.get(f"{url}/api/olares-info", timeout=10, trust_env=False)
            except httpx.HTTPError as exc:
                errors.append(exc)

        waiter = threading.Thread(target=delayed)
        waiter.start()
        wait_for(lambda: sim.hits("/api/olares-info") == 1)
        started = time.monotonic()
        sim.stop()
        assert time.monotonic() - started < 2
        waiter.join(timeout=5)
        assert not waiter.is_alive()
        assert len(errors) == 1
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/api/olares-info", timeout=2, trust_env=False)
    with pytest.raises(RuntimeError):
        _ = sim.url
    sim.stop()  # idempotent
    with socket.create_server(("127.0.0.1", port)):
        pass


def test_restart_keeps_state_and_context_manager_stops(clock: FakeClock) -> None:
    """Tokens survive stop/start (same key and grants); `with` starts and stops the server."""
    sim = Simulator([ALICE], clock=clock)
    with sim:
        with pytest.raises(RuntimeError):
            sim.start()
        access, refresh_token = sim.issue_tokens("alice@olares.com")
    with sim, httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as client:
        assert user_info(client, access).status_code == 200
        assert refresh(client, refresh_token).status_code == 200
    with pytest.raises(RuntimeError):
        _ = sim.url


def test_add_user_validates_local_part_and_secret() -> None:
    """Local parts are unique per simulator and TOTP secrets must be base32."""
    sim = Simulator([ALICE])
    with pytest.raises(ValueError):
        sim.add_user(SimUser("alice@other.example", "x"))
    for bad_secret in ("not base32!", "JBSWY3DPEHPK3PXP"):  # the second is base32 but only 80 bits
        with pytest.raises(ValueError):
            sim.add_user(SimUser("dave@olares.com", "x", totp_secret=bad_secret))
    sim.add_user(SimUser("dave@olares.com", "x", totp_secret=SECRET))
    with pytest.raises(KeyError):
        sim.issue_tokens("dave@elsewhere.com")


def test_sim_user_repr_hides_password_and_secret() -> None:
    """A SimUser that ends up in a log or assertion message shows neither secret."""
    text = repr(BOB)
    assert "abc" not in text
    assert SECRET not in text
    assert "bob@olares.com" in text


def test_requests_are_never_logged(sim: Simulator, client: httpx.Client, capfd: pytest.CaptureFixture[str]) -> None:
    """Neither request lines nor secrets reach stdout/stderr, even on errors and drops."""
    data = login(client, ALICE)
    refresh(client, data["refresh_token"])
    client.get("/nope")
    sim.inject("/api/refresh", drop=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        refresh(client, "x")
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


def test_public_surface_is_sorted_and_complete() -> None:
    """__all__ is sorted and names exactly the public API."""
    names = olares_auth_mcp.sim.__all__
    assert names == sorted(names)
    assert set(names) == {"SimUser", "Simulator", "main"}
