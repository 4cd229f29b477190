"""``profile login``, ``import``, ``whoami`` and ``list --refresh-version``: the commands that talk to Olares.

Prompts and messages are olares-cli's (beclab/Olares `cli/cmd/ctl/profile/login.go`, `import.go`,
`whoami.go`). There is no ``--password`` flag: a password never goes through argv. ``import`` also takes
``--refresh-token-env NAME`` (ours alone) so the token need not sit in argv either.
"""

from __future__ import annotations

import json
import sys
import termios
from typing import TextIO

from olares_auth_mcp.auth.account import LoginOutcome
from olares_auth_mcp.auth.errors import AuthError, InputError, TOTPRequired, UsageError
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.profiles import ProfileFlags
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.cli._args import CobraParser, no_args, output_format
from olares_auth_mcp.cli._text import escape, escape_json, say, say_block

__all__ = ["cmd_import", "cmd_login", "cmd_whoami", "refresh_version_warning"]


def _common_flags(parser: CobraParser) -> None:
    parser.add_argument("--olares-id", default="", help="the Olares ID, e.g. alice@olares.com")
    parser.add_argument("--name", default="", help="optional alias for the profile")
    parser.add_argument("--auth-url-override", default="", help="use this auth base URL verbatim")
    parser.add_argument("--local-url-prefix", default="", help='label inserted before the terminus name, e.g. "dev."')
    parser.add_argument("--insecure-skip-verify", action="store_true", help="do not verify TLS certificates")
    parser.add_argument("--no-switch", action="store_true", help="do not make this profile current")


def _flags(args: object) -> ProfileFlags:
    """The flags, with the Olares ID checked by olares-cli's rules (hostname labels) before anything is written.

    Raises:
        InvalidOlaresID: the ID is not ``name@domain`` made of hostname labels (ours; olares-cli only parses).
    """
    olares_id = getattr(args, "olares_id", "")
    if olares_id:  # an empty ID keeps olares-cli's "--olares-id is required", raised where it checks
        OlaresID.validated(olares_id)
    return ProfileFlags(
        olares_id=olares_id,
        name=getattr(args, "name", ""),
        auth_url_override=getattr(args, "auth_url_override", ""),
        local_url_prefix=getattr(args, "local_url_prefix", ""),
        insecure_skip_verify=getattr(args, "insecure_skip_verify", False),
    )


def _read_line(stream: TextIO) -> str:
    line = stream.readline()
    if line == "":
        raise EOFError("EOF")
    return line


def read_secret_line(prompt: str, stdin: TextIO, stdout: TextIO) -> str:
    """Print ``prompt`` on stdout, read one line with echo off, then print the newline the echo swallowed."""
    stdout.write(escape(prompt))
    stdout.flush()
    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    quiet = list(saved)
    quiet[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
    try:
        line = _read_line(stdin)
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
        stdout.write("\n")
        stdout.flush()
    return line.rstrip("\r\n")


def read_password(olares_id: str, from_stdin: bool, stdin: TextIO, stdout: TextIO) -> str:
    if from_stdin:
        try:
            line = stdin.readline()
        except OSError as err:
            raise InputError(f"read stdin: {err}") from err
        password = line.rstrip("\r\n")
    elif not stdin.isatty():
        raise InputError("stdin is not a terminal; pass --password-stdin and pipe the password instead")
    else:
        try:
            password = read_secret_line(f"password for {olares_id}: ", stdin, stdout)
        except (OSError, EOFError) as err:
            raise InputError(f"read password: {err}") from err
    if password == "":
        raise InputError("password is empty")
    return password


def prompt_totp(olares_id: str, stdin: TextIO, stdout: TextIO) -> str:
    if not stdin.isatty():
        raise TOTPRequired(cli=True)
    stdout.write(escape(f"two-factor code for {olares_id}: "))
    stdout.flush()
    try:
        code = _read_line(stdin).strip()
    except (OSError, EOFError) as err:
        raise InputError(f"read TOTP: {err}") from err
    if code == "":
        raise InputError("TOTP code is empty")
    return code


def _print_outcome(lines: list[str], warnings: list[str], out: TextIO, err: TextIO) -> None:
    for line in lines:
        say(line, out)
    out.flush()
    for line in warnings:
        say(line, err)


def _print_json(outcome: LoginOutcome, out: TextIO, err: TextIO) -> int:
    """``-o json`` (ours) for login/import: the stored profile, no token; warnings still go to stderr."""
    persisted = outcome.persisted
    data = {
        "name": persisted.profile.display_name,
        "olaresId": persisted.profile.olares_id,
        "switched": persisted.switched,
        "previous": persisted.previous_current or None,
        "role": outcome.role or None,
    }
    say_block(escape_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n", out)
    out.flush()
    for line in outcome.stderr:
        say(line, err)
    return 0


def cmd_login(
    runtime: Runtime, argv: list[str], stdin: TextIO = sys.stdin, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    parser = CobraParser("olares-auth-mcp profile login", "Log in with password (and TOTP) and store the token.")
    _common_flags(parser)
    parser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    parser.add_argument("--totp", default="", help="the current TOTP code (not a secret seed)")
    parser.add_argument("-o", "--output", default="table", help="table (default: olares-cli's lines) or json")
    args, rest = parser.parse_known_args(argv)
    no_args(rest, "olares-auth-mcp profile login")
    output_format(args.output)
    flags = _flags(args)
    account = runtime.account
    endpoints = account.check_writable(flags, "log in as")
    password = read_password(flags.olares_id, args.password_stdin, stdin, out)
    try:
        grant = account.login(flags, endpoints, password, args.totp)
    except TOTPRequired:
        if args.totp:
            raise
        code = prompt_totp(flags.olares_id, stdin, out)

        def ask_again(tries_left: int) -> str:
            # ours alone (olares-cli stops at the first wrong code): one stderr line, then its own prompt
            say(f"That code didn't work. {tries_left} {'try' if tries_left == 1 else 'tries'} left.", err)
            err.flush()
            return prompt_totp(flags.olares_id, stdin, out)

        # from scratch (a new client and cookie jar, like olares-cli); a wrong code is asked for again and
        # retried on that same client, without the password
        grant = account.login_asking_code(flags, endpoints, password, code, ask_again)
    outcome = account.persist(
        flags, grant, switch=not args.no_switch, headline=f"logged in as {flags.olares_id} (profile: {{name}})"
    )
    if args.output == "json":
        return _print_json(outcome, out, err)
    _print_outcome(outcome.stdout, outcome.stderr, out, err)
    return 0


def cmd_import(runtime: Runtime, argv: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = CobraParser("olares-auth-mcp profile import", "Import a refresh token and store the token pair.")
    _common_flags(parser)
    parser.add_argument(
        "--refresh-token", default="", help="the refresh token (visible in argv; prefer --refresh-token-env)"
    )
    parser.add_argument("--refresh-token-env", default="", help="read the refresh token from this environment variable")
    parser.add_argument("-o", "--output", default="table", help="table (default: olares-cli's lines) or json")
    args, rest = parser.parse_known_args(argv)
    no_args(rest, "olares-auth-mcp profile import")
    output_format(args.output)
    token = args.refresh_token
    if args.refresh_token_env:
        if token:
            raise UsageError("pass either --refresh-token or --refresh-token-env, not both")
        token = runtime.env.get(args.refresh_token_env, "").strip()
        if not token:
            raise UsageError(f'environment variable "{args.refresh_token_env}" is empty or not set')
    if not token:
        raise UsageError("--refresh-token is required")
    flags = _flags(args)
    account = runtime.account
    endpoints = account.check_writable(flags, "import credentials for")
    grant = account.redeem_refresh_token(flags, endpoints, token)
    outcome = account.persist(
        flags,
        grant,
        switch=not args.no_switch,
        headline=f"imported credentials for {flags.olares_id} (profile: {{name}})",
    )
    if args.output == "json":
        return _print_json(outcome, out, err)
    _print_outcome(outcome.stdout, outcome.stderr, out, err)
    return 0


def cmd_whoami(runtime: Runtime, argv: list[str], out: TextIO = sys.stdout) -> int:
    parser = CobraParser("olares-auth-mcp profile whoami", "Show the current identity and its role.")
    parser.add_argument("--refresh", action="store_true", help="ask the server instead of the cache")
    parser.add_argument("-o", "--output", default="table", help="table (default) or json")
    args, rest = parser.parse_known_args(argv)
    no_args(rest, "olares-auth-mcp profile whoami")
    output_format(args.output)
    result = runtime.account.whoami(refresh=args.refresh)
    if args.output == "json":
        say_block(escape_json(json.dumps(result.to_json(), indent=2, ensure_ascii=False)) + "\n", out)
    else:
        for line in result.table_lines():
            say(line, out)
    return 0


def refresh_version_warning(runtime: Runtime) -> str | None:
    """``profile list --refresh-version``: refresh the current profile's version; a failure is only a warning."""
    try:
        runtime.account.refresh_version()
    except AuthError as err:
        return f"warning: could not refresh backend version for the current profile: {err}"
    return None
