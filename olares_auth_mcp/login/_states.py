"""The login's states and the named table of prompts the relay recognises."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from olares_auth_mcp.login.errors import InvalidSecret

__all__ = ["AWAITING", "FINAL", "PROMPTS", "PROMPT_STATES", "SETTLED", "LoginState", "check_secret", "match_prompt"]


class LoginState(StrEnum):
    """Where a login stands; the last four are final."""

    STARTING = "starting"
    AWAITING_PASSWORD = "awaiting_password"  # noqa: S105 - a state name, not a password
    AWAITING_TOTP = "awaiting_totp"
    AWAITING_INPUT = "awaiting_input"
    VERIFYING = "verifying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in FINAL

    @property
    def is_awaiting(self) -> bool:
        return self in AWAITING


AWAITING: Final = frozenset({LoginState.AWAITING_PASSWORD, LoginState.AWAITING_TOTP, LoginState.AWAITING_INPUT})
FINAL: Final = frozenset({LoginState.SUCCEEDED, LoginState.FAILED, LoginState.CANCELLED, LoginState.EXPIRED})
SETTLED: Final = AWAITING | FINAL

# Matched against the current unfinished output line only, at the end of what has been read:
# "two-factor code for <id>: " and "password for <id>: " are olares-cli's prompts (compat §3.2).
# The table is ordered: the first name whose pattern matches wins.
PROMPTS: Final[Mapping[str, re.Pattern[str]]] = MappingProxyType(
    {
        "totp": re.compile(r"two-factor code for [^\r\n]+: \Z"),
        "password": re.compile(r"(?:password for [^\r\n]+: |[Pp]assword[^\r\n]*: ?)\Z"),
    }
)
PROMPT_STATES: Final[Mapping[str, LoginState]] = MappingProxyType(
    {"totp": LoginState.AWAITING_TOTP, "password": LoginState.AWAITING_PASSWORD}
)

_MAX_SECRET_BYTES: Final = 1024  # well below the 4095-byte canonical-mode line limit (N_TTY_BUF_SIZE)


def match_prompt(line: str) -> str | None:
    """Name of the ``PROMPTS`` entry the unfinished output line ends with, or ``None``."""
    for name, pattern in PROMPTS.items():
        if pattern.search(line):
            return name
    return None


def check_secret(text: str) -> None:
    if not text:
        raise InvalidSecret("it is empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        # a tty line discipline acts on these (^C, ^D, ^U, erase, newline) instead of passing them on
        raise InvalidSecret("it contains control characters or line breaks")
    if len(text.encode("utf-8")) > _MAX_SECRET_BYTES:
        raise InvalidSecret(f"it is longer than {_MAX_SECRET_BYTES} bytes")
