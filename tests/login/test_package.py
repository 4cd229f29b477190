"""The login package's public surface, and its independence from the MCP SDK."""

from __future__ import annotations

import ast
from pathlib import Path

from olares_auth_mcp import login


def test_public_surface_is_declared_and_sorted() -> None:
    """__all__ lists real names in isort order (constants, classes, functions)."""

    def group(name: str) -> int:
        return 0 if name.isupper() else 1 if name[0].isupper() else 2

    assert login.__all__ == sorted(login.__all__, key=lambda n: (group(n), n))
    for name in login.__all__:
        assert hasattr(login, name), name


def test_package_does_not_import_mcp() -> None:
    """No module of olares_auth_mcp.login imports mcp (the tools layer does)."""
    for path in Path(login.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n == "mcp" or n.startswith("mcp.")], path.name
