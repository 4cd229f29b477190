"""The cli package's public surface, and its import cost (every CLI call pays it)."""

from __future__ import annotations

from olares_auth_mcp import cli
from tests.surface import assert_surface, heavy_after_import


def test_public_surface() -> None:
    assert_surface(cli, ["run_profile"])


def test_importing_the_package_loads_no_http_stack() -> None:
    assert heavy_after_import("olares_auth_mcp.cli") == []
    assert heavy_after_import("olares_auth_mcp.cli.profile") == []
    assert "httpx" in heavy_after_import("olares_auth_mcp.cli.remote")  # the probe sees what it should
