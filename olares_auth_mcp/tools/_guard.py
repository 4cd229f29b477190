"""The tool boundary.

``ArgumentScreen`` (server middleware) refuses arguments that look like credentials
before the SDK validates them, without echoing them. ``Guard.run`` then turns every
``AuthError`` into one ``ToolError`` the model can read, runs every result and error
message through the one redactor (stored token values first, then anything
JWT-shaped) and writes one audit line per call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from olares_auth_mcp.auth.errors import AuthError, TokenNotFound, VaultError
from olares_auth_mcp.auth.redact import Redactor, looks_like_secret
from olares_auth_mcp.login.errors import LoginError
from olares_auth_mcp.server.deps import Deps

__all__ = ["ArgumentScreen", "Guard", "refusal_message"]

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

# The secrets the ArgumentScreen just checked this request's arguments against: Guard.run reuses
# them (same moment, same answer) instead of fingerprinting the vault again.
_SCREENED: ContextVar[list[str] | None] = ContextVar("olares_screened_secrets", default=None)


def refusal_message(argument: str) -> str:
    return (
        f"Refused: the argument {argument!r} looks like a credential (a password, token or secret), and no tool "
        "takes one. To import a refresh token, put it in the server's environment and call profile_import with "
        "refresh_token_env; to log in, call start_login so the human types the password on the secret-entry page."
    )


class Guard:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._lock = threading.Lock()
        self._fingerprint: object = None
        self._secrets: list[str] = []
        self.redactor = Redactor(self.known_secrets)

    def _vault_fingerprint(self) -> object:
        """Cheap change detection, so secrets are re-read only when something was written.

        Every write of config.json or of a token file is a rename of a freshly created file, so the
        inode behind each name changes with every write. ``readdir`` reports those inodes (``d_ino``)
        without a ``stat`` per file; the directory's own mtime is added as a second witness.
        """
        parts: list[object] = []
        for path in (self.deps.paths.config_file, self.deps.paths.keychain_dir):
            try:
                st = os.stat(path)
                parts.append((st.st_ino, st.st_mtime_ns, st.st_size))
            except OSError:
                parts.append(None)
        try:
            with os.scandir(self.deps.paths.keychain_dir) as entries:
                parts.extend(sorted((entry.name, entry.inode()) for entry in entries))
        except OSError:
            pass
        if not str(self.deps.vault.backend).startswith(("file", "system")):
            parts.append(object())  # in-memory vaults cannot be stat'ed: never reuse the cache
        return tuple(parts)

    def known_secrets(self) -> list[str]:
        """Every access and refresh token stored for a profile in config.json."""
        fingerprint = self._vault_fingerprint()
        with self._lock:
            if fingerprint == self._fingerprint:
                return self._secrets
        secrets: list[str] = []
        try:
            config = self.deps.account.store.snapshot()
        except AuthError:
            config = None
        for profile in config.profiles if config else []:
            try:
                record = self.deps.vault.get(profile.olares_id)
            except (TokenNotFound, VaultError):
                continue
            secrets.extend(s for s in (record.access_token, record.refresh_token, record.session_id) if s)
        with self._lock:
            self._fingerprint, self._secrets = fingerprint, secrets
        return secrets

    def _audit(
        self, tool: str, profile: str | None, outcome: str, arguments: dict[str, Any], known: list[str] | None = None
    ) -> None:
        known = self.redactor.known() if known is None else known
        safe = {k: self.redactor.value(v, known) for k, v in arguments.items()}
        self.deps.audit.record(tool=tool, profile=profile, outcome=outcome, arguments=safe, now=self.deps.clock())

    def _failed(self, tool: str, profile: str | None, arguments: dict[str, Any], err: Exception) -> ToolError:
        kind = err.kind if isinstance(err, AuthError) else "login" if isinstance(err, LoginError) else "tool"
        self._audit(tool, profile, f"error:{kind}", arguments)
        return ToolError(self.redactor.text(str(err)))

    def run(
        self,
        tool: str,
        arguments: dict[str, Any],
        call: Callable[[], M],
        *,
        profile: str | None = None,
        stores_tokens: bool = True,
    ) -> M:
        """Check, call, redact, audit. ``AuthError``/``LoginError`` become a redacted ``ToolError``.

        ``stores_tokens=False`` declares that the call cannot write a token (no login, import or
        refresh), so the secrets read before the call still cover everything it could return.
        """
        before = _SCREENED.get()
        if before is None:  # not through the ArgumentScreen (a direct call): read them now
            before = self.known_secrets()
        try:
            result = call()
        except (AuthError, LoginError, ToolError) as err:
            raise self._failed(tool, profile, arguments, err) from err
        except Exception:
            self._audit(tool, profile, "error:internal", arguments)
            raise
        # after a call that may store tokens (login, import, refresh), look again
        known = self.redactor.known() if stores_tokens else self.redactor.known(before)
        self._audit(tool, profile, "ok", arguments, known)
        return self.redact_model(result, known)

    async def arun(
        self,
        tool: str,
        arguments: dict[str, Any],
        call: Callable[[], Awaitable[R]],
        *,
        profile: str | None = None,
    ) -> R:
        """``run`` for async tools; a non-model result (an ``InputRequiredResult``) passes unredacted."""
        try:
            result = await call()
        except (AuthError, LoginError, ToolError) as err:
            raise self._failed(tool, profile, arguments, err) from err
        except Exception:
            self._audit(tool, profile, "error:internal", arguments)
            raise
        known = self.redactor.known()
        self._audit(tool, profile, "ok" if isinstance(result, BaseModel) else "input-required", arguments, known)
        return self.redact_model(result, known) if isinstance(result, BaseModel) else result

    def redact_model(self, result: M, known: list[str] | None = None) -> M:
        known = self.redactor.known() if known is None else known
        if self.redactor.clean_json(result.model_dump_json(), known):  # one linear scan, the usual case
            return result
        dumped = result.model_dump(mode="json")
        cleaned = self.redactor.value(dumped, known)
        return result if cleaned == dumped else type(result).model_validate(cleaned)


FREE_TEXT_ARGUMENTS: dict[str, frozenset[str]] = {"explain_auth_error": frozenset({"error_text"})}


def _strings(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


class ArgumentScreen:
    """Server middleware: refuses credential-looking ``tools/call`` arguments *before* the SDK validates them.

    The SDK's validation errors quote the offending input; screening first means a token the model
    put in any argument (even one of the wrong type) is never reflected by any later layer.
    """

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    async def __call__(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        if ctx.method == "tools/call" and isinstance(ctx.params, dict):
            tool = ctx.params.get("name")
            arguments = ctx.params.get("arguments")
            if isinstance(tool, str) and isinstance(arguments, dict):
                free = FREE_TEXT_ARGUMENTS.get(tool, frozenset())
                known = self.guard.known_secrets()
                for path, value in _strings(arguments, ""):
                    top = path.split(".", 1)[0].split("[", 1)[0]
                    if looks_like_secret(value, known, identifier=top not in free):
                        refused = {k: "[refused]" for k in arguments}
                        self.guard._audit(tool, None, "refused", refused)
                        return CallToolResult(
                            content=[TextContent(type="text", text=refusal_message(top))], is_error=True
                        )
                screened = _SCREENED.set(known)  # Guard.run reuses them: one vault fingerprint per call
                try:
                    return await call_next(ctx)
                finally:
                    _SCREENED.reset(screened)
        return await call_next(ctx)
