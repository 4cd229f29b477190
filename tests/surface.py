"""Checks for a package's public surface (its ``__init__``): declared, sorted, importable, and cheap to import."""

from __future__ import annotations

import json
import subprocess
import sys
from types import ModuleType

HEAVY = frozenset({"anyio", "h11", "httpcore", "httpx", "mcp", "ssl", "starlette", "uvicorn"})
"""Top-level modules a package ``__init__`` must not load just by being imported (unless its names need them)."""


def isort_key(name: str) -> tuple[int, str]:
    """isort's order for ``__all__`` (ruff RUF022): constants, then classes, then functions, each sorted."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def assert_surface(package: ModuleType, expected: list[str]) -> None:
    """``__all__`` is exactly ``expected`` (nothing unexpected, nothing missing), in isort order, and every
    name resolves and is listed by ``dir``."""
    assert package.__doc__ and len(package.__doc__.strip()) > 40, f"{package.__name__} needs a docstring"
    assert package.__all__ == sorted(package.__all__, key=isort_key), package.__all__
    assert package.__all__ == sorted(expected, key=isort_key)
    for name in package.__all__:
        assert getattr(package, name) is not None, name
        assert name in dir(package), name


def heavy_after_import(module: str) -> list[str]:
    """The ``HEAVY`` modules loaded by importing ``module`` in a fresh interpreter."""
    script = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps(sorted({{n.split('.')[0] for n in sys.modules}} & {set(HEAVY)!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded
