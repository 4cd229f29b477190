"""``profile status`` (ours; like ``gh auth status``): who you are, where you log in, how long the token lasts.

Reads the config and one token record; never talks to the network and never prints a token.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from olares_auth_mcp.auth.config import Profile
from olares_auth_mcp.auth.errors import InvalidOlaresID, NoProfile, ProfileNotFound, humanize_duration
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.profiles import profile_row
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.status import Status
from olares_auth_mcp.cli._args import CobraParser, no_args, output_format
from olares_auth_mcp.cli._text import say, say_block
from olares_auth_mcp.cli.profile import not_found

__all__ = ["auth_host", "cmd_status"]


def auth_host(runtime: Runtime, profile: Profile) -> str:
    """The configured destination host (the override, or ``auth.<local>.<domain>``), never a test-rig redirect."""
    from olares_auth_mcp.auth.wire import Endpoints  # only status needs it: list/use/remove stay light

    try:
        olares_id = OlaresID.parse(profile.olares_id)
    except InvalidOlaresID:
        return "-"
    endpoints = Endpoints.derive(
        olares_id,
        auth_url_override=profile.auth_url_override,
        local_url_prefix=profile.local_url_prefix,
        env=runtime.env,
    )
    return endpoints.destination_host


def _storage(runtime: Runtime, profile: Profile) -> str:
    if profile.managed:
        return f"managed by the platform ({profile.source})"
    return f"{runtime.vault.backend} vault in {runtime.paths.keychain_dir}"


def cmd_status(runtime: Runtime, argv: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = CobraParser(
        "olares-auth-mcp profile status",
        "Show the current identity (or --profile X): auth host, token status, time to expiry and where the "
        "token is stored. Reads local state only; prints no token.",
    )
    parser.add_argument("--profile", default="", help="a profile's name or Olares ID (default: the current one)")
    parser.add_argument("-o", "--output", default="table", help="table (default) or json")
    args, rest = parser.parse_known_args(argv)
    no_args(rest, "olares-auth-mcp profile status")
    output_format(args.output)
    config = runtime.store.load()
    if args.profile:
        profile = config.find_profile(args.profile)
        if profile is None:
            return not_found(config, ProfileNotFound(args.profile), err)
    else:
        current = config.current()
        if current is None:
            raise NoProfile
        profile = current
    now = runtime.clock()
    row = profile_row(config, profile, runtime.vault, now=now)
    if row.warning:
        say(row.warning, err)
    host = auth_host(runtime, profile)
    storage = _storage(runtime, profile)
    expires = row.expires_in(now)
    if args.output == "json":
        data = {
            "name": row.name,
            "olaresId": row.olares_id,
            "current": row.current,
            "authHost": host,
            "status": str(row.status),
            "expiresInSeconds": expires,
            "hasRefreshToken": row.has_refresh_token,
            "source": row.source,
            "vaultBackend": None if profile.managed else runtime.vault.backend,
            "tokenStore": storage,
            "insecureSkipVerify": profile.insecure_skip_verify,
        }
        say_block(json.dumps(data, indent=2) + "\n", out)
        return 0
    if expires is None:
        expiry = "-"
    elif expires > 0:
        expiry = f"in {humanize_duration(expires)}"
    else:
        expiry = f"{humanize_duration(-expires)} ago" + (
            " (refreshed on next use)" if row.status == Status.EXPIRED and row.has_refresh_token else ""
        )
    lines = [
        f"{row.olares_id}" + (" (current profile)" if row.current else ""),
        f"  name:           {row.name}",
        f"  auth host:      {host}" + ("  (TLS not verified)" if profile.insecure_skip_verify else ""),
        f"  STATUS:         {row.status}",
        f"  expires:        {expiry}",
        f"  refresh token:  {'stored' if row.has_refresh_token else 'none'}",
        f"  token stored:   {storage}",
    ]
    for line in lines:
        say(line, out)
    return 0
