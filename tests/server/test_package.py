"""The server package's public surface: what an entry point builds and runs, loaded only when used."""

from __future__ import annotations

from olares_auth_mcp import server
from olares_auth_mcp.server import app, deps, main
from tests.surface import assert_surface, heavy_after_import


def test_public_surface() -> None:
    assert_surface(server, ["Deps", "build_server", "serve"])
    assert server.Deps is deps.Deps
    assert server.build_server is app.build_server
    assert server.serve is main.serve


def test_importing_the_package_or_its_deps_loads_no_mcp() -> None:
    assert heavy_after_import("olares_auth_mcp.server") == []
    assert "mcp" not in heavy_after_import("olares_auth_mcp.server.deps")
    assert "mcp" in heavy_after_import("olares_auth_mcp.server.app")  # the probe sees what it should
