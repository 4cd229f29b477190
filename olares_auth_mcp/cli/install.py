"""``olares-auth-mcp install <host>``: add this server to an MCP host's config file in one line.

Each host keeps its MCP servers in a file of its own (``mcpServers`` for most, ``servers``
for VS Code, a TOML table for Codex). The entry launches the executable that is running
now, by absolute path, so it keeps working whatever the host's ``PATH`` is. An existing
file is merged, never replaced: every other key and server stays as it was, a copy of the
old file is kept beside it, and a file we cannot parse is left untouched with a clear
message and the entry to add by hand. ``--print`` only shows the entry. The entry carries
no secret: a refresh token to import goes into its ``env`` block by the human's hand.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = ["HOSTS", "Host", "install", "launch_command", "main"]

DEFAULT_NAME: Final = "olares-auth"
_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Host:
    """Where one MCP host keeps its servers: a path under the user's home, and the key they sit under."""

    label: str
    key: str  # "mcpServers", "servers" (VS Code) or "mcp_servers" (Codex, TOML)
    typed: bool = False  # entries carry "type": "stdio"

    def config_path(self, env: Mapping[str, str], platform: str) -> Path:
        home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
        config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        app_support = home / "Library" / "Application Support"
        appdata = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
        if self.label == "claude-code":
            return home / ".claude.json"
        if self.label == "claude-desktop":
            base = app_support if platform == "darwin" else appdata if platform == "win32" else config
            return base / "Claude" / "claude_desktop_config.json"
        if self.label == "cursor":
            return home / ".cursor" / "mcp.json"
        if self.label == "vscode":
            base = app_support if platform == "darwin" else appdata if platform == "win32" else config
            return base / "Code" / "User" / "mcp.json"
        if self.label == "gemini-cli":
            return home / ".gemini" / "settings.json"
        return home / ".codex" / "config.toml"


HOSTS: Final = {
    host.label: host
    for host in (
        Host("claude-code", "mcpServers", typed=True),
        Host("claude-desktop", "mcpServers"),
        Host("cursor", "mcpServers"),
        Host("vscode", "servers", typed=True),
        Host("gemini-cli", "mcpServers"),
        Host("codex", "mcp_servers"),
    )
}


class InstallError(Exception):
    """The config file could not be merged; nothing was written."""


def launch_command(argv0: str, executable: str) -> list[str]:
    """How to launch the server that is running now: the console script by absolute path, else
    ``python -m olares_auth_mcp`` with this interpreter."""
    script = shutil.which(argv0) if os.sep not in argv0 else argv0
    if script and Path(script).name.startswith("olares-auth-mcp") and Path(script).is_file():
        return [str(Path(script).absolute())]
    return [str(Path(executable).absolute()), "-m", "olares_auth_mcp"]


def _entry(host: Host, command: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "stdio"} if host.typed else {}
    entry.update(command=command[0], args=command[1:], env={})
    return entry


def _toml_string(value: str) -> str:
    # TOML basic strings share JSON's escapes for everything json.dumps emits (\" \\ \n \uXXXX)
    return json.dumps(value, ensure_ascii=False)


def _toml_table(name: str, entry: dict[str, Any]) -> str:
    args = ", ".join(_toml_string(a) for a in entry["args"])
    return f"[mcp_servers.{name}]\ncommand = {_toml_string(entry['command'])}\nargs = [{args}]\n"


def render(host: Host, name: str, command: list[str]) -> str:
    """The entry as it would stand in the host's file (what ``--print`` shows)."""
    entry = _entry(host, command)
    if host.key == "mcp_servers":
        return _toml_table(name, entry)
    return json.dumps({host.key: {name: entry}}, indent=2)


def _merge_json(text: str, host: Host, name: str, entry: dict[str, Any]) -> tuple[str, bool]:
    data = json.loads(text) if text.strip() else {}
    if not isinstance(data, dict):
        raise InstallError("the file does not hold a JSON object")
    servers = data.setdefault(host.key, {})
    if not isinstance(servers, dict):
        raise InstallError(f'its "{host.key}" is not a JSON object')
    replaced = name in servers
    servers[name] = entry
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n", replaced


def _merge_toml(text: str, name: str, entry: dict[str, Any]) -> tuple[str, bool]:
    data = tomllib.loads(text)  # only to know the file is valid TOML: the text itself is kept as written
    servers = data.get("mcp_servers", {})
    replaced = isinstance(servers, dict) and name in servers
    lines = text.splitlines(keepends=True)
    own = re.compile(rf"^\s*\[\s*mcp_servers\s*\.\s*(\"{re.escape(name)}\"|{re.escape(name)})\s*(\]|\.)")
    kept: list[str] = []
    skipping = False
    for line in lines:
        if line.lstrip().startswith("["):
            skipping = bool(own.match(line))
        if not skipping:
            kept.append(line)
    body = "".join(kept)
    if body and not body.endswith("\n"):
        body += "\n"
    merged = body + ("\n" if body.strip() else "") + _toml_table(name, entry)
    tomllib.loads(merged)  # never write a file we would not read back
    return merged, replaced


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Installed:
    path: Path
    backup: Path | None
    replaced: bool


def install(host: Host, name: str, command: list[str], *, env: Mapping[str, str], platform: str) -> Installed:
    """Merge the entry into the host's config file.

    Raises:
        InstallError: the existing file cannot be parsed or has the wrong shape (nothing written).
    """
    path = host.config_path(env, platform)
    entry = _entry(host, command)
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else None
    except (OSError, UnicodeDecodeError) as err:
        raise InstallError(f"cannot read it: {err}") from err
    try:
        if host.key == "mcp_servers":
            text, replaced = _merge_toml(old or "", name, entry)
        else:
            text, replaced = _merge_json(old or "", host, name, entry)
    except (ValueError, tomllib.TOMLDecodeError) as err:
        raise InstallError(f"cannot parse it: {err}") from err
    backup = None
    if old is not None:
        backup = path.with_name(path.name + ".bak")
        shutil.copy2(path, backup)
    _write_atomic(path, text)
    return Installed(path, backup, replaced)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="olares-auth-mcp install",
        description="Add olares-auth-mcp to an MCP host's config file (merged; a backup is kept beside it).",
    )
    parser.add_argument("host", choices=sorted(HOSTS), help="the MCP host to configure")
    parser.add_argument("--name", default=DEFAULT_NAME, help=f"the server's name in the host (default {DEFAULT_NAME})")
    parser.add_argument("--print", dest="print_only", action="store_true", help="only show the entry; write nothing")
    return parser


def main(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    command: list[str] | None = None,
) -> int:
    args = _parser().parse_args(list(argv))
    if not _NAME.fullmatch(args.name):
        print(f"Error: --name must be letters, digits, '.', '_' or '-' (got {args.name!r})", file=sys.stderr)
        return 2
    host = HOSTS[args.host]
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    command = command or launch_command(sys.argv[0], sys.executable)
    path = host.config_path(env, platform)
    if args.print_only:
        print(f"# {path}")
        print(render(host, args.name, command))
        if host.label == "claude-code":
            print(f"# or: claude mcp add {args.name} -- {' '.join(command)}")
        return 0
    try:
        done = install(host, args.name, command, env=env, platform=platform)
    except InstallError as err:
        print(f"Error: {path}: {err}. Nothing was changed. Add this entry by hand:", file=sys.stderr)
        print(render(host, args.name, command), file=sys.stderr)
        return 1
    verb = "updated" if done.replaced else "added"
    print(f'{verb} MCP server "{args.name}" in {done.path}' + (f" (backup: {done.backup})" if done.backup else ""))
    print(f"restart {host.label} to load it; it launches: {' '.join(command)}")
    return 0
