"""Console entry point: `olares-auth-mcp [profile|sim|serve|demo] …`.

With no arguments it serves MCP over stdio, which is what MCP clients launch.
Sub-commands import their modules lazily so the stdio cold start stays small.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: olares-auth-mcp [serve [--http] [--host H] [--port N]] | profile … | doctor … | install HOST
                       | sim … | demo

  (no arguments)   serve MCP over stdio (what MCP clients launch)
  serve --http     serve MCP over streamable HTTP on 127.0.0.1
  profile …        olares-cli compatible profile commands (list, use, remove, login, import, whoami)
  doctor …         why auth fails here, one fix per cause ([--profile X] [--live] [-o json])
  install HOST     add this server to an MCP host's config (claude-code, claude-desktop, cursor, vscode,
                   gemini-cli, codex); --print only shows the entry
  sim …            run the local Olares simulator (a test rig)
  demo             the whole story on the embedded simulator"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
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
    print(f"Error: unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
