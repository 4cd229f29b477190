"""``profile list``, ``use`` and ``remove``: olares-cli's output, line for line.

Upstream: beclab/Olares `cli/pkg/cliconfig/config.go`, `cli/cmd/ctl/profile/list.go`, `cli/cmd/ctl/profile/remove.go`.
"""

from __future__ import annotations

import json
import sys
from typing import Final, TextIO

from olares_auth_mcp.auth.config import Config
from olares_auth_mcp.auth.errors import ProfileNotFound
from olares_auth_mcp.auth.profiles import ProfileRow, profile_rows, remove_profile, use_profile
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.table import render_table
from olares_auth_mcp.cli._args import CobraParser, did_you_mean, exact_args, no_args, output_format, suggestions
from olares_auth_mcp.cli._text import escape, say, say_block

__all__ = ["cmd_list", "cmd_remove", "cmd_use", "not_found"]


_JSON_KEYS: Final = {
    "olares_id": "olaresId",
    "expires_in_seconds": "expiresInSeconds",
    "has_refresh_token": "hasRefreshToken",
}


def row_json(row: ProfileRow, now: float) -> dict[str, object]:
    return {_JSON_KEYS.get(key, key): value for key, value in row.shown(now).items()}


def cmd_list(runtime: Runtime, argv: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = CobraParser("olares-auth-mcp profile list", "List profiles and the status of their tokens.")
    parser.add_argument("--refresh-version", action="store_true", help="re-fetch the current profile's version")
    parser.add_argument("-o", "--output", default="table", help="table (default) or json")
    args, rest = parser.parse_known_args(argv)
    no_args(rest, "olares-auth-mcp profile list")
    output_format(args.output)
    if args.refresh_version:
        from olares_auth_mcp.cli.remote import refresh_version_warning

        warning = refresh_version_warning(runtime)
        if warning:
            say(warning, err)
    config = runtime.store.load()
    now = runtime.clock()
    rows = profile_rows(config, runtime.vault, now=now)  # an unreadable token is "unknown", with no warning
    if args.output == "json":
        say_block(json.dumps([row_json(row, now) for row in rows], indent=2) + "\n", out)  # ASCII-escaped JSON
    else:
        say_block(render_table(rows), out)
    return 0


def not_found(config: Config, err: ProfileNotFound, out: TextIO) -> int:
    """olares-cli's ``profile "<key>" not found`` line first, byte for byte; then (ours) the closest
    aliases and Olares IDs in cobra's "Did you mean this?" form. Returns the exit code."""
    names = [name for profile in config.profiles for name in (profile.name, profile.olares_id) if name]
    close = suggestions(err.key, names)
    out.write(f"Error: {escape(str(err))}" + (did_you_mean(close) if close else "\n"))
    return err.exit_code


def _key_parser(verb: str, description: str) -> CobraParser:
    parser = CobraParser(
        f"olares-auth-mcp profile {verb}",
        description,
        usage=f"olares-auth-mcp profile {verb} <name|olares-id> [flags]",
    )
    parser.add_argument("key", nargs="*", metavar="<name|olares-id>", help="the profile's name (alias) or Olares ID")
    parser.add_argument("-o", "--output", default="table", help="table (default: olares-cli's line) or json")
    return parser


def cmd_use(runtime: Runtime, argv: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = _key_parser("use", "Switch the current profile (- for the previous one).")
    args = parser.parse_args(argv)
    exact_args(args.key, 1)
    output_format(args.output)
    try:
        result = use_profile(runtime.store, args.key[0])
    except ProfileNotFound as error:
        return not_found(runtime.store.load(), error, err)
    if args.output == "json":
        data = {"name": result.profile.display_name, "olaresId": result.profile.olares_id, "previous": result.previous}
        say_block(json.dumps(data, indent=2) + "\n", out)
    else:
        say(result.message, out)
    return 0


def cmd_remove(runtime: Runtime, argv: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = _key_parser("remove", "Remove a profile and its stored token.")
    args = parser.parse_args(argv)
    exact_args(args.key, 1)
    output_format(args.output)
    try:
        result = remove_profile(runtime.store, runtime.vault, args.key[0])
    except ProfileNotFound as error:
        return not_found(runtime.store.load(), error, err)
    if args.output == "json":
        data = {
            "removed": {"name": result.removed.display_name, "olaresId": result.removed.olares_id},
            "current": result.current or None,
            "remaining": result.remaining,
            "warnings": [w for w in (result.delete_warning, result.purge_warning) if w],
        }
        say_block(json.dumps(data, indent=2) + "\n", out)
        return 0
    for line in result.lines():
        say(line, out)
    return 0
