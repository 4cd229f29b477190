"""The prompts packages' public surfaces: registration on the server, platform knowledge as plain data."""

from __future__ import annotations

import ast
from pathlib import Path

from olares_auth_mcp import prompts
from olares_auth_mcp.prompts import platform, register
from olares_auth_mcp.prompts.platform import app_states, texts
from tests.surface import assert_surface, heavy_after_import


def test_prompts_surface() -> None:
    assert_surface(prompts, ["register_guides", "register_prompts"])
    assert prompts.register_guides is register.register_guides


def test_platform_surface() -> None:
    assert_surface(
        platform,
        [
            "SOURCES",
            "AppStates",
            "Bucket",
            "GateCaveat",
            "Operation",
            "OperationCheck",
            "ResourceName",
            "State",
            "Transition",
            "Ttl",
            "app_states_json",
            "check_app_operation",
            "load_app_states",
            "load_text",
        ],
    )
    assert platform.AppStates is app_states.AppStates
    assert platform.load_text is texts.load_text


def test_platform_knowledge_loads_without_mcp() -> None:
    """The server layer decides how to expose it: neither platform nor its parent package loads the SDK."""
    for path in Path(platform.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n == "mcp" or n.startswith("mcp.")], path.name
    assert heavy_after_import("olares_auth_mcp.prompts.platform") == []
    assert "mcp" in heavy_after_import("olares_auth_mcp.prompts.register")  # the probe sees what it should
