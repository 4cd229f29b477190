"""The auth library's public surface; it knows nothing of MCP and reads no environment but through Paths."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import olares_auth_mcp.auth
from olares_auth_mcp import auth
from olares_auth_mcp.auth import account, doctor, table, vault
from tests.surface import assert_surface, heavy_after_import


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


def test_public_surface() -> None:
    assert_surface(
        auth,
        [
            "Account",
            "AuditLog",
            "AuthError",
            "Config",
            "ConfigStore",
            "OlaresID",
            "Paths",
            "Profile",
            "Readiness",
            "Runtime",
            "Status",
            "TokenVault",
            "assess",
            "default_vault",
            "render_table",
        ],
    )


def test_lazy_names_are_the_modules_own_objects() -> None:
    assert auth.Account is account.Account
    assert auth.render_table is table.render_table
    assert auth.TokenVault is vault.TokenVault
    with pytest.raises(AttributeError, match="no attribute 'LOGIN_HINT'"):
        _ = auth.LOGIN_HINT


def test_importing_the_package_or_the_table_loads_no_http_stack() -> None:
    """``profile list`` imports ``auth.table``, which runs ``auth/__init__`` first (tests/cli/test_cli_imports.py)."""
    assert heavy_after_import("olares_auth_mcp.auth") == []
    assert heavy_after_import("olares_auth_mcp.auth.table") == []
    assert "httpx" in heavy_after_import("olares_auth_mcp.auth.account")  # the probe sees what it should


def test_vault_surface() -> None:
    assert_surface(
        vault,
        [
            "BlobStore",
            "BlobVault",
            "EncryptedFileStore",
            "Found",
            "MacKeychainKey",
            "MemoryStore",
            "RawKeyFile",
            "TokenVault",
            "default_vault",
            "file_vault",
            "memory_vault",
            "safe_file_name",
        ],
    )


def test_doctor_surface() -> None:
    assert_surface(
        doctor,
        [
            "Audience",
            "ConfirmRoute",
            "DoctorOptions",
            "DoctorReport",
            "Finding",
            "FindingStatus",
            "LoginRoute",
            "SessionReach",
            "clean",
            "escape",
            "login_fix",
            "routes",
            "run_doctor",
        ],
    )


def _environ_reads(tree: ast.AST) -> list[int]:
    """Lines that read the process environment: ``os.environ``, ``os.getenv``, ``os.environb``."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
        and node.attr in ("environ", "environb", "getenv", "getenvb")
    ]


def test_only_the_runtime_reads_the_process_environment() -> None:
    """The library takes its environment from the caller; ``Runtime.from_env`` is the one documented reader."""
    root = Path(auth.__file__).parent
    readers = {}
    for path in sorted(root.rglob("*.py")):
        lines = _environ_reads(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            readers[path.relative_to(root).as_posix()] = lines
    assert list(readers) == ["runtime.py"], readers
    assert _environ_reads(ast.parse("import os\nos.environ.get('X')\n")) == [2]  # the scan sees a read
