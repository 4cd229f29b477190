"""Own the running logins: ids, a concurrency limit, expiry on an injected clock, clean shutdown.

MCP tools (worker threads) and the secret-entry page (another thread) share one
``LoginManager``; every method is thread-safe. Expiry is checked on every call
(and by an optional sweeper thread), so an expired login is killed and reads as
``expired`` no matter who looks first. ``close()`` — also registered with
``atexit`` — kills every child: a login program never outlives the server.
"""

from __future__ import annotations

import atexit
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from olares_auth_mcp.login.errors import LoginNotFound, LoginStateError, TooManyLogins
from olares_auth_mcp.login.relay import LoginProcess, LoginState, Redactor, spawn_login

__all__ = ["LoginManager", "LoginSession", "LoginView", "SecretKind"]

SecretKind = Literal["password", "code"]
Clock = Callable[[], float]

_JOIN_TIMEOUT: Final = 2.0


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class LoginView:
    """A consistent snapshot of one login, safe to show: every text in it is redacted.

    ``prompt`` and ``error`` are the login program's text (cleaned and capped, but still
    untrusted); ``auth_host`` is the host the password goes to, as the server derived it
    (``""``: the caller did not say).
    """

    login_id: str
    olares_id: str
    state: LoginState
    prompt: str
    error: str | None
    version: int
    auth_host: str = ""


class LoginSession:
    """One login: its id, the Olares ID it is for, where its password goes, its deadline and its process.

    ``auth_host`` is the host the login program sends the password to, as the server derived
    it from the Olares ID and the profile's human-set settings (``""``: not given).
    """

    def __init__(
        self, login_id: str, olares_id: str, process: LoginProcess, expires_at: float, *, auth_host: str = ""
    ) -> None:
        self.login_id = login_id
        self.olares_id = olares_id
        self.auth_host: str = auth_host
        self.process = process
        self.expires_at = expires_at
        self.auth_host = auth_host

    @property
    def state(self) -> LoginState:
        return self.process.state

    @property
    def output(self) -> str:
        """Everything the login program printed so far, redacted."""
        return self.process.output

    @property
    def exit_code(self) -> int | None:
        return self.process.exit_code

    def view(self) -> LoginView:
        state, prompt, error, version = self.process.snapshot()
        return LoginView(self.login_id, self.olares_id, state, prompt, error, version, self.auth_host)

    def wait_for_prompt(self, timeout: float) -> LoginState:
        return self.process.wait_for_prompt(timeout)

    def wait_for_change(self, timeout: float, *, since: int | None = None) -> LoginState:
        return self.process.wait_for_change(timeout, since=since)


class LoginManager:
    """Start, find, cancel and expire logins; implements the page's ``PageBackend``.

    ``clock`` (monotonic seconds) decides expiry; ``redact`` filters everything a
    login prints before anyone sees it. ``sweep_interval`` runs a sweeper thread
    that expires logins nobody is looking at (``None``: expire lazily only).
    """

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        redact: Redactor = _identity,
        max_sessions: int = 4,
        ttl: float = 300.0,
        keep_finished: int = 32,
        quiet_period: float = 0.5,
        echo_grace: float = 1.0,
        term_grace: float = 2.0,
        sweep_interval: float | None = 5.0,
    ) -> None:
        if max_sessions < 1 or ttl <= 0 or keep_finished < 0:
            raise ValueError("max_sessions must be >= 1, ttl > 0 and keep_finished >= 0")
        self._clock = clock
        self._redact = redact
        self._max = max_sessions
        self._ttl = ttl
        self._keep_finished = keep_finished
        self._quiet_period = quiet_period
        self._echo_grace = echo_grace
        self._term_grace = term_grace
        self._sweep_interval = sweep_interval
        self._lock = threading.Lock()
        self._sessions: dict[str, LoginSession] = {}  # insertion order = start order
        self._closed = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._atexit = _weak_close(self)
        atexit.register(self._atexit)

    # -- lifecycle of one login ---------------------------------------------------------------------------

    def start(
        self, argv: Sequence[str], env: Mapping[str, str], olares_id: str, *, auth_host: str = ""
    ) -> LoginSession:
        """Start the login program ``argv`` with exactly ``env`` for ``olares_id``.

        Only ``olares_id``'s own prompts (``password for <id>: ``, ``two-factor code for <id>: ``)
        are recognised. ``auth_host`` is where the password goes; the page shows it.

        Raises:
            TooManyLogins: ``max_sessions`` logins are already in progress.
            LoginSpawnError: the program cannot be started.
            LoginStateError: the manager is closed.
        """
        self.sweep()
        with self._lock:
            if self._closed.is_set():
                raise LoginStateError("closed", "start a login")
            if sum(not s.state.is_final for s in self._sessions.values()) >= self._max:
                raise TooManyLogins(self._max)
            process = spawn_login(
                argv,
                env,
                redact=self._redact,
                quiet_period=self._quiet_period,
                echo_grace=self._echo_grace,
                term_grace=self._term_grace,
                olares_id=olares_id,
            )
            login_id = secrets.token_urlsafe(16)
            session = LoginSession(login_id, olares_id, process, self._clock() + self._ttl, auth_host=auth_host)
            self._sessions[login_id] = session
            self._forget_old_finished()
            self._start_sweeper()
        return session

    def get(self, login_id: str) -> LoginSession:
        """The login with this id (expired first if its time is up).

        Raises:
            LoginNotFound: no such login, or it ended long enough ago to be forgotten.
        """
        self.sweep()
        with self._lock:
            session = self._sessions.get(login_id)
        if session is None:
            raise LoginNotFound(login_id)
        return session

    def cancel(self, login_id: str) -> LoginState:
        """Kill the login's process (bounded) and mark it cancelled; returns its final state."""
        return self.get(login_id).process.cancel()

    def sessions(self) -> list[LoginSession]:
        """Every login still remembered, oldest first."""
        self.sweep()
        with self._lock:
            return list(self._sessions.values())

    def sweep(self) -> list[str]:
        """Expire every unfinished login whose time is up; returns their ids."""
        now = self._clock()
        with self._lock:
            due = [s for s in self._sessions.values() if not s.state.is_final and now >= s.expires_at]
        for session in due:  # outside the lock: killing is bounded but not instant
            session.process.expire()
        return [s.login_id for s in due]

    def close(self) -> None:
        """Kill every login program and stop the sweeper. Idempotent; bounded."""
        self._closed.set()
        atexit.unregister(self._atexit)
        with self._lock:
            sessions = list(self._sessions.values())
            sweeper, self._sweeper = self._sweeper, None
        for session in sessions:  # SIGTERM to all first, so their grace periods overlap
            session.process.cancel(wait=False)
        for session in sessions:
            session.process.cancel()
        for session in sessions:
            session.process.join(_JOIN_TIMEOUT)
        if sweeper is not None and sweeper is not threading.current_thread():
            sweeper.join(_JOIN_TIMEOUT)

    def __enter__(self) -> LoginManager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- PageBackend ------------------------------------------------------------------------------------

    def view(self, login_id: str) -> LoginView:
        """A redacted snapshot of the login. Raises ``LoginNotFound``."""
        return self.get(login_id).view()

    def post_secret(self, login_id: str, kind: SecretKind, value: str) -> None:
        """Type a password (only at the password prompt) or a two-factor code (only at its prompt).

        Raises:
            LoginNotFound, LoginStateError, InvalidSecret, InvalidCode, EchoNotDisabled.
        """
        process = self.get(login_id).process
        if kind == "password":
            process.send_password(value)
        else:
            process.send_totp(value)

    def wait_settled(self, login_id: str, timeout: float) -> LoginView:
        """Wait (bounded) until the login parks at a prompt or ends, then return a snapshot."""
        session = self.get(login_id)
        session.process.wait_for_prompt(timeout)
        return self.view(login_id)

    # -- internals --------------------------------------------------------------------------------------

    def _forget_old_finished(self) -> None:
        # callers hold self._lock
        finished = [i for i, s in self._sessions.items() if s.state.is_final and s.process.exited]
        for login_id in finished[: max(0, len(finished) - self._keep_finished)]:
            del self._sessions[login_id]

    def _start_sweeper(self) -> None:
        # callers hold self._lock
        if self._sweep_interval is None or self._sweeper is not None:
            return
        interval = self._sweep_interval
        ref = weakref.ref(self)
        closed = self._closed

        def run() -> None:
            while not closed.wait(interval):
                manager = ref()
                if manager is None:
                    return
                manager.sweep()
                del manager

        self._sweeper = threading.Thread(target=run, name="login-sweeper", daemon=True)
        self._sweeper.start()


def _weak_close(manager: LoginManager) -> Callable[[], None]:
    # atexit must not keep every manager ever built alive
    ref = weakref.ref(manager)

    def close() -> None:
        target = ref()
        if target is not None:
            target.close()

    return close
