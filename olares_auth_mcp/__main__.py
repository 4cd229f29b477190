"""Console entry point: `olares-auth-mcp [profile|sim|serve|demo] …`.

With no arguments it serves MCP over stdio, which is what MCP clients launch.
Sub-commands import their modules lazily so the stdio cold start stays small.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

USAGE = """usage: olares-auth-mcp [serve [--http] [--host H] [--port N]] | profile … | doctor … | install HOST
                       | sim … | demo | --version

  (no arguments)   serve MCP over stdio (what MCP clients launch)
  serve --http     serve MCP over streamable HTTP on 127.0.0.1
  profile …        olares-cli compatible profile commands (list, status, use, remove, login, import, whoami)
  doctor …         why auth fails here, one fix per cause ([--profile X] [--live] [-o json])
  install HOST     add this server to an MCP host's config (claude-code, claude-desktop, cursor, vscode,
                   gemini-cli, codex); --print only shows the entry
  sim …            run the local Olares simulator (a test rig); sim mint mints a refresh token for it
  demo             the whole story on the embedded simulator

Run 'olares-auth-mcp <command> --help' for a command's flags."""

COMMANDS = ("serve", "profile", "doctor", "install", "sim", "demo", "help")


def _dispatch(args: list[str]) -> int:
    command = args[0] if args else ""
    if command in ("", "serve"):
        from olares_auth_mcp.server.main import serve

        return serve(args[1:])
    if command == "profile":
        from olares_auth_mcp.cli import run_profile

        return run_profile(args[1:])
    if command == "doctor":
        from olares_auth_mcp.cli.doctor import run_doctor_cli

        return run_doctor_cli(args[1:])
    if command == "install":
        from olares_auth_mcp.cli.install import main as install_main

        return install_main(args[1:])
    if command == "demo":
        from olares_auth_mcp.server.demo import main as demo_main

        return demo_main(args[1:])
    if command == "sim":
        from olares_auth_mcp.sim import main as sim_main

        return sim_main(args[1:])
    if command in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if command in ("-V", "--version", "version"):
        from olares_auth_mcp import __version__

        print(f"olares-auth-mcp {__version__}")
        return 0
    from olares_auth_mcp.cli._args import unknown_command

    sys.stderr.write(unknown_command(command, "olares-auth-mcp", COMMANDS))
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
    except BrokenPipeError:
        return _closed_pipe()
    except BaseExceptionGroup as group:  # the demo prints inside a task group (anyio)
        broken, rest = group.split(BrokenPipeError)
        if broken is None or rest is not None:
            raise
        return _closed_pipe()
    return code


def _closed_pipe() -> int:
    """The reader went away (`… | head -1`): stop quietly. As Python's docs advise (signal, "Note on
    SIGPIPE"), point stdout at devnull so the interpreter's final flush does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


if __name__ == "__main__":
    sys.exit(main())
