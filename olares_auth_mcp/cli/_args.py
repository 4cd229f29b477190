"""argparse with cobra's error texts: errors raise ``UsageError`` instead of exiting."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn

from olares_auth_mcp.auth.errors import UsageError

__all__ = ["CobraParser", "exact_args", "no_args", "output_format"]


class CobraParser(argparse.ArgumentParser):
    def __init__(self, prog: str, description: str = "") -> None:
        super().__init__(prog=prog, description=description, add_help=True, exit_on_error=False)

    def error(self, message: str) -> NoReturn:
        # pflag words these as "flag needs an argument: --olares-id"; argparse's text is close enough to act on
        raise UsageError(message)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """With ``exit_on_error=False`` argparse raises some errors instead of calling ``error``
        (e.g. a value starting with ``-``: ``--refresh-token -x…``); they are usage errors too."""
        try:
            return super().parse_known_args(args, namespace)
        except argparse.ArgumentError as err:
            raise UsageError(str(err)) from err


def exact_args(values: list[str], count: int) -> None:
    """cobra ``ExactArgs``."""
    if len(values) != count:
        raise UsageError(f"accepts {count} arg(s), received {len(values)}")


def no_args(values: list[str], command: str) -> None:
    """cobra ``NoArgs``."""
    if values:
        raise UsageError(f'unknown command "{values[0]}" for "{command}"')


def output_format(value: str) -> str:
    """``-o/--output``: ``table`` or ``json`` (olares-cli's message otherwise)."""
    if value not in ("table", "json"):
        raise UsageError(f'unsupported --output "{value}" (allowed: table, json)')
    return value
