"""The simulator's HTTPS listener (a test CA, valid or expired) and its Date-skew knob."""

from __future__ import annotations

import ssl
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from olares_auth_mcp.sim import Simulator
from tests.certs import make_ca
from tests.sim._wire import ALICE, API_HEADERS


def _date(response: httpx.Response) -> float:
    return parsedate_to_datetime(response.headers["Date"]).timestamp()


def test_the_date_header_follows_the_skew_knob() -> None:
    with Simulator([ALICE]) as sim, httpx.Client(base_url=sim.url, timeout=10) as client:
        assert abs(_date(client.get("/")) - time.time()) <= 2
        sim.set_date_offset(-3600)
        assert abs(_date(client.get("/")) - (time.time() - 3600)) <= 2
        access, _ = sim.issue_tokens(ALICE.olares_id)
        # only the header moves: a fresh token still works by the simulator's own clock
        assert client.get("/api/backend/v1/user-info", headers={"X-Authorization": access}).status_code == 200


def test_https_with_a_trusted_test_ca(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    sim = Simulator([ALICE])
    url = sim.start(tls=ca.server_context())
    try:
        assert url.startswith("https://127.0.0.1:")
        with httpx.Client(verify=ca.client_context(), timeout=10) as client:
            resp = client.get(f"{url}/api/olares-info", headers=API_HEADERS)  # served over TLS, not logged in
            assert (resp.status_code, resp.json()["target_url"]) == (459, f"{url}/api/olares-info")
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"), httpx.Client(timeout=10) as client:
            client.get(f"{url}/")  # the system store does not know the test CA
    finally:
        sim.stop()


def test_an_expired_certificate_is_refused_and_the_server_keeps_serving(tmp_path: Path) -> None:
    ca = make_ca(tmp_path, expired=True)
    sim = Simulator([ALICE])
    url = sim.start(tls=ca.server_context())
    try:
        with (
            httpx.Client(verify=ca.client_context(), timeout=10) as client,
            pytest.raises(httpx.ConnectError, match="certificate has expired"),
        ):
            client.get(f"{url}/")
        lenient = ssl.create_default_context()
        lenient.check_hostname = False
        lenient.verify_mode = ssl.CERT_NONE
        with httpx.Client(verify=lenient, timeout=10) as client:  # a rejected handshake did not stall the listener
            assert client.get(f"{url}/").status_code == 404
    finally:
        sim.stop()
