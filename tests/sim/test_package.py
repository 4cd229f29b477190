"""The simulator package's public surface."""

from __future__ import annotations

from olares_auth_mcp import sim
from tests.surface import assert_surface


def test_public_surface() -> None:
    assert_surface(sim, ["SimUser", "Simulator", "main"])
