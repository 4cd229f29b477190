"""Our server under MCP clients that are not the Python SDK 2.x (issue 14 item 8).

Clients: the TypeScript SDK 1.x (`@modelcontextprotocol/sdk`), the TypeScript 2.x client (`@modelcontextprotocol/client`,
2026-07-28 through `server/discover`) and the Python SDK 1.x (`mcp` 1.x in its own venv), each pinned and installed by
`.ci/tools/interop.sh`, at the protocol versions of `harness.VERSIONS`, over stdio and streamable HTTP (bearer token).
One client run per combo does every scenario on a freshly seeded home (module-scoped fixture); the tests below read
what the client saw, and the home on disk. `conftest.py` prints the client × version × transport × scenario matrix.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.vault import file_vault
from tests.conftest import ALICE, ALICE_PASSWORD
from tests.interop.harness import (
    COMBOS,
    FIRST,
    MODERN,
    RUN_TIMEOUT,
    SECOND,
    Combo,
    Outcome,
    client_command,
    run_combo,
)

if TYPE_CHECKING:  # the simulator is imported where it starts
    from olares_auth_mcp.sim import Simulator

NO_ELICITATION = "no elicitation on this connection's protocol version: the refusal is test_remove_without_elicitation"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """One simulator for the whole matrix: alice, password-only."""
    from olares_auth_mcp.sim import Simulator, SimUser

    simulator = Simulator([SimUser(ALICE, ALICE_PASSWORD)])
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, sim: Simulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[Combo, Future[Outcome]]]:
    """Every selected, runnable combo, started at once on a small pool (``INTEROP_JOBS``, default 2): most of a
    run is process start-ups and waits, so two at a time roughly halves the wall time on two cores."""
    selected = {
        item.callspec.params["outcome"]
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and getattr(item, "module", None) is request.module
        and "outcome" in item.callspec.params
    }
    wanted = [c for c in COMBOS if c in selected and not isinstance(client_command(c.client), str)]
    pool = ThreadPoolExecutor(max_workers=int(os.environ.get("INTEROP_JOBS", "2")))
    futures = {c: pool.submit(run_combo, c, sim.url, tmp_path_factory.mktemp(c.id)) for c in wanted}
    try:
        yield futures
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module", params=COMBOS, ids=lambda combo: combo.id)
def outcome(request: pytest.FixtureRequest, runs: dict[Combo, Future[Outcome]]) -> Outcome:
    """What one client saw over one transport at one protocol version (the run is shared by the tests below)."""
    combo = request.param
    command = client_command(combo.client)
    if isinstance(command, str):
        if os.environ.get("INTEROP_REQUIRED") == "1":  # CI installed the clients: absent is a failure there
            pytest.fail(command)
        pytest.skip(command)
    # Bounded: each run is (the HTTP server's start-up wait + RUN_TIMEOUT), and at most all of them queue before it.
    return runs[combo].result(timeout=(RUN_TIMEOUT + 90) * len(runs))


def called(outcome: Outcome, step: str) -> dict[str, Any]:
    """A tools/call step that reached the server and got a result (an isError result counts)."""
    record = outcome.step(step)
    assert record["ok"], f"{step}: the client raised {record.get('error')}\n{outcome.stderr[-2000:]}"
    return record


def on_disk(outcome: Outcome) -> set[str]:
    return {profile.olares_id for profile in ConfigStore(outcome.paths).load().profiles}


def listed(record: dict[str, Any]) -> set[str]:
    return {row["olares_id"] for row in record["result"]["structuredContent"]["profiles"]}


def not_removed(record: dict[str, Any]) -> None:
    result = record["result"]
    assert result["isError"] or not (result["structuredContent"] or {}).get("removed"), result


def test_handshake(outcome: Outcome, record_property: Callable[[str, object], None]) -> None:
    """Every connection negotiated the version under test, in the era it belongs to."""
    record_property("client_version", outcome.report["client_version"])
    record_property("seconds", outcome.seconds)
    for name, connection in outcome.report["connections"].items():
        assert "error" not in connection, f"{name}: {connection['error']}\n{outcome.stderr[-2000:]}"
        assert connection["protocol_version"] == outcome.combo.version
        if outcome.combo.client.startswith("ts-"):
            assert connection["era"] == ("modern" if outcome.combo.version == MODERN else "legacy")


def test_tools_list(outcome: Outcome) -> None:
    record = outcome.step("tools")
    assert record["ok"], record
    assert {"auth_readiness", "profile_list", "profile_remove", "start_login", "login_status"} <= set(record["tools"])


def test_gate(outcome: Outcome) -> None:
    result = called(outcome, "gate")["result"]
    assert not result["isError"], result["text"]
    assert result["structuredContent"]["decision"] == "proceed"
    assert result["structuredContent"]["olares_id"] == FIRST


def test_profile_list(outcome: Outcome) -> None:
    result = called(outcome, "list")["result"]
    assert not result["isError"], result["text"]
    assert listed(called(outcome, "list")) == {FIRST, SECOND}
    assert result["structuredContent"]["current"] == FIRST


def test_remove_accept(outcome: Outcome) -> None:
    """The human confirms in the client's form: the profile is gone, on the wire and on disk."""
    if outcome.combo.elicitation == "none":
        pytest.skip(NO_ELICITATION)
    record = called(outcome, "remove_accept")
    assert [e["mode"] for e in record["elicitations"]] == ["form"]
    assert FIRST in record["elicitations"][0]["message"]
    assert not record["result"]["isError"], record["result"]["text"]
    assert record["result"]["structuredContent"]["olares_id"] == FIRST
    assert FIRST not in listed(called(outcome, "list_after"))
    assert FIRST not in on_disk(outcome)


def test_remove_decline(outcome: Outcome) -> None:
    """The human declines: nothing changes."""
    if outcome.combo.elicitation == "none":
        pytest.skip(NO_ELICITATION)
    record = called(outcome, "remove_decline")
    assert [e["mode"] for e in record["elicitations"]] == ["form"]
    not_removed(record)
    assert SECOND in listed(called(outcome, "list_after"))
    assert SECOND in on_disk(outcome)


def test_remove_without_elicitation(outcome: Outcome) -> None:
    """A client that declares no elicitation (all of 2025-03-26): refused, with the command the human can run."""
    record = called(outcome, "remove_no_capability")
    assert record["elicitations"] == [], "the server asked a client that cannot be asked"
    not_removed(record)
    assert f"profile remove {SECOND}" in record["result"]["text"]
    assert SECOND in listed(called(outcome, "list_after"))
    assert SECOND in on_disk(outcome)


# One client of each kind, both transports between them, and the one era that has no elicitation at all.
BROWSER_PAGE_COMBOS = [
    (Combo("ts-sdk1", "2025-03-26", "stdio"), "confirm"),
    (Combo("py-mcp1", "2025-03-26", "http"), "confirm"),
    (Combo("ts-client2", MODERN, "http"), "confirm"),
    (Combo("py-mcp1", "2025-06-18", "stdio"), "cancel"),
]


@pytest.mark.parametrize(("combo", "choice"), BROWSER_PAGE_COMBOS, ids=lambda v: v.id if isinstance(v, Combo) else v)
def test_remove_browser_page_fallback(combo: Combo, choice: str, sim: Simulator, tmp_path: Path) -> None:
    """A connection without elicitation: the server opens its one-time confirmation page in the human's browser
    (a ``$BROWSER`` that GETs it and presses a button, as a person would) and removes only on Confirm. The
    page's URL never reaches the client."""
    command = client_command(combo.client)
    if isinstance(command, str):
        if os.environ.get("INTEROP_REQUIRED") == "1":
            pytest.fail(command)
        pytest.skip(command)
    outcome = run_combo(combo, sim.url, tmp_path, browser=choice)
    record = called(outcome, "remove_by_page")
    assert record["elicitations"] == [], "the server asked a client that cannot be asked"
    opened = (tmp_path / "browser-opened.txt").read_text().split()
    assert opened[0] == "200" and "/olares-confirm/" in opened[1], opened
    assert opened[1] not in json.dumps(outcome.report), "the confirmation page's URL reached the client"
    if choice == "confirm":
        assert not record["result"]["isError"], record["result"]["text"]
        assert SECOND not in listed(called(outcome, "list_after"))
        assert SECOND not in on_disk(outcome)
    else:
        not_removed(record)
        assert SECOND in on_disk(outcome)


def test_login(outcome: Outcome) -> None:
    """start_login → the one-time page (by URL elicitation where the era has it, else in the result) → the
    browser's GET and same-origin POST → login_status until succeeded; the token is then on disk."""
    record = outcome.step("login")
    start = record["start"]
    assert start["ok"], start.get("error")
    assert not start["result"]["isError"], start["result"]["text"]
    url_elicitations = [e for e in start["elicitations"] if e["mode"] == "url"]
    if outcome.combo.elicitation == "form+url":
        assert record["url_source"] == "elicitation"
        assert len(url_elicitations) == 1 and ALICE in url_elicitations[0]["message"]
    else:
        assert record["url_source"] == "result"
        assert start["elicitations"] == []
    [page] = outcome.pages
    if outcome.combo.transport == "http":  # the page is served by the MCP app itself, on its port
        parts = urlsplit(page["url"])
        assert (parts.hostname, parts.port) == ("127.0.0.1", urlsplit(outcome.spec["server"]["url"]).port)
        assert parts.path.startswith("/olares-login-page/")
    assert page["status"] == 200, page
    assert record["final_state"] == "succeeded", record["polls"][-1] if record["polls"] else record
    assert file_vault(outcome.paths).get(ALICE).access_token
