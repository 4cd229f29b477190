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
    # column by column, in comprehensions: a listing's table is a thousand cells, rendered on every call
    widths = [max((len(row[i]) for row in rows if i < len(row) - 1), default=0) + padding for i in range(columns)]
    lines = ["".join([cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]) + row[-1] for row in rows]
    return "\n".join(lines) + "\n"
