"""Lazy package exports (PEP 562): a public name's module is imported when the name is first used.

A package's ``__init__`` runs before any of its modules, so whatever it imports, every importer
of the package pays for. ``olares-auth-mcp profile list`` imports ``olares_auth_mcp.auth.table``
and must load neither httpx nor ssl (tests/cli/test_cli_imports.py), and the ``auth`` package's
surface names ``Account``, whose module does. So such a package maps each public name to its
module here and imports it on first access; type checkers see the names through an
``if TYPE_CHECKING:`` import of the same modules.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, modules: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``modules`` (relative name → the public
    names defined there) are imported only when one of their names is first looked up.

    ``__getattr__`` stores what it imported in the package, so each name is resolved once; an unknown
    name raises ``AttributeError`` as for any module.
    """
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
