"""Build the Claude Desktop bundle: ``python packaging/build_mcpb.py [OUT_DIR]`` → ``olares-auth-mcp-<version>.mcpb``.

An ``.mcpb`` is a zip with ``manifest.json`` at its root. Ours is a ``uv`` bundle: the host runs
``uv run`` in the unpacked folder, which installs the dependencies named in the shipped
``pyproject.toml`` and starts ``server.py``; the package itself ships as source beside it.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "mcpb"


def package_version() -> str:
    text = (ROOT / "olares_auth_mcp" / "__init__.py").read_text(encoding="utf-8")
    return text.split('__version__ = "', 1)[1].split('"', 1)[0]


def build(out_dir: Path) -> Path:
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    version = package_version()
    if manifest["version"] != version:
        raise SystemExit(f"manifest.json says {manifest['version']}, the package is {version}: update the manifest")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"olares-auth-mcp-{version}.mcpb"
    files = {
        "manifest.json": HERE / "manifest.json",
        "server.py": HERE / "server.py",
        "pyproject.toml": ROOT / "pyproject.toml",
        "README.md": ROOT / "README.md",
    }
    for path in sorted((ROOT / "olares_auth_mcp").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[str(path.relative_to(ROOT))] = path
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, path in files.items():
            bundle.write(path, name)
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist"))
