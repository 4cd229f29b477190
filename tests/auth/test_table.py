"""The ``profile list`` table, shared by the CLI and the MCP tool (beclab/Olares `cli/cmd/ctl/profile/list.go`)."""

from __future__ import annotations

import random

from olares_auth_mcp.auth.profiles import ProfileRow
from olares_auth_mcp.auth.status import Status
from olares_auth_mcp.auth.table import NO_PROFILES, render_table, tabwrite


def _row(
    name: str, status: Status, version: str = "-", current: bool = False, source: str = "local", managed: bool = False
) -> ProfileRow:
    return ProfileRow(name, name, status, version, current, source, managed, None, False)


def test_table_matches_the_worked_example() -> None:
    table = render_table(
        [_row("alice@olares.com", Status.LOGGED_IN, "1.12.6", current=True), _row("bob@olares.com", Status.NEVER)]
    )
    assert table == (
        "    NAME              OLARES-ID         STATUS     VERSION\n"
        "*   alice@olares.com  alice@olares.com  logged-in  1.12.6\n"
        "    bob@olares.com    bob@olares.com    never      -\n"
    )


def test_source_column_appears_only_with_managed_profiles() -> None:
    table = render_table(
        [
            _row("a@olares.test", Status.NEVER),
            _row("b@olares.test", Status.PENDING, source="platform(lares)", managed=True),
        ]
    )
    header = table.splitlines()[0]
    assert header.split() == ["NAME", "OLARES-ID", "STATUS", "VERSION", "SOURCE"]
    assert table.splitlines()[2].endswith("platform(lares)")
    assert all(not line.endswith(" ") for line in table.splitlines())


def test_no_profiles_prints_olares_clis_hint() -> None:
    assert render_table([]) == NO_PROFILES
    assert NO_PROFILES.startswith("no profiles configured.\n")


def test_control_characters_are_escaped_before_the_widths_are_measured() -> None:
    """A hostile alias shows as visible escapes and its column is as wide as what is shown."""
    table = render_table([_row("evil\x1b]52;c;x\x07@olares.test", Status.NEVER), _row("a@olares.test", Status.NEVER)])
    assert "\x1b" not in table and "\x07" not in table
    first, second = table.splitlines()[1:]
    assert "evil\\x1b]52;c;x\\x07@olares.test" in first
    assert first.index("evil") == second.index("a@olares.test")
    assert first.index("never") == second.index("never")


def test_tabwrite_pads_every_column_but_the_last() -> None:
    assert tabwrite([["a", "bb", "c"], ["ddd", "e", "ffff"]]) == "a    bb  c\nddd  e   ffff\n"
    assert tabwrite([]) == ""


def _go_tabwriter(rows: list[list[str]], padding: int = 2) -> str:
    """Go's text/tabwriter, cell by cell: every cell but a line's last is padded to its column's widest."""
    widths: dict[int, int] = {}
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths.get(i, 0), len(cell))
    lines = []
    for row in rows:
        cells = [cell + " " * (widths[i] + padding - len(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("".join(cells) + (row[-1] if row else ""))
    return "".join(line + "\n" for line in lines)


def test_tabwrite_matches_go_for_full_and_ragged_tables() -> None:
    """Full tables take one format string per table; ragged ones the cell-by-cell path: both are Go's output."""
    rng = random.Random(7)
    alphabet = ["a", "é", "界", " ", "{}", "{0}", "%s", "\\x1b"]
    for _ in range(300):
        width = rng.randint(1, 6)
        ragged = rng.random() < 0.3
        rows = [
            [
                "".join(rng.choices(alphabet, k=rng.randint(0, 5)))
                for _ in range(rng.randint(1, width) if ragged else width)
            ]
            for _ in range(rng.randint(1, 8))
        ]
        assert tabwrite(rows) == _go_tabwriter(rows), rows
    assert tabwrite([["only"]]) == "only\n"
    assert tabwrite([[], ["x", "y"]]) == "\nx  y\n"
