"""Everything a server needs to run interactive logins: the manager, the page, the login command, the use cases.

``LoginService`` offers the login use cases (``start``, ``status`` with an optional wait and progress,
``submit_totp``, ``cancel``) with plain results (``LoginStatus``); the MCP tools only deliver the page
and shape those results. A login's one-time page link is spent in one place: its final transition
(the page registry listens to ``LoginManager``'s), whoever ended it (the page, a tool, expiry, the program's exit).

The page is served lazily (the first time a login's URL is asked for) on 127.0.0.1 and a random port in stdio
mode, or mounted on the host app in HTTP mode. The login program is our own
``profile login`` by default; ``OLARES_AUTH_MCP_LOGIN_COMMAND`` (a shell-split argv prefix,
e.g. ``olares-cli profile login``) swaps in the real olares-cli.

The login child gets an allow-listed environment (``child_env``): what a CLI needs to find
its files, talk through the operator's proxy and CA settings, and print in the right locale —
never the server's other variables (API keys, database URLs, tokens). An operator who runs a
login program that needs more names lists them in ``OLARES_AUTH_MCP_LOGIN_ENV``.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import anyio
import anyio.to_thread

from olares_auth_mcp.auth.boundary import prepare_agent_login
from olares_auth_mcp.auth.errors import AlreadyAuthenticated, ExpiryUnknown
from olares_auth_mcp.auth.olares_id import SERVICE_URL_ENV
from olares_auth_mcp.auth.profiles import ProfileFlags
from olares_auth_mcp.auth.readiness import assess
from olares_auth_mcp.login._states import LoginState
from olares_auth_mcp.login.errors import LoginNotFound, LoginStateError
from olares_auth_mcp.login.manager import LoginManager
from olares_auth_mcp.login.page import SecretPageRegistry, build_secret_page_app
from olares_auth_mcp.login.page_server import SecretPageServer

if TYPE_CHECKING:
    from olares_auth_mcp.auth.account import Account

__all__ = [
    "ALREADY_AUTHENTICATED",
    "CHILD_ENV_NAMES",
    "LOGIN_COMMAND_ENV",
    "LOGIN_ENV_ENV",
    "MAX_WAIT",
    "CodeNotAsked",
    "Delivery",
    "LoginService",
    "LoginStatus",
    "Progress",
    "flag_argv",
]

LOGIN_COMMAND_ENV: Final = "OLARES_AUTH_MCP_LOGIN_COMMAND"
LOGIN_ENV_ENV: Final = "OLARES_AUTH_MCP_LOGIN_ENV"  # extra names (comma-separated) the operator passes on
# The names a login child may inherit (exact, case-sensitive), and the name patterns.
CHILD_ENV_NAMES: Final = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TERM",
        "TZ",
        "TMPDIR",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "PYTHONPATH",  # our own CLI, run from a source checkout
        SERVICE_URL_ENV,  # the test rig's redirect, which the login must follow too
    }
)
_CHILD_ENV_PATTERN: Final = re.compile(r"OLARES_CLI_[A-Z0-9_]+|LC_[A-Z]+|(?i:(?:https?|no|all)_proxy)")

PROMPT_TIMEOUT: Final = 20.0  # how long start waits for the program to park at a prompt
SETTLE_TIMEOUT: Final = 30.0  # how long submit_totp waits for the verdict on a code
MAX_WAIT: Final = 45  # the longest status wait a tool offers: common clients time a call out at 60 s
_STEP: Final = 1.0  # seconds between progress reports while waiting
ALREADY_AUTHENTICATED: Final = "already_authenticated"
_PAGE_STATES: Final = frozenset({LoginState.AWAITING_PASSWORD, LoginState.AWAITING_TOTP})  # the page can answer

Delivery = Literal["elicitation", "browser", "result", "none"]
"""How a login's page reached the human: shown by the client, opened in their browser, or (``result``)
only in this status, for the caller to show."""
Progress = Callable[[float, float, str], Awaitable[None]]
"""``(elapsed, total, message)`` while a status call waits."""


@dataclass(frozen=True)
class LoginStatus:
    """One login as a caller may report it; every text is redacted, none is a secret.

    ``login_id`` is None only for ``already_authenticated`` (no login was started). ``page_url`` is set
    only while the page can take a secret and nobody else put it in front of the human
    (``delivery == "result"``). ``prompt`` and ``error`` are the login program's own text (cleaned and
    capped, still untrusted). ``profile_status`` is the profile's status in the store once the login
    has ended.
    """

    login_id: str | None
    olares_id: str
    state: LoginState | Literal["already_authenticated"]
    prompt: str | None
    page_url: str | None
    delivery: Delivery
    auth_host: str
    output: str
    exit_code: int | None
    error: str | None
    profile_status: str | None


class CodeNotAsked(LoginStateError):
    """A two-factor code was relayed while the login is not asking for one; nothing was typed."""

    def __init__(self, state: LoginState) -> None:
        super().__init__(state, "relay a two-factor code")
        if state is LoginState.AWAITING_PASSWORD:
            self.message = (
                "Refused: the login is waiting for the password, which only the human types on the secret-entry "
                "page. Nothing was sent."
            )
        else:
            self.message = f"Refused: the login is {state}, not asking for a two-factor code."


def flag_argv(flags: ProfileFlags, *, no_switch: bool) -> list[str]:
    """The login flags as ``--flag=value``, so a value can never be read as another flag."""
    out = [f"--olares-id={flags.olares_id}"]
    for flag, value in (
        ("--name", flags.name),
        ("--auth-url-override", flags.auth_url_override),
        ("--local-url-prefix", flags.local_url_prefix),
    ):
        if value:
            out.append(f"{flag}={value}")
    if flags.insecure_skip_verify:
        out.append("--insecure-skip-verify")
    if no_switch:
        out.append("--no-switch")
    return out


def _child_may_inherit(name: str) -> bool:
    return name in CHILD_ENV_NAMES or _CHILD_ENV_PATTERN.fullmatch(name) is not None


class LoginService:
    """One per server: starts logins in a pty, serves their one-time secret-entry pages, and runs the use cases.

    ``account`` is needed by ``start`` (the re-login rule, where the password goes) and by the status of an
    ended login (the profile's status in the store).
    """

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        home: Path,
        data_dir: Path | None,
        redact: Callable[[str], str],
        ttl: float = 300.0,
        max_sessions: int = 4,
        clock: Callable[[], float] = time.monotonic,
        account: Account | None = None,
    ) -> None:
        self.env = dict(env)
        self.home = home
        self.data_dir = data_dir
        self.account = account  # the store logins write to: the gate before a start, the status after an end
        self.manager = LoginManager(
            clock=clock, redact=redact, max_sessions=max_sessions, ttl=ttl, on_final=self._ended
        )
        self.registry = SecretPageRegistry(self.manager)
        self._server: SecretPageServer | None = None
        self._lock = threading.Lock()
        # login_id -> how its page reached the human (so not in a result); its own lock, because the final
        # transition (under a session's lock) clears it: never call into a login while holding it
        self._delivered: dict[str, Delivery] = {}
        self._delivered_lock = threading.Lock()

    def command(self) -> list[str]:
        prefix = self.env.get(LOGIN_COMMAND_ENV, "").strip()
        if prefix:
            return shlex.split(prefix)
        return [sys.executable, "-m", "olares_auth_mcp", "profile", "login"]

    def child_env(self) -> dict[str, str]:
        """The allow-listed part of the server's environment, pointed at the same home.

        Passed on: ``CHILD_ENV_NAMES``, ``OLARES_CLI_*``, ``LC_*`` and proxy settings (any case),
        plus the names listed in ``OLARES_AUTH_MCP_LOGIN_ENV``; nothing else.
        """
        extra = {name.strip() for name in self.env.get(LOGIN_ENV_ENV, "").split(",") if name.strip()}
        env = {k: v for k, v in self.env.items() if k in extra or _child_may_inherit(k)}
        env["OLARES_CLI_HOME"] = str(self.home)
        if self.data_dir is not None:
            env["OLARES_CLI_DATA_DIR"] = str(self.data_dir)
        env.setdefault("TERM", "dumb")
        return env

    def argv(self, flags: ProfileFlags, *, no_switch: bool = False) -> list[str]:
        return [*self.command(), *flag_argv(flags, no_switch=no_switch)]

    def page_base_url(self) -> str:
        """The page's base URL, starting the loopback page server on first use (stdio mode)."""
        with self._lock:
            if self.registry.base_url is None:
                self._server = SecretPageServer(self.registry)
                self._server.start()
            base = self.registry.base_url
        assert base is not None  # noqa: S101 - start() sets it or raises
        return base

    def mount_app(self) -> object:
        """The page as an ASGI app, for HTTP mode to mount on its own loopback app."""
        return build_secret_page_app(self.registry)

    def close(self) -> None:
        self.manager.close()
        with self._lock:
            if self._server is not None:
                self._server.stop()
                self._server = None

    # -- the use cases ----------------------------------------------------------------------------------

    async def start(
        self, olares_id: str, *, name: str | None = None, no_switch: bool = False, client_name: str = ""
    ) -> LoginStatus:
        """Start ``profile login`` for ``olares_id`` (an agent's request: checked first) and wait, bounded, until it
        parks at a prompt or ends. A still-valid token starts nothing (``already_authenticated``); an unfinished
        login for the same Olares ID is cancelled first (a new one supersedes it). ``client_name`` is the host
        application that asked, already cleaned (the page shows it). When the login waits for a secret, the page
        is served and its URL is in the status until ``delivered`` says the human got it another way.

        Raises:
            InvalidOlaresID, UsageError, ManagedProfile, VaultError: the request (nothing was started).
            TooManyLogins, LoginSpawnError: the login could not be started.
        """
        account = self._account()
        try:
            plan = prepare_agent_login(account, olares_id, name)
        except (AlreadyAuthenticated, ExpiryUnknown) as err:
            return LoginStatus(
                login_id=None,
                olares_id=olares_id,
                state=ALREADY_AUTHENTICATED,
                prompt=None,
                page_url=None,
                delivery="none",
                auth_host="",
                output="",
                exit_code=None,
                error=str(err),
                profile_status="logged-in",
            )
        for older in self.manager.sessions():
            if older.olares_id == plan.flags.olares_id and not older.state.is_final:
                await self.end(older.login_id)
        session = self.manager.start(
            self.argv(plan.flags, no_switch=no_switch),
            self.child_env(),
            plan.flags.olares_id,
            auth_host=plan.destination_host,
            client_name=client_name,
        )
        try:
            await anyio.to_thread.run_sync(session.wait_for_prompt, PROMPT_TIMEOUT)
            return self.status_now(session.login_id)
        except BaseException:  # cancelled or failed: the login ends with the call that started it
            await self.end(session.login_id)
            raise

    async def status(self, login_id: str, *, wait: float = 0, progress: Progress | None = None) -> LoginStatus:
        """The login's status; with ``wait`` seconds (at most ``MAX_WAIT``), first wait for it to move on.

        The wait ends when the login needs something new (a prompt), ends, or ``wait`` is over; ``progress``
        hears about every second of it.

        Raises:
            LoginNotFound: no such login (or it was forgotten).
        """
        wait = min(max(wait, 0), MAX_WAIT)
        session = self.manager.get(login_id)
        initial = session.state
        started = time.monotonic()
        while wait and not session.state.is_final:
            current = session.state
            if current != initial and current not in (LoginState.STARTING, LoginState.VERIFYING):
                break
            left = wait - (time.monotonic() - started)
            if left <= 0:
                break
            await anyio.to_thread.run_sync(session.wait_for_change, min(_STEP, left))
            session = self.manager.get(login_id)  # get() also expires a login whose time is up
            if progress is not None:
                await progress(min(time.monotonic() - started, wait), wait, f"login {session.state}")
        return self.status_now(login_id)

    async def submit_totp(self, login_id: str, code: str) -> LoginStatus:
        """Type a two-factor code the human gave, only at the login's code prompt; wait (bounded) for the verdict.

        Raises:
            LoginNotFound, CodeNotAsked (nothing was typed), InvalidCode, LoginStateError.
        """
        session = self.manager.get(login_id)
        state = session.state
        if state is not LoginState.AWAITING_TOTP:
            raise CodeNotAsked(state)
        deadline = time.monotonic() + SETTLE_TIMEOUT
        version = session.version
        await anyio.to_thread.run_sync(session.send, "code", code)
        await anyio.to_thread.run_sync(lambda: session.wait_for_change(SETTLE_TIMEOUT, since=version))
        while session.state in (LoginState.VERIFYING, LoginState.STARTING):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await anyio.to_thread.run_sync(session.wait_for_change, left)
        return self.status_now(login_id)

    async def cancel(self, login_id: str) -> LoginStatus:
        """Stop the login (its process ends, its page stops working) and return its status.

        Raises:
            LoginNotFound: no such login.
        """
        await self.end(login_id)
        return self.status_now(login_id)

    async def end(self, login_id: str) -> None:
        """Cancel the login, bounded; runs to the end even when the caller is being cancelled. Never raises
        ``LoginNotFound`` (a forgotten login has nothing left to stop)."""
        with anyio.CancelScope(shield=True), contextlib.suppress(LoginNotFound):
            await anyio.to_thread.run_sync(self.manager.cancel, login_id)

    def delivered(self, login_id: str, how: Literal["elicitation", "browser"]) -> None:
        """Record that the page reached the human another way: from now on no status carries its URL."""
        with self._delivered_lock:
            self._delivered[login_id] = how
        if self.manager.get(login_id).state.is_final:  # it ended meanwhile, maybe before the line above
            with self._delivered_lock:
                self._delivered.pop(login_id, None)

    def page_url(self, login_id: str) -> str:
        """The login's page URL, serving the page first if needed (for a caller that delivers it).

        Raises:
            LoginNotFound, LoginStateError (the login has ended), PageUnavailable.
        """
        self.page_base_url()
        return self.registry.url_for(login_id)

    def status_now(self, login_id: str) -> LoginStatus:
        """The login's status as it is now (``status`` without a wait). Raises ``LoginNotFound``."""
        session = self.manager.get(login_id)
        view = session.view()
        with self._delivered_lock:
            delivery: Delivery = "none" if view.state.is_final else self._delivered.get(login_id, "none")
        url = None
        if delivery == "none" and view.state in _PAGE_STATES:
            url, delivery = self.page_url(login_id), "result"
        return LoginStatus(
            login_id=login_id,
            olares_id=session.olares_id,
            state=view.state,
            prompt=view.prompt or None,
            page_url=url,
            delivery=delivery,
            auth_host=session.auth_host,
            output=session.output,
            exit_code=session.exit_code,
            error=view.error,
            profile_status=self._profile_status(session.olares_id) if view.state.is_final else None,
        )

    def _profile_status(self, olares_id: str) -> str | None:
        account = self.account
        if account is None:
            return None
        return assess(account.store.load(), account.vault, target=olares_id, now=account.clock()).status

    def _account(self) -> Account:
        if self.account is None:
            raise LoginStateError("unavailable", "start a login (this server has no profile store)")
        return self.account

    def _ended(self, login_id: str) -> None:
        # the login's final transition (LoginManager's on_final, under the session's lock); the page registry
        # hears it too and spends the link
        with self._delivered_lock:
            self._delivered.pop(login_id, None)
