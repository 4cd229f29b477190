"""The ``profile list`` table as text, shared by the CLI and the MCP tool (pure text, no I/O).

Upstream: beclab/Olares `cli/cmd/ctl/profile/list.go`. ``tabwrite`` is Go's
``text/tabwriter`` with minwidth 0, tabwidth 0, padding 2, space padding, flags 0:
every tab-terminated cell is padded to the widest cell of its column plus the
padding; the last cell of a line is written as is, so no line ends in spaces.
Widths are counted in runes (Python characters).

``escape`` is the one rule for showing text on a terminal (ours). Aliases, Olares
IDs, roles, names and error texts can come from a file an older tool wrote, an
agent or a server. A raw ESC, OSC (``ESC ] 52`` rewrites the clipboard), C1
control, bidi override or zero-width character in them would act on the human's
terminal or hide what is shown, so each one prints as a visible escape: ``\\x1b``,
``\\x9b``, ``\\u202e``, ``\\u200b``, ``\\U000e0001``. "Non-printable" is Python's
``str.isprintable``: the Unicode categories Cc, Cf, Cs, Co, Cn, Zl, Zp and every
space separator except the ASCII space. Printable text, which is everything
olares-cli itself prints, passes through byte for byte; backslashes are left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from olares_auth_mcp.auth.profiles import ProfileRow

__all__ = ["NO_PROFILES", "escape", "render_table", "tabwrite"]

NO_PROFILES: Final = (
    "no profiles configured.\n"
    "run `olares-cli profile login --olares-id <id>` or "
    "`olares-cli profile import --olares-id <id> --refresh-token <tok>` to add one.\n"
)
"""What ``profile list`` prints when there is no profile (olares-cli's two lines)."""


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
    if len(lengths := {len(row) for row in rows}) == 1 and 0 not in lengths:  # a full table: one format for all
        *cells, _ = zip(*rows, strict=True)
        line = "".join(f"{{:<{max(map(len, column)) + padding}}}" for column in cells) + "{}"
        return "\n".join([line.format(*row) for row in rows]) + "\n"
    columns = max(len(row) for row in rows)
    widths = [max((len(row[i]) for row in rows if i < len(row) - 1), default=0) + padding for i in range(columns)]
    lines = [
        "".join([cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]) + row[-1] if row else "" for row in rows
    ]
    return "\n".join(lines) + "\n"


def render_table(rows: Sequence[ProfileRow]) -> str:
    """The ``profile list`` table; the SOURCE column only when a managed profile exists."""
    if not rows:
        return NO_PROFILES
    with_source = any(row.managed for row in rows)
    header = ["  ", "NAME", "OLARES-ID", "STATUS", "VERSION"] + (["SOURCE"] if with_source else [])
    lines = [header]
    for row in rows:
        # escaped before the widths are measured, so a name's control characters neither act nor misalign
        cells = ["*" if row.current else " ", escape(row.name), escape(row.olares_id), str(row.status)]
        cells.append(escape(row.version))
        if with_source:
            cells.append(escape(row.source))
        lines.append(cells)
    return tabwrite(lines)
