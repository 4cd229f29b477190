"""Distribution files: the MCP registry's server.json and the Claude Desktop bundle, checked against the code."""

from __future__ import annotations

import json
import re
import select
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from olares_auth_mcp import __version__

ROOT = Path(__file__).resolve().parents[2]
SERVER_JSON = json.loads((ROOT / "server.json").read_text())
MANIFEST = json.loads((ROOT / "packaging" / "mcpb" / "manifest.json").read_text())
SOURCE = "\n".join(p.read_text() for p in (ROOT / "olares_auth_mcp").rglob("*.py"))

# What the registry schema (2025-12-11) allows for a package entry.
PACKAGE_KEYS = {
    "registryType",
    "registryBaseUrl",
    "identifier",
    "version",
    "fileSha256",
    "runtimeHint",
    "transport",
    "runtimeArguments",
    "packageArguments",
    "environmentVariables",
}
# The top-level keys of the MCPB manifest schema v0.4 (additionalProperties: false).
MANIFEST_KEYS = {
    "$schema", "dxt_version", "manifest_version", "name", "display_name", "version", "description",
    "long_description", "author", "repository", "homepage", "documentation", "support", "icon", "icons",
    "screenshots", "localization", "server", "tools", "tools_generated", "prompts", "prompts_generated",
    "keywords", "license", "privacy_policies", "compatibility", "user_config", "_meta",
}  # fmt: skip
VERSION_RANGE = re.compile(r"^[\^~><=*]|[xX*]$|\.x\b|\s|\|\|")


def test_server_json_obeys_the_registry_schema_constraints() -> None:
    assert SERVER_JSON["$schema"].endswith("/2025-12-11/server.schema.json")
    name = SERVER_JSON["name"]
    assert re.fullmatch(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+", name) and 3 <= len(name) <= 200
    assert 1 <= len(SERVER_JSON["description"]) <= 100
    assert len(SERVER_JSON["version"]) <= 255 and not VERSION_RANGE.search(SERVER_JSON["version"])
    for package in SERVER_JSON["packages"]:
        assert set(package) <= PACKAGE_KEYS
        assert {"registryType", "identifier", "version", "transport"} <= set(package)
        assert package["version"] != "latest" and not VERSION_RANGE.search(package["version"])
        assert package["registryType"] == "pypi" and package["runtimeHint"] == "uvx"
        assert package["transport"] == {"type": "stdio"}
        for variable in package["environmentVariables"]:
            assert set(variable) <= {"name", "description", "isRequired", "isSecret", "format", "default", "choices"}
            assert variable["format"] in ("string", "number", "boolean", "filepath")


def test_server_json_agrees_with_the_code() -> None:
    assert SERVER_JSON["version"] == __version__
    (package,) = SERVER_JSON["packages"]
    assert package["identifier"] == "olares-auth-mcp" and package["version"] == __version__
    for variable in package["environmentVariables"]:
        assert f'"{variable["name"]}"' in SOURCE, f"{variable['name']} is not read by the server"
    secrets = {v["name"] for v in package["environmentVariables"] if v["isSecret"]}
    assert secrets == {"OLARES_REFRESH_TOKEN"}
    assert f"<!-- mcp-name: {SERVER_JSON['name']} -->" in (ROOT / "README.md").read_text()


def test_the_bundle_manifest_obeys_the_v0_4_schema_and_the_package() -> None:
    assert set(MANIFEST) <= MANIFEST_KEYS
    assert {"name", "version", "description", "author", "server"} <= set(MANIFEST)
    assert MANIFEST["manifest_version"] == "0.4" and MANIFEST["version"] == __version__
    server = MANIFEST["server"]
    assert set(server) <= {"type", "entry_point", "mcp_config"} and server["type"] == "uv"
    assert set(server["mcp_config"]) <= {"command", "args", "env", "platform_overrides"}
    for key, option in MANIFEST["user_config"].items():
        assert {"type", "title", "description"} <= set(option)
        assert option["type"] in ("string", "number", "boolean", "directory", "file")
        assert f"${{user_config.{key}}}" in json.dumps(server["mcp_config"]["env"])
    assert MANIFEST["user_config"]["refresh_token"]["sensitive"] is True


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build_mcpb.py"), str(out)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    bundle = Path(done.stdout.strip())
    assert bundle.name == f"olares-auth-mcp-{__version__}.mcpb"
    target = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        assert "manifest.json" in names and "server.py" in names and "pyproject.toml" in names
        assert "olares_auth_mcp/__main__.py" in names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        archive.extractall(target)
    return target


def test_the_bundle_ships_a_complete_package(unpacked: Path) -> None:
    assert json.loads((unpacked / "manifest.json").read_text()) == MANIFEST
    assert (unpacked / MANIFEST["server"]["entry_point"]).is_file()
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import olares_auth_mcp.server.app as m; print(m.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", probe, str(unpacked)], capture_output=True, text=True, check=True, timeout=60
    )
    assert Path(done.stdout.strip()).is_relative_to(unpacked)


def test_the_server_starts_from_the_unpacked_bundle(unpacked: Path, tmp_path: Path) -> None:
    """What the host does: run the entry point in the unpacked folder and speak MCP over stdio."""
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    # stdin stays open until both answers are in: a server may stop reading (and drop queued requests)
    # as soon as its stdin closes, as a host never does mid-session
    server = subprocess.Popen(
        [sys.executable, str(unpacked / "server.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "OLARES_CLI_HOME": str(tmp_path / "olares")},
    )
    answers: dict[int, dict[str, Any]] = {}
    try:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        server.stdin.flush()
        deadline = time.monotonic() + 60
        while len(answers) < 2 and time.monotonic() < deadline:
            ready, _, _ = select.select([server.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            line = server.stdout.readline()
            if not line:
                break
            answer = json.loads(line)
            if "id" in answer:
                answers[answer["id"]] = answer
    finally:
        server.kill()
        server.wait(10)
    assert answers[1]["result"]["serverInfo"]["name"] == "olares-auth-mcp"
    assert "auth_readiness" in {tool["name"] for tool in answers[2]["result"]["tools"]}
