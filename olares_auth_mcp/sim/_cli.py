"""``olares-auth-mcp sim``: run the simulator in the foreground until SIGINT or SIGTERM.

Stdout contract (for scripts and tests): the base URL is the first line, then one
``user <olaresId>`` line per account, with `` (totp)`` when it needs a second factor,
then ``export OLARES_AUTH_MCP_SERVICE_URL=<url>`` to paste into another shell, and (with
users) a ``#`` comment naming ``sim mint``. Passwords and secrets are never printed.

``olares-auth-mcp sim mint --url URL OLARES_ID`` asks a running simulator for a fresh
refresh token (``POST /__sim/mint``) and prints ``export OLARES_REFRESH_TOKEN=<token>``,
so ``profile import --refresh-token-env OLARES_REFRESH_TOKEN`` can be tried by hand.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from types import FrameType

from olares_auth_mcp.auth.olares_id import SERVICE_URL_ENV
from olares_auth_mcp.sim._server import Simulator
from olares_auth_mcp.sim._state import SimUser, check_totp_secret

_USER_HELP = (
    "an account as ID:PASSWORD or ID:PASSWORD:TOTP_SECRET (base32); the password must not "
    "contain ':'. Repeatable; local parts (before '@') must be unique."
)


def _parse_user(spec: str) -> SimUser:
    # An Olares ID has no ':'; forbidding it in the password keeps the split unambiguous.
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise argparse.ArgumentTypeError("expected ID:PASSWORD or ID:PASSWORD:TOTP_SECRET")
    secret = parts[2] if len(parts) == 3 else None
    if secret is not None:
        try:
            check_totp_secret(secret)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return SimUser(olares_id=parts[0], password=parts[1], totp_secret=secret or None)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="olares-auth-mcp sim",
        description="Run a local Olares auth-server simulator until SIGINT/SIGTERM. A refresh token for one of "
        "its users, to try 'profile import' by hand: olares-auth-mcp sim mint --help.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free port)")
    parser.add_argument("--user", action="append", type=_parse_user, default=[], help=_USER_HELP)
    parser.add_argument(
        "--access-ttl", type=float, default=86400.0, help="access-token lifetime in seconds (default 86400)"
    )
    parser.add_argument("--no-rotate", action="store_true", help="keep the refresh token on refresh")
    parser.add_argument("--os-version", default="1.12.6", help="osVersion from /api/olares-info")
    parser.add_argument(
        "--edge-status",
        type=int,
        choices=(459, 401),
        default=459,
        help="how the desktop API refuses an expired or unknown token: 459 as the Olares edge (default), "
        "or a plain 401 JSON",
    )
    return parser


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


MINT_ROUTE = "/__sim/mint"
TOKEN_ENV = "OLARES_REFRESH_TOKEN"  # noqa: S105 - the name of the variable, not a token


def _mint_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="olares-auth-mcp sim mint",
        description=(
            "Ask a running simulator for a fresh refresh token for one of its --user accounts and print "
            f"'export {TOKEN_ENV}=<token>'. It is a simulator token, worthless anywhere else, not a real secret. "
            f'Try: eval "$(olares-auth-mcp sim mint --url URL alice@olares.com)"; then, with {SERVICE_URL_ENV} '
            f"set, olares-auth-mcp profile import --olares-id alice@olares.com --refresh-token-env {TOKEN_ENV}"
        ),
    )
    parser.add_argument(
        "--url", default="", help=f"the simulator's base URL (the first line 'sim' prints; default ${SERVICE_URL_ENV})"
    )
    parser.add_argument("olares_id", metavar="OLARES_ID", help="a user the simulator was started with")
    return parser


def mint(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """``sim mint [--url URL] OLARES_ID``: print ``export OLARES_REFRESH_TOKEN=<token>`` (exit 1 on failure)."""
    import os
    import urllib.error
    import urllib.request

    try:
        args = _mint_parser().parse_args(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    base = (args.url or (os.environ if env is None else env).get(SERVICE_URL_ENV, "")).rstrip("/")
    if not base.startswith(("http://", "https://")):
        print(f"Error: pass --url with the simulator's URL (or set ${SERVICE_URL_ENV})", file=sys.stderr)
        return 2
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        base + MINT_ROUTE,
        data=json.dumps({"olaresId": args.olares_id}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            token = json.loads(response.read(65536)).get("refresh_token", "")
    except urllib.error.HTTPError as err:
        detail = "no such user on this simulator" if err.code == 404 else f"HTTP {err.code}"
        print(f"Error: {base}{MINT_ROUTE}: {detail}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as err:
        print(f"Error: {base}{MINT_ROUTE}: {err}", file=sys.stderr)
        return 1
    if not isinstance(token, str) or not token:
        print(f"Error: {base}{MINT_ROUTE} returned no refresh_token", file=sys.stderr)
        return 1
    print(f"export {TOKEN_ENV}={shlex.quote(token)}")
    return 0


def main(argv: Sequence[str]) -> int:
    """Run ``olares-auth-mcp sim [options]``; returns the exit code (0 after a signal, 2 on bad usage)."""
    if list(argv[:1]) == ["mint"]:
        return mint(argv[1:])
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:  # argparse exits on --help and usage errors; we return instead
        return exc.code if isinstance(exc.code, int) else 2
    try:
        sim = Simulator(
            args.user,
            access_ttl=args.access_ttl,
            rotate_refresh=not args.no_rotate,
            os_version=args.os_version,
            edge_status=args.edge_status,
        )
        url = sim.start(args.host, args.port)
    except (ValueError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    in_main = threading.current_thread() is threading.main_thread()
    # SIGTERM takes the same path as Ctrl-C; the handler goes in before the URL is printed so
    # a supervisor that reacts to the URL line can always stop us cleanly.
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if in_main else None
    try:
        print(url, flush=True)
        for user in args.user:
            print(f"user {user.olares_id}{' (totp)' if user.totp_secret else ''}", flush=True)
        print(f"export {SERVICE_URL_ENV}={shlex.quote(url)}", flush=True)
        if args.user:
            example = args.user[0].olares_id
            print(f'# a refresh token to import: eval "$(olares-auth-mcp sim mint --url {url} {example})"', flush=True)
        while True:
            time.sleep(3600)  # idle; a signal interrupts the sleep (also on Windows, unlike Event.wait)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0
