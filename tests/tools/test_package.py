"""The tools package's public surface: what the server layer assembles, loaded only when used."""

from __future__ import annotations

from olares_auth_mcp import tools
from olares_auth_mcp.tools import _guard, deps, profiles
from tests.surface import assert_surface, heavy_after_import


def test_public_surface() -> None:
    assert_surface(
        tools,
        [
            "ArgumentScreen",
            "Deps",
            "Guard",
            "register_doctor_tool",
            "register_login_tools",
            "register_platform_tools",
            "register_profile_tools",
            "rows_json",
        ],
    )
    assert tools.Guard is _guard.Guard
    assert tools.Deps is deps.Deps
    assert tools.rows_json is profiles.rows_json


def test_importing_the_package_loads_no_tool_module() -> None:
    assert heavy_after_import("olares_auth_mcp.tools") == []
    assert "mcp" in heavy_after_import("olares_auth_mcp.tools.platform")  # the probe sees what it should
