"""``olares-auth-mcp doctor [--profile X] [--live] [-o table|json]``: the auth_doctor checks, for a human.

Exit status 0 when nothing failed, 1 when a check failed (warnings alone do not fail), as usage errors.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TextIO

from olares_auth_mcp.auth.doctor import DoctorOptions, DoctorReport, run_doctor
from olares_auth_mcp.auth.doctor._model import escape
from olares_auth_mcp.auth.errors import AuthError
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.cli._args import CobraParser, no_args, output_format

__all__ = ["printable", "render_report", "run_doctor_cli"]

_MARK = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "skipped": "skip"}


def printable(text: str) -> str:
    """Non-printable characters as escapes, so nothing a file or a server holds can drive the terminal."""
    return escape(text)


def render_report(report: DoctorReport) -> str:
    width = max((len(f.check) for f in report.findings), default=0)
    lines = []
    for finding in report.findings:
        lines.append(f"{_MARK[finding.status]:<4}  {printable(finding.check):<{width}}  {printable(finding.detail)}")
        if finding.fix:
            lines.append(f"{'':<4}  {'':<{width}}  fix: {printable(finding.fix)}")
    counts = report.summary
    lines.append(
        f"\n{counts['fail']} failed, {counts['warn']} warning(s), {counts['ok']} ok, {counts['skipped']} skipped"
        + ("" if report.live else " (add --live to check the network and the grant)")
    )
    return "\n".join(lines) + "\n"


def run_doctor_cli(
    argv: Sequence[str],
    runtime: Runtime | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    options: DoctorOptions | None = None,
) -> int:
    parser = CobraParser("olares-auth-mcp doctor", "Check why Olares auth fails on this machine, with one fix each.")
    parser.add_argument("--profile", default=None, help="the profile for --live (default: the current one)")
    parser.add_argument("--live", action="store_true", help="also check the profile's hosts, clock and grant")
    parser.add_argument("-o", "--output", default="table", help="table (default) or json")
    try:
        args, rest = parser.parse_known_args(list(argv))
        no_args(rest, "olares-auth-mcp doctor")
        output_format(args.output)
        runtime = runtime or Runtime.from_env()
    except AuthError as error:
        print(f"Error: {error}", file=err)
        return error.exit_code
    report = run_doctor(runtime.account, profile=args.profile, live=args.live, audience="human", options=options)
    if args.output == "json":
        out.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        out.write(render_report(report))
    return 0 if report.healthy else 1
