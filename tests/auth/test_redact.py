"""The redactor and the secret detector run on untrusted text: linear time, and no URL exemption."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from olares_auth_mcp.auth.redact import JWT_PATTERN, REDACTED, Redactor, find_jwt, looks_like_secret, redact_jwts
from tests.helpers import make_jwt

PIECES = st.sampled_from(["eyJ", "eyJhbG", "a", "Z", "0", "-", "_", ".", "..", " ", "/", "\n", "é"])


@given(st.lists(PIECES, max_size=40).map("".join))
def test_the_linear_scan_matches_exactly_what_the_pattern_matches(text: str) -> None:
    assert redact_jwts(text, "#") == JWT_PATTERN.sub("#", text)
    assert find_jwt(text) == bool(JWT_PATTERN.search(text))


def test_a_megabyte_of_eyj_is_screened_and_redacted_in_well_under_a_second() -> None:
    """The old backtracking pattern took 30 s on 300 KB of "eyJ…" (and hours on a few MB).

    Measured in this process's CPU time, so a machine busy with other work does not make it flaky.
    """
    floods = ['"' + "eyJ" * 350_000, "eyJab." * 175_000, "eyJabcd.a" * 115_000, "eyJabcd." * 130_000]
    for flood in floods:
        started = time.process_time()
        looks_like_secret(flood)
        Redactor(lambda: ["stored-secret-value"]).text(flood)
        assert time.process_time() - started < 1.0, flood[:20]


def test_jwts_are_still_found_and_redacted() -> None:
    token = make_jwt({"exp": 1})
    assert looks_like_secret(f"use {token} please", identifier=False)
    assert Redactor(list).text(f"a {token} b") == f"a {REDACTED} b"


def test_a_token_behind_a_url_prefix_is_still_a_token() -> None:
    token = "Q9xK2mP7vL4nB8cD3eF6gH1jK5sT0wYz"
    for value in (f"http{token}", f"https{token}", f"www.{token}", f"https://x/{token}"):
        assert looks_like_secret(value), value
    assert not looks_like_secret("https://auth.alice.olares.com/login")
