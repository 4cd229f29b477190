"""The ``profile list`` table as olares-cli prints it, shared by the CLI and the ``profile_list`` tool.

Upstream: beclab/Olares `cli/cmd/ctl/profile/list.go`. The layout is Go ``text/tabwriter`` with
minwidth 0, tabwidth 0, padding 2, space padding, flags 0: every cell but a line's last is padded
to the widest cell of its column plus the padding, so no line ends in spaces; widths count runes
(Python characters). Names come from a file another tool may have written, so each cell is
``escape``d first: a non-printable character shows as its escape and can neither act on a
terminal nor misalign the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from olares_auth_mcp.auth.profiles import ProfileRow

__all__ = ["NO_PROFILES", "escape", "render_table", "tabwrite"]

NO_PROFILES = (
    "no profiles configured.\n"
    "run `olares-cli profile login --olares-id <id>` or "
    "`olares-cli profile import --olares-id <id> --refresh-token <tok>` to add one.\n"
)


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape(text: str) -> str:
    """``text`` with every non-printable character (newline and tab included) written as an escape."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


def tabwrite(rows: Sequence[Sequence[str]], padding: int = 2) -> str:
    """Lines joined with ``\\n`` and a final ``\\n``, as ``fmt.Fprintln`` per row then ``Flush`` gives."""
    if not rows:
        return ""
    columns = max(len(row) for row in rows)
    widths = [0] * columns
    for row in rows:
        for index, cell in enumerate(row[:-1]):
            widths[index] = max(widths[index], len(cell))
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[index] + padding) for index, cell in enumerate(row[:-1])]
        cells.append(row[-1])
        lines.append("".join(cells))
    return "\n".join(lines) + "\n"


def render_table(rows: list[ProfileRow]) -> str:
    """The ``profile list`` table; the SOURCE column only when a managed profile exists."""
    if not rows:
        return NO_PROFILES
    with_source = any(row.managed for row in rows)
    header = ["  ", "NAME", "OLARES-ID", "STATUS", "VERSION"] + (["SOURCE"] if with_source else [])
    lines = [header]
    for row in rows:
        cells = ["*" if row.current else " ", row.name, row.olares_id, str(row.status), row.version]
        # escaped before the widths are measured, so a name's control characters neither act nor misalign
        lines.append([escape(cell) for cell in cells + ([row.source] if with_source else [])])
    return tabwrite(lines)
