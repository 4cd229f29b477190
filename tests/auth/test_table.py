"""The ``profile list`` table, shared by the CLI and the MCP tool (beclab/Olares `cli/cmd/ctl/profile/list.go`)."""

from __future__ import annotations

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
