"""``olares-auth-mcp install <host>``: merged into each host's file on a temporary home, never losing a key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from olares_auth_mcp.cli.install import HOSTS, launch_command, main

COMMAND = ["/opt/tools/bin/olares-auth-mcp"]


def run(capsys: pytest.CaptureFixture[str], home: Path, *argv: str, platform: str = "linux") -> tuple[int, str, str]:
    env = {"HOME": str(home)}
    code = main(list(argv), env=env, platform=platform, command=COMMAND)
    out, err = capsys.readouterr()
    return code, out, err


def entry_in(host: str, path: Path, name: str = "olares-auth") -> dict[str, object]:
    if host == "codex":
        entry: dict[str, object] = tomllib.loads(path.read_text())["mcp_servers"][name]
    else:
        entry = json.loads(path.read_text())[HOSTS[host].key][name]
    return entry


EXPECTED_PATHS = {
    "claude-code": ".claude.json",
    "claude-desktop": ".config/Claude/claude_desktop_config.json",
    "cursor": ".cursor/mcp.json",
    "vscode": ".config/Code/User/mcp.json",
    "gemini-cli": ".gemini/settings.json",
    "codex": ".codex/config.toml",
}


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_a_fresh_home_gets_a_file_with_the_entry(host: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, tmp_path, host)
    path = tmp_path / EXPECTED_PATHS[host]
    assert code == 0
    assert f'added MCP server "olares-auth" in {path}' in out
    entry = entry_in(host, path)
    assert entry["command"] == COMMAND[0]
    assert entry["args"] == []
    if host in ("vscode", "claude-code"):
        assert entry["type"] == "stdio"
    assert path.stat().st_mode & 0o077 == 0  # a new file is private
    assert not path.with_name(path.name + ".bak").exists()


@pytest.mark.parametrize("host", sorted(h for h in HOSTS if h != "codex"))
def test_an_existing_json_file_keeps_every_other_key_and_gets_a_backup(
    host: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / EXPECTED_PATHS[host]
    path.parent.mkdir(parents=True, exist_ok=True)
    key = HOSTS[host].key
    original = {"theme": "dark", "nested": {"a": [1, 2]}, key: {"other": {"command": "x", "args": ["--y"]}}}
    path.write_text(json.dumps(original))
    code, _, _ = run(capsys, tmp_path, host)
    assert code == 0
    data = json.loads(path.read_text())
    assert data["theme"] == "dark" and data["nested"] == {"a": [1, 2]}
    assert data[key]["other"] == {"command": "x", "args": ["--y"]}
    assert data[key]["olares-auth"]["command"] == COMMAND[0]
    assert json.loads(path.with_name(path.name + ".bak").read_text()) == original
    code, out, _ = run(capsys, tmp_path, host)  # again: the entry is replaced, not duplicated
    assert code == 0 and "updated MCP server" in out
    assert list(json.loads(path.read_text())[key]) == ["other", "olares-auth"]


def test_codex_toml_keeps_its_text_and_replaces_only_our_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / EXPECTED_PATHS["codex"]
    path.parent.mkdir(parents=True, exist_ok=True)
    original = (
        '# my settings\nmodel = "o4"\n\n[mcp_servers.other]\ncommand = "x"\nargs = ["--y"]\n\n'
        '[mcp_servers.olares-auth]\ncommand = "/old/path"\nargs = []\n\n[mcp_servers.olares-auth.env]\nA = "1"\n\n'
        '[profiles.fast]\nmodel = "mini"\n'
    )
    path.write_text(original)
    code, out, _ = run(capsys, tmp_path, "codex")
    assert code == 0 and "updated MCP server" in out
    text = path.read_text()
    assert text.startswith("# my settings\n")
    data = tomllib.loads(text)
    assert data["model"] == "o4" and data["profiles"] == {"fast": {"model": "mini"}}
    assert data["mcp_servers"]["other"] == {"command": "x", "args": ["--y"]}
    assert data["mcp_servers"]["olares-auth"] == {"command": COMMAND[0], "args": []}
    assert "/old/path" not in text
    assert path.with_name("config.toml.bak").read_text() == original


@pytest.mark.parametrize(
    ("host", "content"),
    [("cursor", "{ not json"), ("vscode", '{"servers": [] }'), ("gemini-cli", "[1, 2]"), ("codex", "model = = 1")],
)
def test_a_file_it_cannot_parse_is_left_alone_with_a_clear_message(
    host: str, content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / EXPECTED_PATHS[host]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    code, out, err = run(capsys, tmp_path, host)
    assert code == 1
    assert err.startswith(f"Error: {path}: ")
    assert "Nothing was changed. Add this entry by hand:" in err
    assert COMMAND[0] in err
    assert path.read_text() == content
    assert not path.with_name(path.name + ".bak").exists()
    assert out == ""


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_print_shows_the_entry_and_writes_nothing(
    host: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, tmp_path, host, "--print")
    assert code == 0
    assert out.startswith(f"# {tmp_path / EXPECTED_PATHS[host]}\n")
    assert COMMAND[0] in out
    assert not any(tmp_path.iterdir())


def test_macos_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, tmp_path, "claude-desktop", platform="darwin")
    run(capsys, tmp_path, "vscode", platform="darwin")
    support = tmp_path / "Library" / "Application Support"
    assert (support / "Claude" / "claude_desktop_config.json").is_file()
    assert (support / "Code" / "User" / "mcp.json").is_file()


def test_a_name_that_could_break_the_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, tmp_path, "codex", "--name", "x]\n[evil")
    assert code == 2 and "--name must be" in err
    assert not any(tmp_path.iterdir())


def test_launch_command_is_the_absolute_console_script_or_python_m(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "olares-auth-mcp"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    assert launch_command(str(script), sys.executable) == [str(script)]
    assert launch_command("-c", "/usr/bin/python3") == ["/usr/bin/python3", "-m", "olares_auth_mcp"]


def test_the_installed_command_starts_the_server(tmp_path: Path) -> None:
    """End to end: `python -m olares_auth_mcp install cursor` on a temporary home, then launch what it wrote."""
    env = {**os.environ, "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "olares_auth_mcp", "install", "cursor"], env=env, check=True, timeout=60)
    entry = json.loads((tmp_path / ".cursor" / "mcp.json").read_text())["mcpServers"]["olares-auth"]
    assert entry["command"] == sys.executable and entry["args"] == ["-m", "olares_auth_mcp"]
    request = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    done = subprocess.run(
        [entry["command"], *entry["args"]],
        check=False,
        input=json.dumps(request) + "\n",
        capture_output=True,
        text=True,
        env={**env, "OLARES_CLI_HOME": str(tmp_path / "olares")},
        timeout=60,
    )
    answer = json.loads(done.stdout.splitlines()[0])
    assert answer["result"]["serverInfo"]["name"] == "olares-auth-mcp"
