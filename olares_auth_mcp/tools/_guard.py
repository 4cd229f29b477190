"""The tool boundary.

``ArgumentScreen`` (server middleware) refuses arguments that look like credentials
before the SDK validates them, without echoing them. ``Guard.run`` then turns every
``AuthError`` into one ``ToolError`` the model can read, runs every result and error
message through the one redactor (every stored token value, as stored after the call,
then anything JWT-shaped) and writes exactly one audit line per call, from the arguments
as the client sent them, redacted the same way.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final, TypeVar

import pydantic_core
from mcp import MCPError
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import INVALID_PARAMS, CallToolResult, TextContent
from pydantic import BaseModel

from olares_auth_mcp.auth.errors import AuthError, TokenNotFound, VaultError
from olares_auth_mcp.auth.redact import Redactor, looks_like_secret
from olares_auth_mcp.auth.vault._files import change_witness
from olares_auth_mcp.login.errors import LoginError
from olares_auth_mcp.tools.deps import Deps

logger = logging.getLogger(__name__)

__all__ = ["MAX_ARGUMENT_CHARS", "ArgumentScreen", "Guard", "Unscreenable", "refusal_message"]

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

MAX_ARGUMENT_CHARS: Final = 64 * 1024  # all strings, keys and scalars of one call's arguments, about its JSON size
MAX_ARGUMENT_DEPTH: Final = 32  # no tool takes anything nested; deeper input is refused, never recursed into
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def refusal_message(argument: str) -> str:
    """The refusal for a credential-looking value; ``argument`` is quoted only when it is a plain name."""
    shown = repr(argument) if _NAME.fullmatch(argument) else "(an argument)"
    return (
        f"Refused: the argument {shown} looks like a credential (a password, token or secret), and no tool "
        "takes one. To import a refresh token, put it in the server's environment and call profile_import with "
        "refresh_token_env; to log in, call start_login so the human types the password on the secret-entry page."
    )


def _kind(err: Exception) -> str:
    return err.kind if isinstance(err, AuthError) else "login" if isinstance(err, LoginError) else "tool"


class _Call:
    """One call's audit outcome, and the stored secrets as read once after the call (for its result and line)."""

    def __init__(self, redactor: Redactor) -> None:
        self.outcome = "cancelled"  # until the call says otherwise: what a ``CancelledError`` leaves
        self._redactor = redactor
        self._secrets: list[str] | None = None

    def secrets(self) -> list[str]:
        if self._secrets is None:
            self._secrets = self._redactor.known()
        return self._secrets


class Guard:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._lock = threading.Lock()
        self._fingerprint: object = None
        self._secrets: list[str] = []
        self.redactor = Redactor(self.known_secrets)

    def _vault_fingerprint(self) -> object:
        """Cheap change detection, so secrets are re-read only when something was written.

        Every write of config.json or of a token file is a rename of a freshly created file, which moves
        the directory's stamps; right after a change the entries' inodes are compared too (``change_witness``).
        """
        paths = self.deps.paths
        parts: list[object] = [change_witness(paths.config_file), change_witness(paths.keychain_dir)]
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
        except (AuthError, RecursionError, ValueError):  # an unreadable config holds no token we could know
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
        self, tool: str, profile: str | None, outcome: str, arguments: dict[str, Any], secrets: Callable[[], list[str]]
    ) -> None:
        try:
            known = secrets()
            withheld = NEVER_LOGGED.get(tool, frozenset())
            safe = {
                self._key(k, known): "[not logged]" if k in withheld else self.redactor.value(v, known)
                for k, v in arguments.items()
            }
            self.deps.audit.record(tool=tool, profile=profile, outcome=outcome, arguments=safe, now=self.deps.clock())
        except Exception:  # the audit log never breaks a call (its own outcome still returns)
            logger.warning("audit line for %s not written", tool if _NAME.fullmatch(tool) else "a call")

    def _key(self, key: object, known: list[str]) -> str:
        """An argument name as the audit log may hold it: a plain name (redacted), else a marker."""
        text = str(key)
        return self.redactor.text(text, known) if _NAME.fullmatch(text) else "[argument]"

    def audit_refused(self, tool: str, arguments: dict[str, Any]) -> None:
        """The audit line of a call the screen refused; ``arguments`` hold markers, never the values."""
        self._audit(tool, None, "refused", arguments, self.redactor.known)

    @contextmanager
    def _boundary(self, tool: str, arguments: dict[str, Any], profile: str | None) -> Iterator[_Call]:
        """One call through the boundary: errors mapped, and exactly one audit line, written on the way out.

        The line's outcome is ``ok``/``input-required`` (set by the caller), ``error:<kind>``, or
        ``cancelled`` for anything that is not an ``Exception`` (a ``CancelledError``): every call
        leaves its line, whatever way it ends.
        """
        call = _Call(self.redactor)
        try:
            yield call
        except (AuthError, LoginError, ToolError) as err:
            call.outcome = f"error:{_kind(err)}"
            raise ToolError(self.redactor.text(str(err), call.secrets())) from err
        except Exception:
            call.outcome = "error:internal"
            raise
        finally:
            self._audit(tool, profile, call.outcome, arguments, call.secrets)

    def run(self, tool: str, arguments: dict[str, Any], call: Callable[[], M], *, profile: str | None = None) -> M:
        """Call, redact, audit. ``AuthError``/``LoginError`` become a redacted ``ToolError``.

        ``arguments`` are the tool's arguments as the client sent them; the audit line holds them redacted
        (``NEVER_LOGGED`` ones replaced). The result is redacted with every secret stored *after* the call,
        so a token the call itself stored (a login, an import, a refresh) is covered too.
        """
        with self._boundary(tool, arguments, profile) as line:
            result = call()
            line.outcome = "ok"
            return self.redact_model(result, line.secrets())

    async def arun(
        self, tool: str, arguments: dict[str, Any], call: Callable[[], Awaitable[R]], *, profile: str | None = None
    ) -> R:
        """``run`` for async tools; a non-model result (an ``InputRequiredResult``) passes unredacted."""
        with self._boundary(tool, arguments, profile) as line:
            result = await call()
            if not isinstance(result, BaseModel):
                line.outcome = "input-required"
                return result
            line.outcome = "ok"
            return self.redact_model(result, line.secrets())

    def run_data(
        self, tool: str, arguments: dict[str, Any], call: Callable[[], dict[str, Any]], *, profile: str | None = None
    ) -> CallToolResult:
        """``run`` for a result the tool builds as JSON data (a listing of every profile), not as a model.

        One compact dump of the data is both the redaction check and the text content, and the data is the
        structured content; the SDK validates it against the tool's output model on the way out. For a large
        result this skips building a model only to dump it twice, and the compact text spares the model
        reading it a few tokens per field.
        """
        with self._boundary(tool, arguments, profile) as line:
            data = call()
            line.outcome = "ok"
            known = line.secrets()
            text = _compact_json(data)
            if not self.redactor.clean_json(text, known):
                data = self.redactor.value(data, known)
                text = _compact_json(data)
            return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)

    def redact_model(self, result: M, known: list[str] | None = None) -> M:
        known = self.redactor.known() if known is None else known
        if self.redactor.clean_json(result.model_dump_json(), known):  # one linear scan, the usual case
            return result
        dumped = result.model_dump(mode="json")
        cleaned = self.redactor.value(dumped, known)
        return result if cleaned == dumped else type(result).model_validate(cleaned)


def _compact_json(data: dict[str, Any]) -> str:
    """``json.dumps(data, ensure_ascii=False, separators=(",", ":"))``, in a third of its time: like it, it
    escapes only quotes, backslashes and control characters (what ``Redactor.clean_json`` relies on)."""
    return pydantic_core.to_json(data).decode()


FREE_TEXT_ARGUMENTS: dict[str, frozenset[str]] = {"explain_auth_error": frozenset({"error_text"})}
FREE_TEXT_PROMPT_ARGUMENTS: dict[str, frozenset[str]] = {"olares_auth_error": frozenset({"error_text"})}
NEVER_LOGGED: dict[str, frozenset[str]] = {"login_submit_totp": frozenset({"code"})}
"""Arguments whose values no audit line holds, by tool (a two-factor code is short-lived, but still the human's)."""


class Unscreenable(Exception):
    """The arguments are too large or too deeply nested to be screened: the call is refused."""


def _strings(arguments: dict[str, Any]) -> list[tuple[str, str]]:
    """Every string in ``arguments`` (keys too) with the top-level argument it sits under.

    Iterative, so no depth of nesting can raise ``RecursionError``; bounded, so the walk stops
    as soon as the arguments exceed ``MAX_ARGUMENT_CHARS`` or ``MAX_ARGUMENT_DEPTH``.

    Raises:
        Unscreenable: too large or too deep (the message never quotes the input).
    """
    found: list[tuple[str, str]] = []
    budget = MAX_ARGUMENT_CHARS
    stack: list[tuple[Any, str, int]] = []
    for key, value in arguments.items():
        top = str(key)
        found.append((top, top))
        budget -= len(top) + 4
        stack.append((value, top, 1))
    while stack:
        value, top, depth = stack.pop()
        if depth > MAX_ARGUMENT_DEPTH:
            raise Unscreenable(f"its arguments are nested more than {MAX_ARGUMENT_DEPTH} levels deep")
        if isinstance(value, str):
            budget -= len(value) + 3
            found.append((top, value))
        elif isinstance(value, dict):
            budget -= 2
            for key, item in value.items():
                budget -= len(str(key)) + 4
                found.append((top, str(key)))
                stack.append((item, top, depth + 1))
        elif isinstance(value, list | tuple):
            budget -= 2
            stack.extend((item, top, depth + 1) for item in value)
        else:
            budget -= 8  # a number, a boolean or null
        if budget < 0:
            raise Unscreenable(f"its arguments are larger than {MAX_ARGUMENT_CHARS // 1024} KiB")
    return found


class ArgumentScreen:
    """Server middleware: screens every string a client sends *before* the SDK validates or echoes it.

    Covers ``tools/call`` (the tool name and every argument, keys included), ``prompts/get`` (the
    prompt name and its arguments) and ``resources/read`` (the URI). The SDK's validation and
    "unknown tool/prompt/resource" errors quote the offending input; screening first means a
    token the model put anywhere (even in an argument of the wrong type) is never reflected by a
    later layer. Arguments are size- and depth-capped before any pattern runs; a refusal stops
    that one call and quotes nothing the client sent.
    """

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    async def __call__(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        params = ctx.params if isinstance(ctx.params, dict) else None
        if params is not None and ctx.method == "tools/call":
            known = self.guard.known_secrets()
            refusal = self._screen_tool_call(params, known)
            if refusal is not None:
                return CallToolResult(content=[TextContent(type="text", text=refusal)], is_error=True)
            return await call_next(ctx)
        if params is not None and ctx.method in ("prompts/get", "resources/read"):
            refusal = self._screen_read(ctx.method, params)
            if refusal is not None:
                raise MCPError(INVALID_PARAMS, refusal)
        return await call_next(ctx)

    def _screen(self, audit_as: str, values: dict[str, Any], free: frozenset[str], known: list[str]) -> str | None:
        """The refusal for ``values`` (too large, too deep, or carrying a credential), else None."""
        try:
            strings = _strings(values)
        except Unscreenable as err:
            self.guard.audit_refused(audit_as, {"[arguments]": "[refused]"})
            return f"Refused: {err}; nothing takes that. Nothing was done."
        for top, value in strings:
            if looks_like_secret(value, known, identifier=top not in free):
                self.guard.audit_refused(audit_as, dict.fromkeys(values, "[refused]"))
                return refusal_message(top)
        return None

    def _screen_tool_call(self, params: dict[str, Any], known: list[str]) -> str | None:
        tool, arguments = params.get("name"), params.get("arguments")
        refusal = self._screen("(refused tool name)", {"name": tool}, frozenset(), known)
        if refusal is not None:
            return refusal
        name = tool if isinstance(tool, str) else ""
        shown = name if _NAME.fullmatch(name) else "(unknown tool name)"
        if arguments is None:
            return None
        if not isinstance(arguments, dict):  # malformed, but the SDK's error would quote it
            return self._screen(shown, {"arguments": arguments}, frozenset(), known)
        return self._screen(shown, arguments, FREE_TEXT_ARGUMENTS.get(name, frozenset()), known)

    def _screen_read(self, method: str, params: dict[str, Any]) -> str | None:
        """A refusal for a ``prompts/get`` or ``resources/read`` carrying a credential (or too much), else None."""
        known = self.guard.known_secrets()
        if method == "resources/read":
            return self._screen("resources/read", {"uri": params.get("uri")}, frozenset(), known)
        name, arguments = params.get("name"), params.get("arguments")
        refusal = self._screen("prompts/get", {"name": name}, frozenset(), known)
        if refusal is not None or arguments is None:
            return refusal
        shown = f"prompts/get:{name}" if isinstance(name, str) and _NAME.fullmatch(name) else "prompts/get"
        if not isinstance(arguments, dict):
            return self._screen(shown, {"arguments": arguments}, frozenset(), known)
        free = FREE_TEXT_PROMPT_ARGUMENTS.get(name if isinstance(name, str) else "", frozenset())
        return self._screen(shown, arguments, free, known)
