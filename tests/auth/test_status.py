"""The STATUS algorithm of ``profile list`` (beclab/Olares `cli/cmd/ctl/profile/list.go`): a pure function of the lookup and ``now``."""

from __future__ import annotations

import pytest

from olares_auth_mcp.auth.status import Status, status_and_expiry, status_changes_at, token_status
from olares_auth_mcp.auth.tokens import TokenRecord
from tests.helpers import make_jwt

NOW = 1_800_000_000
LIVE = make_jwt({"exp": NOW + 60})
DEAD = make_jwt({"exp": NOW})


@pytest.mark.parametrize(
    ("record", "managed", "unreadable", "expected"),
    [
        (None, False, False, Status.NEVER),
        (None, True, False, Status.PENDING),
        (None, False, True, Status.UNKNOWN),
        (TokenRecord("a", access_token="", managed=True), True, False, Status.PENDING),
        (TokenRecord("a", access_token=LIVE, invalidated_at=5), False, False, Status.INVALIDATED),
        (TokenRecord("a", access_token="", invalidated_at=5), True, False, Status.INVALIDATED),
        (TokenRecord("a", access_token=make_jwt({})), False, False, Status.LOGGED_IN),
        (TokenRecord("a", access_token="garbage"), False, False, Status.UNPARSEABLE),
        (TokenRecord("a", access_token=""), False, False, Status.UNPARSEABLE),
        (TokenRecord("a", access_token=LIVE), False, False, Status.LOGGED_IN),
        (TokenRecord("a", access_token=DEAD), False, False, Status.EXPIRED),
    ],
)
def test_status_ladder(record: TokenRecord | None, managed: bool, unreadable: bool, expected: Status) -> None:
    assert token_status(record, managed=managed, now=NOW, unreadable=unreadable) is expected
    status, exp = status_and_expiry(record, managed=managed, now=NOW, unreadable=unreadable)
    assert status is expected
    access = record.access_token if record is not None and not unreadable else ""
    assert exp == {LIVE: NOW + 60, DEAD: NOW}.get(access)  # the exp whenever the token has one, any status


@pytest.mark.parametrize(
    ("record", "managed"),
    [
        (TokenRecord("a", access_token=LIVE), False),
        (TokenRecord("a", access_token=LIVE), True),
        (TokenRecord("a", access_token=LIVE, invalidated_at=5), False),
        (TokenRecord("a", access_token="", managed=True), True),
        (TokenRecord("a", access_token=make_jwt({})), False),
        (TokenRecord("a", access_token="garbage"), False),
        (None, False),
    ],
)
def test_a_status_changes_with_the_clock_exactly_where_status_changes_at_says(
    record: TokenRecord | None, managed: bool
) -> None:
    """What lets a listing keep its rows while the clock moves: between two instants the status is the same
    unless ``status_changes_at`` lies after the earlier and at or before the later."""
    instants = [NOW - 1, NOW + 59, NOW + 59.5, NOW + 60, NOW + 61, NOW + 10**6]
    for low in instants:
        for high in (t for t in instants if t >= low):
            first, exp = status_and_expiry(record, managed=managed, now=low)
            second, _ = status_and_expiry(record, managed=managed, now=high)
            turn = status_changes_at(first, exp)
            assert (first is not second) == (turn is not None and low < turn <= high), (low, high)


def test_status_strings_are_olares_cli_literals() -> None:
    assert [s.value for s in Status] == [
        "logged-in",
        "expired",
        "invalidated",
        "never",
        "unknown",
        "logged-in (unparseable token)",
        "pending",
    ]


@pytest.mark.parametrize(
    "payload",
    ['{"exp":1,"x":' + "[" * 600 + "]" * 600 + "}", '{"exp":4102444800,"pad":"' + "a" * 2**20 + '"}'],
    ids=["nested-600", "1MB"],
)
def test_hostile_token_is_unparseable_not_a_crash(payload: str) -> None:
    record = TokenRecord("a", access_token=make_jwt(payload=payload))
    assert token_status(record, managed=False, now=NOW) is Status.UNPARSEABLE
