"""The package's shape, read from its source with ``ast``: imports only point down the layers, and the
composition root is one (one ``Runtime`` factory, called by the entry points; one ``Guard`` per server).

Layers: ``auth/`` (the library, never ``mcp``) < ``login/`` < ``tools/`` < ``server/``;
``cli/`` uses ``auth/`` (and ``login/``). Every import counts: at module level, inside a function, under
``TYPE_CHECKING``, and a module named by a string (``importlib.import_module``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "olares_auth_mcp"
_MODULE_NAME = re.compile(r"olares_auth_mcp(?:\.\w+)+")

# layer → the layers (top-level subpackages, or "olares_auth_mcp" for the package root) it must not import
FORBIDDEN: dict[str, set[str]] = {
    "auth": {"olares_auth_mcp", "login", "tools", "server", "cli", "prompts", "sim"},
    "login": {"tools", "server", "cli"},
    "tools": {"server", "cli"},
    "cli": {"tools", "server"},
}


def _modules(layer: str | None = None) -> Iterator[tuple[str, ast.Module]]:
    root = PACKAGE if layer is None else PACKAGE / layer
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        yield ".".join(relative.parts), ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(module: str, tree: ast.Module) -> Iterator[str]:
    """Every module ``module`` imports (absolute names), however it imports it."""
    package = module.rsplit(".", 1)[0] if not module.endswith("__init__") else module.removesuffix(".__init__")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                if node.module:
                    yield f"{base}.{node.module}"
                else:
                    yield from (f"{base}.{alias.name}" for alias in node.names)
            else:
                yield node.module or ""
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_NAME.fullmatch(node.value):
            yield node.value


def _layer_of(imported: str) -> str | None:
    parts = imported.split(".")
    if parts[0] != "olares_auth_mcp":
        return None
    return parts[1] if len(parts) > 1 else "olares_auth_mcp"


def test_the_walker_sees_every_kind_of_import() -> None:
    """The reader is sound: it finds an import in a function, under TYPE_CHECKING, relative, and by name."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from olares_auth_mcp.server.app import Server\n"
        "def f():\n    import mcp.types\n"
        "from . import sibling\n"
        "COMMANDS = {'x': ('olares_auth_mcp.cli.remote', 'cmd')}\n"
    )
    found = set(_imports("olares_auth_mcp.tools.example", ast.parse(source)))
    assert {"olares_auth_mcp.server.app", "mcp.types", "olares_auth_mcp.tools.sibling"} <= found
    assert "olares_auth_mcp.cli.remote" in found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_point_down_the_layers(layer: str) -> None:
    wrong = sorted(
        f"{module} imports {imported}"
        for module, tree in _modules(layer)
        for imported in _imports(module, tree)
        if _layer_of(imported) in FORBIDDEN[layer]
    )
    assert wrong == []


def test_auth_never_names_mcp() -> None:
    wrong = sorted(
        f"{module} imports {imported}"
        for module, tree in _modules("auth")
        for imported in _imports(module, tree)
        if imported.split(".")[0] in ("mcp", "mcp_types")
    )
    assert wrong == []


def _calls(name: str) -> list[str]:
    """The modules that call ``name`` (a plain name like ``Guard`` or a dotted one like ``Runtime.from_env``)."""
    found = []
    for module, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == name:
                found.append(module)
    return sorted(found)


def test_one_guard_per_server() -> None:
    """``assemble_server`` makes the server's one Guard; the HTTP transport reuses it (one secret cache)."""
    assert _calls("Guard") == ["olares_auth_mcp.server.app"]


def test_the_runtime_is_built_by_the_entry_points_only() -> None:
    """Each entry point (the servers, the CLI, whose ``profile login`` is the login child) builds it once."""
    assert _calls("Runtime.from_env") == [
        "olares_auth_mcp.cli.__init__",
        "olares_auth_mcp.cli.doctor",
        "olares_auth_mcp.server.main",
    ]
    assert _calls("Paths.resolve") == ["olares_auth_mcp.auth.runtime"]
    assert _calls("Account") == ["olares_auth_mcp.auth.runtime"]


def test_nothing_writes_a_frozen_field_behind_its_back() -> None:
    wrong = sorted(
        module
        for module, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "__setattr__"
        and isinstance(node.value, ast.Name)
        and node.value.id == "object"
    )
    assert wrong == []
