"""``ListingCache``: the last listing's rows and table are reused only while nothing they were made of changed.

The oracle is a listing made from scratch (a new config store, a new vault: no cache of any kind) after every
step of a random history written by another writer, as another process would write.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.errors import TokenNotFound, VaultError
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.readiness import ListingCache, ProfileListing, listing
from olares_auth_mcp.auth.status import Status
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault, file_vault
from olares_auth_mcp.auth.wire import default_http_factory
from tests.helpers import make_jwt

T0 = 1_800_000_000.0
IDS = [f"user{n}@olares.com" for n in range(5)]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _account(paths: Paths, vault: BlobVault, clock: Callable[[], float]) -> Account:
    return Account(paths, vault, default_http_factory, clock, {})


def _token(olares_id: str, exp: int, refresh: str = "refresh-token-0001") -> TokenRecord:
    return TokenRecord(olares_id, access_token=make_jwt({"exp": exp}), refresh_token=refresh)


def _shown(found: ProfileListing) -> tuple[object, ...]:
    rows = [row.shown(found.now) for row in found.rows]
    return rows, found.table, found.current, found.warnings, found.hints


def _from_scratch(paths: Paths, clock: Clock) -> ProfileListing:
    return listing(_account(paths, file_vault(paths), clock))


@pytest.fixture
def seeded(paths: Paths, vault: BlobVault) -> Clock:
    ConfigStore(paths).mutate(lambda c: [c.upsert(Profile(olares_id)) for olares_id in IDS[:3]])
    for olares_id in IDS[:3]:
        vault.set(_token(olares_id, int(T0) + 100))
    return Clock()


def test_with_nothing_changed_the_rows_and_table_are_kept_and_expiry_counts_from_now(
    paths: Paths, vault: BlobVault, seeded: Clock
) -> None:
    account, cache = _account(paths, vault, seeded), ListingCache()
    first = listing(account, cache=cache)
    seeded.now += 10
    second = listing(account, cache=cache)
    assert second.rows is first.rows and second.table is first.table
    assert [row.shown(first.now)["expires_in_seconds"] for row in first.rows] == [100, 100, 100]
    assert [row.shown(second.now)["expires_in_seconds"] for row in second.rows] == [90, 90, 90]


@pytest.mark.parametrize("step", [100, 1000, -1, -1000])
def test_the_clock_passing_an_expiry_either_way_makes_the_rows_again(
    paths: Paths, vault: BlobVault, seeded: Clock, step: float
) -> None:
    account, cache = _account(paths, vault, seeded), ListingCache()
    if step < 0:
        seeded.now += 100  # start expired (now == exp), then go back before it
    first = listing(account, cache=cache)
    seeded.now += step
    second = listing(account, cache=cache)
    assert second.rows is not first.rows
    before, after = {row.status for row in first.rows}, {row.status for row in second.rows}
    assert (before, after) == (
        ({Status.LOGGED_IN}, {Status.EXPIRED}) if step > 0 else ({Status.EXPIRED}, {Status.LOGGED_IN})
    )
    assert _shown(second) == _shown(_from_scratch(paths, seeded))


def test_up_to_an_expiry_the_rows_are_kept_and_at_it_they_are_not(
    paths: Paths, vault: BlobVault, seeded: Clock
) -> None:
    account, cache = _account(paths, vault, seeded), ListingCache()
    first = listing(account, cache=cache)
    seeded.now = T0 + 99.999
    assert listing(account, cache=cache).rows is first.rows
    seeded.now = T0 + 100  # exp: expired from this instant on
    assert {row.status for row in listing(account, cache=cache).rows} == {Status.EXPIRED}


def test_a_token_written_by_another_writer_is_listed(paths: Paths, vault: BlobVault, seeded: Clock) -> None:
    account, cache = _account(paths, vault, seeded), ListingCache()
    listing(account, cache=cache)
    file_vault(paths).set(_token(IDS[1], int(T0) - 5))
    found = listing(account, cache=cache)
    assert [row.status for row in found.rows] == [Status.LOGGED_IN, Status.EXPIRED, Status.LOGGED_IN]
    assert _shown(found) == _shown(_from_scratch(paths, seeded))


def test_an_in_place_rewrite_keeping_size_and_mtime_is_listed(paths: Paths, vault: BlobVault, seeded: Clock) -> None:
    account, cache = _account(paths, vault, seeded), ListingCache()
    assert listing(account, cache=cache).rows[0].status is Status.LOGGED_IN
    target: Path = vault.store.path_for(IDS[0])  # type: ignore[attr-defined]
    kept = target.with_name("kept")
    os.link(target, kept)  # the listed inode, kept aside
    file_vault(paths).set(_token(IDS[0], int(T0) - 100))  # a new file: expired, of the same size
    expired = target.read_bytes()
    os.replace(kept, target)  # the listed inode back in place, then its bytes replaced and its mtime put back
    st = os.stat(target)
    assert len(expired) == st.st_size
    with open(target, "r+b") as handle:
        handle.write(expired)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    found = listing(account, cache=cache)
    assert found.rows[0].status is Status.EXPIRED
    assert _shown(found) == _shown(_from_scratch(paths, seeded))


def test_a_switch_of_the_current_profile_is_listed(paths: Paths, vault: BlobVault, seeded: Clock) -> None:
    account, cache = _account(paths, vault, seeded), ListingCache()
    first = listing(account, cache=cache)
    ConfigStore(paths).mutate(lambda c: setattr(c, "current_profile", IDS[2]))
    second = listing(account, cache=cache)
    assert (first.current, second.current) == (IDS[0], IDS[2])
    assert [row.current for row in second.rows] == [False, False, True]
    assert "*   " + IDS[2] in second.table


def test_an_unreadable_token_is_listed_each_time(paths: Paths, vault: BlobVault, seeded: Clock) -> None:
    account, cache = _account(paths, vault, seeded), ListingCache()
    vault.store.path_for(IDS[1]).write_bytes(b"not a token file at all, far too long to be short")  # type: ignore[attr-defined]
    first = listing(account, cache=cache)
    second = listing(account, cache=cache)
    assert first.rows[1].status is second.rows[1].status is Status.UNKNOWN
    assert first.warnings == second.warnings and len(second.warnings) == 1


def _random_step(rng: random.Random, paths: Paths, clock: Clock) -> None:
    """One change another process could make, or the clock moving (often across an expiry). A change the
    vault refuses (deleting or marking a token that is not there or not readable) leaves things as they were."""
    writer, store = file_vault(paths), ConfigStore(paths)
    olares_id = rng.choice(IDS)
    path: Path = writer.store.path_for(olares_id)  # type: ignore[attr-defined]
    with contextlib.suppress(TokenNotFound, VaultError):
        match rng.randrange(8):
            case 0 | 1:
                clock.now += rng.choice([-120, -30, -1, 0, 0.25, 1, 7, 30, 120])
            case 2:
                store.mutate(lambda c: c.upsert(Profile(olares_id)))
                refresh = rng.choice(["", "rt-1", "rt-22"])
                writer.set(_token(olares_id, int(clock.now) + rng.randint(-60, 60), refresh))
            case 3:
                writer.delete(olares_id)
            case 4:
                store.mutate(lambda c: c.upsert(Profile(olares_id)))
                store.mutate(lambda c: setattr(c, "current_profile", olares_id))
            case 5:
                store.mutate(lambda c: setattr(c, "profiles", [p for p in c.profiles if p.olares_id != olares_id]))
            case 6:
                writer.mark_invalidated(olares_id, int(clock.now * 1000))
            case _:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(os.urandom(rng.randrange(0, 80)))  # unreadable, or too short to be a token


@pytest.mark.parametrize("seed", range(4))
def test_a_random_history_lists_as_a_listing_made_from_scratch(paths: Paths, vault: BlobVault, seed: int) -> None:
    rng, clock = random.Random(seed), Clock()
    account, cache = _account(paths, vault, clock), ListingCache()
    kept = 0
    previous = listing(account, cache=cache)
    for _ in range(150):
        _random_step(rng, paths, clock)
        found = listing(account, cache=cache)
        kept += found.rows is previous.rows
        assert _shown(found) == _shown(_from_scratch(paths, clock))
        previous = found
    assert kept > 0, "some steps change nothing a row is made of: their rows must be kept"
