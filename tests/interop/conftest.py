"""Collects the interop matrix (client × version × transport × scenario) and prints it after the run.

Set ``INTEROP_MATRIX=path.md`` to also write it as a Markdown table (for an issue's closing note).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.interop.harness import COMBOS

SCENARIOS = {
    "test_handshake": "handshake",
    "test_tools_list": "tools/list",
    "test_gate": "gate",
    "test_profile_list": "profile_list",
    "test_remove_accept": "remove: accept",
    "test_remove_decline": "remove: decline",
    "test_remove_without_elicitation": "remove: no capability",
    "test_remove_browser_page_fallback": "remove: browser page",
    "test_login": "start_login → page → succeeded",
}
_NODE = re.compile(r"::(test_\w+)\[([^\]]+)\]$")
_matrix: dict[tuple[str, str], str] = {}
_versions: dict[str, str] = {}
_seconds: dict[str, float] = {}


def _cell(report: pytest.TestReport) -> str | None:
    if hasattr(report, "wasxfail"):
        return "xfail"
    if report.skipped:
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        if "no elicitation" in reason:
            return "n/a"
        if "lands with issue" in reason:
            return "todo"
        return "skip"
    if report.failed:
        return "FAIL" if report.when == "call" else "ERROR"
    return "pass" if report.when == "call" else None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    match = _NODE.search(report.nodeid)
    if match is None or match.group(1) not in SCENARIOS:
        return
    for name, value in report.user_properties:
        if name == "client_version":
            _versions[match.group(2).split("-20", 1)[0]] = str(value)
        if name == "seconds":
            _seconds[match.group(2)] = float(str(value))
    cell = _cell(report)
    combo_id = match.group(2)
    if match.group(1) == "test_remove_browser_page_fallback" and cell is not None:
        combo_id, _, choice = combo_id.rpartition("-")  # its own runs: <combo id>-confirm|cancel
        cell = f"{cell} ({choice})"
    if cell is not None:
        _matrix.setdefault((combo_id, match.group(1)), cell)


def render() -> str:
    names = list(SCENARIOS)
    lines = ["| client | version | transport | " + " | ".join(SCENARIOS[n] for n in names) + " | run (s) |"]
    lines.append("|" + "---|" * (4 + len(names)))
    for combo in COMBOS:
        cells = [_matrix.get((combo.id, n), "") for n in names]
        if any(cells):
            seconds = _seconds.get(combo.id, "")
            row = f"| {combo.client} | {combo.version} | {combo.transport} | " + " | ".join(cells)
            lines.append(f"{row} | {seconds} |")
    lines += ["", *(f"- {client}: {version}" for client, version in sorted(_versions.items()))]
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _matrix:
        return
    terminalreporter.section("interop matrix (n/a: not in that protocol version; empty: not run for that combo)")
    table = render()
    terminalreporter.write_line(table)
    target = os.environ.get("INTEROP_MATRIX")
    if target:
        Path(target).write_text(table + "\n")
