"""Go ``text/tabwriter`` with minwidth 0, tabwidth 0, padding 2, space padding, flags 0.
Upstream: beclab/Olares `cli/cmd/ctl/profile/list.go`.

Every tab-terminated cell is padded to the widest cell of its column plus the
padding; the last cell of a line is written as is, so no line ends in spaces.
Widths are counted in runes (Python characters).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["tabwrite"]


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
