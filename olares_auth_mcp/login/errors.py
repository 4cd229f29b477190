"""Every error of the interactive login relay and its secret-entry page.

Each class carries its fields and builds its one-line text once, in ``__init__``.
No message ever contains a secret: the texts are built from ids, states and
limits only, never from what was typed::

    LoginError
    ├── LoginNotFound        no login with that id (never started, or already forgotten)
    ├── LoginStateError      the login is not in a state that allows the action
    ├── TooManyLogins        the limit on concurrent logins is reached
    ├── LoginSpawnError      the login program could not be started
    ├── InvalidSecret        empty, too long, or contains control characters (also ValueError)
    │   └── InvalidCode      a two-factor code is not 6 to 8 ASCII digits
    ├── EchoNotDisabled      terminal echo was on at a password prompt; nothing was sent
    └── PageUnavailable      the secret-entry page has no base URL (it is not being served)
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "EchoNotDisabled",
    "InvalidCode",
    "InvalidSecret",
    "LoginError",
    "LoginNotFound",
    "LoginSpawnError",
    "LoginStateError",
    "PageUnavailable",
    "TooManyLogins",
]


class LoginError(Exception):
    """Root of every error the login relay raises on purpose."""

    kind: ClassVar[str] = "login"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class LoginNotFound(LoginError, LookupError):
    """No login has this id: it never existed, or it ended long enough ago to be forgotten."""

    kind = "login_not_found"

    def __init__(self, login_id: str) -> None:
        self.login_id = login_id
        super().__init__(f"no login with id {login_id!r}; start a new login")


class LoginStateError(LoginError):
    """The login's current state does not allow the requested action."""

    kind = "login_state"

    def __init__(self, state: str, action: str) -> None:
        self.state = state
        self.action = action
        super().__init__(f"cannot {action}: the login is {state}")


class TooManyLogins(LoginError):
    """Starting another login would exceed the limit on concurrent logins."""

    kind = "too_many_logins"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"too many logins in progress (limit {limit}); cancel one or wait for it to end")


class LoginSpawnError(LoginError):
    """The login program could not be started (not found, not executable, …)."""

    kind = "login_spawn"

    def __init__(self, program: str, reason: str) -> None:
        self.program = program
        self.reason = reason
        super().__init__(f"could not start the login program {program!r}: {reason}")


class InvalidSecret(LoginError, ValueError):
    """The text cannot be typed into the terminal safely: empty, too long, or with control characters."""

    kind = "invalid_secret"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the entered text cannot be sent: {reason}")


class InvalidCode(InvalidSecret):
    """A two-factor code must be 6 to 8 ASCII digits."""

    kind = "invalid_code"

    def __init__(self) -> None:
        super().__init__("a two-factor code is 6 to 8 digits")


class EchoNotDisabled(LoginError):
    """Terminal echo stayed on at a password prompt, so the password would be printed back.

    Nothing was sent; the login is ended as failed.
    """

    kind = "echo_not_disabled"

    def __init__(self) -> None:
        super().__init__("refused to send the password: the login program left terminal echo on at its prompt")


class PageUnavailable(LoginError):
    """The secret-entry page cannot give out a URL: it is not being served (no base URL)."""

    kind = "page_unavailable"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the secret-entry page is not available: {reason}")
