"""argparse with cobra's error texts: errors raise ``UsageError`` instead of exiting."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

from olares_auth_mcp.auth.errors import UsageError
from olares_auth_mcp.cli._text import escape

__all__ = [
    "ArgumentsError",
    "CobraParser",
    "did_you_mean",
    "exact_args",
    "no_args",
    "output_format",
    "suggestions",
    "unknown_command",
]


class ArgumentsError(UsageError):
    """The command line itself is wrong (arguments or flags): the command's usage follows the error line."""


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(prog, max_help_position=34, width=100)  # no flag name split across lines


class CobraParser(argparse.ArgumentParser):
    """``--help`` reads like cobra's: ``usage: <command> [flags]``, then the flags, ``-o table|json``."""

    def __init__(self, prog: str, description: str = "", usage: str | None = None) -> None:
        super().__init__(
            prog=prog,
            description=description,
            usage=usage or f"{prog} [flags]",
            formatter_class=_formatter,
            add_help=True,
            exit_on_error=False,
        )

    def add_argument(self, *names: Any, **kwargs: Any) -> argparse.Action:
        if "--output" in names and "metavar" not in kwargs:
            kwargs["metavar"] = "table|json"
        return super().add_argument(*names, **kwargs)

    def error(self, message: str) -> NoReturn:
        # pflag words these as "flag needs an argument: --olares-id"; argparse's text is close enough to act on
        raise ArgumentsError(message)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """With ``exit_on_error=False`` argparse raises some errors instead of calling ``error``
        (e.g. a value starting with ``-``: ``--refresh-token -x…``); they are usage errors too."""
        try:
            return super().parse_known_args(args, namespace)
        except argparse.ArgumentError as err:
            raise ArgumentsError(str(err)) from err


def exact_args(values: list[str], count: int) -> None:
    """cobra ``ExactArgs``."""
    if len(values) != count:
        raise ArgumentsError(f"accepts {count} arg(s), received {len(values)}")


def no_args(values: list[str], command: str) -> None:
    """cobra ``NoArgs``."""
    if values:
        raise ArgumentsError(f'unknown command "{values[0]}" for "{command}"')


def output_format(value: str) -> str:
    """``-o/--output``: ``table`` or ``json`` (olares-cli's message otherwise)."""
    if value not in ("table", "json"):
        raise UsageError(f'unsupported --output "{value}" (allowed: table, json)')
    return value


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, case-insensitive (cobra's ``ld(s, t, ignoreCase=true)``)."""
    a, b = a.lower(), b.lower()
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def suggestions(typed: str, candidates: Iterable[str], distance: int = 2) -> list[str]:
    """cobra's ``SuggestionsFor``: candidates within ``distance`` edits of ``typed``, or starting with it.

    For profile keys we also accept a candidate whose local part (before ``@``) is close, so that
    ``alice`` suggests ``alice@olares.com``. Order of ``candidates`` is kept; no duplicates.
    """
    found: list[str] = []
    lowered = typed.lower()
    for name in candidates:
        if not name or name in found or name == typed:
            continue
        local = name.partition("@")[0]
        if (
            _distance(typed, name) <= distance
            or (lowered and name.lower().startswith(lowered))
            or ("@" in name and "@" not in typed and _distance(typed, local) <= distance)
        ):
            found.append(name)
    return found


def did_you_mean(names: list[str]) -> str:
    """cobra's block after an error line: ``\n\nDid you mean this?\n\t<name>\n`` (empty without names).

    Each name is escaped (a name from a file or an agent must not act on the terminal); the tab is cobra's.
    """
    if not names:
        return ""
    return "\n\nDid you mean this?\n" + "".join(f"\t{escape(name)}\n" for name in names)


def unknown_command(typed: str, parent: str, commands: Iterable[str]) -> str:
    """cobra's text for an unknown sub-command of ``parent``: error line, suggestions, the help hint."""
    names = suggestions(typed, commands)
    return (
        f'Error: unknown command "{escape(typed)}" for "{parent}"'
        + did_you_mean(names)
        + f"\nRun '{parent} --help' for usage.\n"
    )
