"""Console entry point: `olares-auth-mcp [profile|sim|serve|demo] …`.

With no arguments it serves MCP over stdio, which is what MCP clients launch.
Sub-commands import their modules lazily so the stdio cold start stays small.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    if command == "profile":
        from olares_auth_mcp.cli import run_profile

        return run_profile(args[1:])
    if command == "sim":
        from olares_auth_mcp.sim import main as sim_main

        return sim_main(args[1:])
    print(f"Error: unknown command {command!r}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
