"""Everything the CLI prints goes through here: non-printable characters are shown escaped (ours).

Aliases, Olares IDs, roles, names and error texts can come from a file an older tool
wrote, an agent or a server. A raw ESC, OSC (``ESC ] 52`` rewrites the clipboard), C1
control, bidi override or zero-width character in them would act on the human's
terminal or hide what is shown, so each one prints as a visible escape: ``\\x1b``,
``\\x9b``, ``\\u202e``, ``\\u200b``, ``\\U000e0001``. "Non-printable" is Python's
``str.isprintable``: the Unicode categories Cc, Cf, Cs, Co, Cn, Zl, Zp and every
space separator except the ASCII space. Printable text, which is everything olares-cli
itself prints, passes through byte for byte; backslashes are left alone.
"""

from __future__ import annotations

import sys
from typing import TextIO

from olares_auth_mcp.auth.table import escape

__all__ = ["escape", "escape_json", "say", "say_block"]


def escape_json(text: str) -> str:
    """A JSON document with its non-printable characters as ``\\uXXXX`` escapes (still valid JSON, same value).

    Only the layout's own newlines stay raw: ``json.dumps`` already escapes the newlines inside strings.
    """

    def one(char: str) -> str:
        if char == "\n" or char.isprintable():
            return char
        data = char.encode("utf-16-be", "surrogatepass")
        return "".join(f"\\u{int.from_bytes(data[i : i + 2], 'big'):04x}" for i in range(0, len(data), 2))

    return "".join(one(char) for char in text)


def say(text: str, file: TextIO | None = None) -> None:
    """``print(text)`` for one line, escaped."""
    print(escape(text), file=sys.stdout if file is None else file)


def say_block(text: str, file: TextIO | None = None) -> None:
    """Write lines we composed (a table, a multi-line error) as is, each line escaped; no newline is added."""
    out = sys.stdout if file is None else file
    out.write("\n".join(escape(line) for line in text.split("\n")))
