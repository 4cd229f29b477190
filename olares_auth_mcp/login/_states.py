"""The login's states and the named table of prompts the relay recognises."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal, NamedTuple

from olares_auth_mcp.login.errors import InvalidSecret

__all__ = [
    "AWAITING",
    "FINAL",
    "MAX_PROMPT_LINE",
    "PROMPTS",
    "PROMPT_STATES",
    "SETTLED",
    "WRONG_SECRET_PREFIXES",
    "LoginState",
    "Prompt",
    "check_secret",
    "match_prompt",
    "wrong_secret_kind",
]


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


class Prompt(NamedTuple):
    """One of the login program's own prompts: a fixed text, the Olares ID, a fixed ending."""

    prefix: str
    suffix: str

    def line(self, olares_id: str) -> str:
        return f"{self.prefix}{olares_id}{self.suffix}"


# olares-cli's prompts, byte for byte (its profile login; ours in cli/remote.py prints the same).
# A prompt is the whole unfinished output line, from the start of the line: it is classified by
# its fixed beginning, never by a search inside it, so an Olares ID such as
# "two-factor code for b@olares.com" cannot turn the password prompt into the two-factor one.
PROMPTS: Final[Mapping[str, Prompt]] = MappingProxyType(
    {
        "totp": Prompt("two-factor code for ", ": "),
        "password": Prompt("password for ", ": "),
    }
)
PROMPT_STATES: Final[Mapping[str, LoginState]] = MappingProxyType(
    {"totp": LoginState.AWAITING_TOTP, "password": LoginState.AWAITING_PASSWORD}
)
MAX_PROMPT_LINE: Final = 1024  # longer than any prompt for a valid Olares ID (a host name is <= 253)

_MAX_SECRET_BYTES: Final = 1024  # well below the 4095-byte canonical-mode line limit (N_TTY_BUF_SIZE)


def match_prompt(line: str, olares_id: str | None = None) -> str | None:
    """Name of the ``PROMPTS`` entry that ``line`` (the whole unfinished output line) is, or ``None``.

    With ``olares_id`` the line must be exactly that prompt for that ID (as given, or without its
    surrounding spaces); without it, the fixed beginning and ending must both be there, around
    a non-empty middle.
    """
    if len(line) > MAX_PROMPT_LINE:
        return None
    for name, prompt in PROMPTS.items():
        if olares_id is not None:
            if line in (prompt.line(olares_id), prompt.line(olares_id.strip())):
                return name
        elif (
            len(line) > len(prompt.prefix) + len(prompt.suffix)
            and line.startswith(prompt.prefix)
            and line.endswith(prompt.suffix)
        ):
            return name
    return None


# How the login program (olares-cli, and ours, which prints the same) says the password or the code was
# wrong: the start of its ``Error: <message>`` line (upstream cli/pkg/auth/login.go; Authelia answers a
# wrong password or code with 401). Only these fixed beginnings decide; whatever the server wrote after
# them is never looked at.
WRONG_SECRET_PREFIXES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "password": ("/api/firstfactor returned HTTP 401: ", "first-factor authentication failed: "),
        "code": ("/api/secondfactor/totp returned HTTP 401: ", "second-factor authentication failed: "),
    }
)


def wrong_secret_kind(message: str) -> Literal["password", "code"] | None:
    """``"password"`` or ``"code"`` when ``message`` (an ``Error:`` line's text) says that secret was wrong."""
    if message.startswith(WRONG_SECRET_PREFIXES["password"]):
        return "password"
    if message.startswith(WRONG_SECRET_PREFIXES["code"]):
        return "code"
    return None


def check_secret(text: str) -> None:
    if not text:
        raise InvalidSecret("it is empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        # a tty line discipline acts on these (^C, ^D, ^U, erase, newline) instead of passing them on
        raise InvalidSecret("it contains control characters or line breaks")
    if len(text.encode("utf-8")) > _MAX_SECRET_BYTES:
        raise InvalidSecret(f"it is longer than {_MAX_SECRET_BYTES} bytes")
