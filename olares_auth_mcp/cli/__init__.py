"""The command line for humans: olares-cli's ``profile`` commands, ``doctor`` and ``install``.

``run_profile`` runs ``olares-auth-mcp profile <verb>`` with olares-cli's output and exit codes (it
is also the program the login relay drives); every verb runs on the one ``auth.runtime.Runtime`` the
entry point built (paths, vault, config store, clock and the environment, read once). ``cli.doctor``
and ``cli.install`` are the ``doctor`` and ``install`` commands. Each verb imports only its own
module, so the local verbs (``profile list``, ``use``, ``remove``) never load the HTTP stack.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

from olares_auth_mcp.auth.errors import AuthError
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.cli._args import ArgumentsError, unknown_command
from olares_auth_mcp.cli._text import say, say_block

__all__ = ["run_profile"]

USAGE = """usage: olares-auth-mcp profile <command> [flags]

commands:
  list     list profiles and their token status ([--refresh-version] [-o table|json])
  status   the current identity: auth host, status, expiry, where the token is ([--profile X] [-o json])
  use      switch the current profile (<name|olares-id|->)
  remove   remove a profile and its stored token (<name|olares-id>)
  login    log in with password (and TOTP) and store the token
  import   import a refresh token (--refresh-token-env NAME keeps it out of argv)
  whoami   show the current identity and role

Run 'olares-auth-mcp profile <command> --help' for a command's flags.
"""

PARENT = "olares-auth-mcp profile"

# verb → its usage line (cobra's ``Use``), printed after an argument error
USAGES: dict[str, str] = {
    "list": f"{PARENT} list [flags]",
    "status": f"{PARENT} status [flags]",
    "use": f"{PARENT} use <name|olares-id> [flags]",
    "remove": f"{PARENT} remove <name|olares-id> [flags]",
    "login": f"{PARENT} login --olares-id ID [flags]",
    "import": f"{PARENT} import --olares-id ID --refresh-token-env NAME [flags]",
    "whoami": f"{PARENT} whoami [flags]",
}


# verb → (module, function). Each verb imports only its own module: `profile list` never loads
# httpx or ssl (~100 ms of an agent's CLI loop), the network verbs in cli/remote.py do.
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("olares_auth_mcp.cli.profile", "cmd_list"),
    "use": ("olares_auth_mcp.cli.profile", "cmd_use"),
    "remove": ("olares_auth_mcp.cli.profile", "cmd_remove"),
    "status": ("olares_auth_mcp.cli.status", "cmd_status"),
    "login": ("olares_auth_mcp.cli.remote", "cmd_login"),
    "import": ("olares_auth_mcp.cli.remote", "cmd_import"),
    "whoami": ("olares_auth_mcp.cli.remote", "cmd_whoami"),
}


def _command(verb: str) -> Callable[[Runtime, list[str]], int] | None:
    target = COMMANDS.get(verb)
    if target is None:
        return None
    module, name = target
    command: Callable[[Runtime, list[str]], int] = getattr(importlib.import_module(module), name)
    return command


def run_profile(argv: Sequence[str], runtime: Runtime | None = None) -> int:
    """Run ``profile <verb> …``; every failure is ``Error: <msg>`` on stderr and exit 1."""
    args = list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0 if args else 1
    command = _command(args[0])
    if command is None:
        sys.stderr.write(unknown_command(args[0], PARENT, COMMANDS))
        return 1
    try:
        runtime = runtime or Runtime.from_env()  # the invocation's one runtime
        if runtime.paths.warning:
            say(runtime.paths.warning, sys.stderr)
        return command(runtime, args[1:])
    except ArgumentsError as err:  # cobra: the error line, then the command's usage
        say_block(f"Error: {err}\n", sys.stderr)
        sys.stderr.write(f"Usage:\n  {USAGES[args[0]]}\n\nRun '{PARENT} {args[0]} --help' for its flags.\n")
        return err.exit_code
    except AuthError as err:
        say_block(f"Error: {err}\n", sys.stderr)  # our multi-line messages keep their lines; each is escaped
        return err.exit_code
    except KeyboardInterrupt:
        say("Error: interrupted", sys.stderr)
        return 130
