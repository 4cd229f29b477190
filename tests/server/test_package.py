"""The server package's public surface: what an entry point builds and runs, loaded only when used."""

from __future__ import annotations

from olares_auth_mcp import server
from olares_auth_mcp.server import app, main
from tests.surface import assert_surface, heavy_after_import


def test_public_surface() -> None:
    assert_surface(server, ["assemble_server", "build_server", "serve"])
    assert server.assemble_server is app.assemble_server
    assert server.build_server is app.build_server
    assert server.serve is main.serve


def test_importing_the_package_or_the_deps_loads_no_mcp() -> None:
    assert heavy_after_import("olares_auth_mcp.server") == []
    assert "mcp" not in heavy_after_import("olares_auth_mcp.tools.deps")
    assert "mcp" in heavy_after_import("olares_auth_mcp.server.app")  # the probe sees what it should
