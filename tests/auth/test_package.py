"""The auth library knows nothing of MCP: importing every module of it loads no `mcp` module."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import olares_auth_mcp.auth


def test_auth_never_imports_mcp() -> None:
    modules = [m.name for m in pkgutil.walk_packages(olares_auth_mcp.auth.__path__, "olares_auth_mcp.auth.")]
    assert len(modules) > 15
    script = (
        "import importlib, sys\n"
        + "".join(f"importlib.import_module({m!r})\n" for m in modules)
        + (
            "bad = sorted(m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', 'mcp_types')))\n"
            "print(bad)\nsys.exit(1 if bad else 0)\n"
        )
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
