"""Fixtures for the simulator tests: a fixed clock and started simulators with a client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from olares_auth_mcp.sim import Simulator
from tests.sim._wire import ALICE, BOB, CAROL, NOW, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def make_sim(clock: FakeClock) -> Iterator[Callable[..., Simulator]]:
    started: list[Simulator] = []

    def make(**kwargs: Any) -> Simulator:
        sim = Simulator([ALICE, BOB, CAROL], clock=clock, **kwargs)
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: Callable[..., Simulator]) -> Simulator:
    return make_sim()


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.url, timeout=5, trust_env=False) as c:
        yield c
