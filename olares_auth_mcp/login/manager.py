"""Own the running logins: ids, a concurrency limit, expiry on an injected clock, clean shutdown.

MCP tools (worker threads) and the secret-entry page (another thread) share one
``LoginManager``; every method is thread-safe. Expiry is checked on every call
(and by an optional sweeper thread), so an expired login is killed and reads as
``expired`` no matter who looks first. ``close()`` — also registered with
``atexit`` — kills every child: a login program never outlives the server.

Final listeners (``on_final``, ``add_final_listener``) hear each login's final transition
exactly once (succeeded, failed, cancelled or expired, whoever caused it), before anyone can
see the final state: that is the one place a login's one-time page link is spent (the
``SecretPageRegistry`` listens).
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

from olares_auth_mcp.login._states import SETTLED
from olares_auth_mcp.login.errors import LoginError, LoginNotFound, LoginStateError, TooManyLogins
from olares_auth_mcp.login.relay import Listener, LoginProcess, LoginState, Redactor, spawn_login

__all__ = ["MAX_ATTEMPTS", "FinalListener", "LoginManager", "LoginSession", "LoginView", "SecretKind"]

SecretKind = Literal["password", "code"]
Clock = Callable[[], float]

_JOIN_TIMEOUT: Final = 2.0
MAX_ATTEMPTS: Final = 3
"""Passwords and codes a login may get wrong in its life before it fails (its link stays the same)."""


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class LoginView:
    """A consistent snapshot of one login, safe to show: every text in it is redacted.

    ``prompt`` and ``error`` are the login program's text (cleaned and capped, but still
    untrusted); ``auth_host`` is the host the password goes to, as the server derived it
    (``""``: the caller did not say). ``client_name`` is the MCP host application that asked
    (as it names itself, cleaned; ``""``: unknown). ``seconds_left`` is the time until the login
    expires, at the time of the snapshot. ``wrong`` names the secret the last attempt got wrong
    (``"password"``/``"code"``, until the next one is sent) and ``tries_left`` how many attempts remain.
    """

    login_id: str
    olares_id: str
    state: LoginState
    prompt: str
    error: str | None
    version: int
    auth_host: str = ""
    client_name: str = ""
    seconds_left: float | None = None
    wrong: SecretKind | None = None
    tries_left: int = MAX_ATTEMPTS


Spawner = Callable[[Listener], LoginProcess]
FinalListener = Callable[[str], None]
"""Called with a login's id once, when it ends; under the session's lock, so it must not call back into logins."""


class LoginSession:
    """One login: its id, the Olares ID it is for, where its password goes, its deadline and its process.

    ``auth_host`` is the host the login program sends the password to, as the server derived it
    from the Olares ID and the profile's human-set settings (``""``: not given).

    A wrong password or code does not end the login: up to ``max_attempts`` attempts are allowed
    in its life. When the program exits saying the password or code was wrong
    (``LoginProcess.failure_kind``), the same program is started again (same argv and environment,
    same ``login_id``, so the same page link) and asks again; a program that asks for the code
    again itself (ours does) keeps running. The failure that uses up the last attempt ends the
    login as ``failed``. While the program is being restarted the login reads ``verifying``.

    ``on_final`` is called once, with the login's id, at the transition into a final state
    (``FinalListener``): before the new state is visible to any reader.

    Locking: the process calls ``_changed`` holding its own lock, which then takes the session's;
    so the session never calls into a process while holding its own lock.
    """

    def __init__(
        self,
        login_id: str,
        olares_id: str,
        spawn: Spawner,
        expires_at: float,
        *,
        auth_host: str = "",
        client_name: str = "",
        clock: Clock = time.monotonic,
        max_attempts: int = MAX_ATTEMPTS,
        on_final: FinalListener | None = None,
    ) -> None:
        self.login_id = login_id
        self.olares_id = olares_id
        self.auth_host: str = auth_host
        self.client_name: str = client_name
        self.expires_at = expires_at
        self._clock = clock
        self._spawn = spawn
        self._max_attempts = max_attempts
        self._cond = threading.Condition(threading.Lock())
        self._generation = 0
        self._proc_state = LoginState.STARTING
        self._version = 0
        self._failures = 0
        self._wrong: SecretKind | None = None  # shown until the next secret is sent
        self._last_wrong: SecretKind | None = None  # kept for the final page
        self._totp_seen = False
        self._counted = False  # this program's wrong-secret exit is counted
        self._restarting = False
        self._ended: LoginState | None = None  # decided by the session (no tries left, cancelled while restarting)
        self._on_final = on_final
        self._final_heard = False
        self.process: LoginProcess = spawn(self._listener(0))

    # -- read-only views ------------------------------------------------------------------------------------

    @property
    def state(self) -> LoginState:
        with self._cond:
            return self._state_locked()

    def _state_locked(self) -> LoginState:
        if self._ended is not None:
            return self._ended
        if self._restarting:
            return LoginState.VERIFYING
        return self._proc_state

    @property
    def version(self) -> int:
        """Increases on every state change of the login (across restarts of its program)."""
        with self._cond:
            return self._version

    @property
    def failures(self) -> int:
        """Wrong passwords and codes so far."""
        with self._cond:
            return self._failures

    @property
    def output(self) -> str:
        """Everything the current login program printed so far, redacted."""
        return self.process.output

    @property
    def exit_code(self) -> int | None:
        return self.process.exit_code

    def view(self) -> LoginView:
        _, prompt, error, _ = self.process.snapshot()  # outside our lock (see the class docstring)
        with self._cond:
            state, version = self._state_locked(), self._version
            wrong, tries_left = self._wrong, self._max_attempts - self._failures
            if state is LoginState.FAILED:
                wrong = self._last_wrong
        return LoginView(
            self.login_id,
            self.olares_id,
            state,
            prompt if state.is_awaiting else "",
            error if state is LoginState.FAILED else None,
            version,
            self.auth_host,
            self.client_name,
            max(0.0, self.expires_at - self._clock()),
            wrong,
            max(0, tries_left),
        )

    def wait_for_prompt(self, timeout: float) -> LoginState:
        """Wait (bounded) until the login parks at a prompt or ends; returns the state."""
        with self._cond:
            self._cond.wait_for(lambda: self._state_locked() in SETTLED, timeout)
            return self._state_locked()

    def wait_for_change(self, timeout: float, *, since: int | None = None) -> LoginState:
        """Wait (bounded) until the login's version moves past ``since`` (default: now)."""
        with self._cond:
            base = self._version if since is None else since
            self._cond.wait_for(lambda: self._version != base, timeout)
            return self._state_locked()

    def join(self, timeout: float) -> bool:
        return self.process.join(timeout)

    # -- acting ---------------------------------------------------------------------------------------------

    def send(self, kind: SecretKind, value: str) -> None:
        """Type a password (only at the password prompt) or a code (only at the code prompt).

        Raises:
            LoginStateError, InvalidSecret, InvalidCode, EchoNotDisabled.
        """
        state = self.state
        if state.is_final:
            raise LoginStateError(state, "send a secret")
        if kind == "password":
            self.process.send_password(value)
        else:
            self.process.send_totp(value)

    def cancel(self, *, wait: bool = True) -> LoginState:
        """Stop the login (bounded) and mark it cancelled; a login that has ended keeps its state."""
        return self._stop(LoginState.CANCELLED, wait=wait)

    def expire(self) -> LoginState:
        return self._stop(LoginState.EXPIRED, wait=True)

    def _stop(self, final: LoginState, *, wait: bool) -> LoginState:
        with self._cond:
            if self._restarting and self._ended is None:
                self._ended = final  # the restart sees this and stops its new program
                self._bump()
            process = self.process
        if final is LoginState.EXPIRED:
            process.expire()
        else:
            process.cancel(wait=wait)
        return self.state

    # -- the process's events -------------------------------------------------------------------------------

    def _bump(self) -> None:
        # callers hold self._cond; every change of state comes through here, so this is where a login ends
        if not self._final_heard and self._state_locked().is_final:
            self._final_heard = True
            if self._on_final is not None:
                self._on_final(self.login_id)
        self._version += 1
        self._cond.notify_all()

    def _listener(self, generation: int) -> Listener:
        def changed(process: LoginProcess) -> None:
            self._changed(generation, process)

        return changed

    def _changed(self, generation: int, process: LoginProcess) -> None:
        # called by the process, holding its lock (re-entrant): reading its properties is safe here
        state, kind, exited = process.state, process.failure_kind, process.exited
        give_up = restart = False
        with self._cond:
            if generation != self._generation or self._ended is not None:
                self._bump()
                return
            previous, self._proc_state = self._proc_state, state
            if state is LoginState.AWAITING_TOTP and previous is not LoginState.AWAITING_TOTP:
                if self._totp_seen:  # asked for the code again: the last one was wrong
                    give_up = self._count("code")
                self._totp_seen = True
            elif state is LoginState.VERIFYING:
                self._wrong = None
            elif state is LoginState.FAILED and kind is not None and not exited:
                # read as verifying, not failed, until it has exited and is restarted
                self._restarting = self._failures + 1 < self._max_attempts
            elif state is LoginState.FAILED and kind is not None and not self._counted:
                self._counted = True
                restart = not self._count(kind)
                self._restarting = restart
            self._bump()
        if give_up:
            threading.Thread(target=process.give_up, name=f"login-give-up-{self.login_id[:6]}", daemon=True).start()
        if restart:
            threading.Thread(
                target=self._restart, args=(generation, process), name=f"login-retry-{self.login_id[:6]}", daemon=True
            ).start()

    def _count(self, kind: SecretKind) -> bool:
        """Count a wrong secret (callers hold the lock); ``True`` when no tries are left (the login failed)."""
        self._failures += 1
        self._wrong = self._last_wrong = kind
        if self._failures >= self._max_attempts:
            self._restarting = False
            self._ended = LoginState.FAILED
            return True
        return False

    def _restart(self, generation: int, old: LoginProcess) -> None:
        old.join(_JOIN_TIMEOUT)
        with self._cond:
            if self._ended is not None or generation != self._generation:
                self._restarting = False
                self._bump()
                return
        try:
            new = self._spawn(self._listener(generation + 1))
        except LoginError:
            with self._cond:
                self._restarting = False
                self._ended = LoginState.FAILED
                self._bump()
            return
        initial = new.state  # outside our lock; later changes reach _changed once the swap is done
        with self._cond:
            stopped = self._ended is not None
            if not stopped:
                self._generation = generation + 1
                self.process = new
                self._proc_state = initial
                self._totp_seen = False
                self._counted = False
                self._restarting = False
            self._bump()
        if stopped:
            new.cancel()
        else:
            self._changed(generation + 1, new)  # catch up with what it did before the swap


class LoginManager:
    """Start, find, cancel and expire logins; implements the page's ``PageBackend``.

    ``clock`` (monotonic seconds) decides expiry; ``redact`` filters everything a
    login prints before anyone sees it. ``sweep_interval`` runs a sweeper thread
    that expires logins nobody is looking at (``None``: expire lazily only).
    ``on_final`` and every listener added with ``add_final_listener`` hear every login's end,
    once (``FinalListener``), in the order they were added.
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
        on_final: FinalListener | None = None,
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
        self._final_listeners: tuple[FinalListener, ...] = () if on_final is None else (on_final,)
        self._lock = threading.Lock()
        self._sessions: dict[str, LoginSession] = {}  # insertion order = start order
        self._closed = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._atexit = _weak_close(self)
        atexit.register(self._atexit)

    # -- lifecycle of one login ---------------------------------------------------------------------------

    def start(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        olares_id: str,
        *,
        auth_host: str = "",
        client_name: str = "",
    ) -> LoginSession:
        """Start the login program ``argv`` with exactly ``env`` for ``olares_id``.

        Only ``olares_id``'s own prompts (``password for <id>: ``, ``two-factor code for <id>: ``)
        are recognised. ``auth_host`` is where the password goes and ``client_name`` the MCP host
        application that asked (already cleaned); the page shows both. After a wrong password or
        code the same argv and env are started again (``LoginSession``).

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
            argv, env = list(argv), dict(env)

            def spawn(listener: Listener) -> LoginProcess:
                return spawn_login(
                    argv,
                    env,
                    redact=self._redact,
                    quiet_period=self._quiet_period,
                    echo_grace=self._echo_grace,
                    term_grace=self._term_grace,
                    olares_id=olares_id,
                    on_change=listener,
                )

            login_id = secrets.token_urlsafe(16)
            session = LoginSession(
                login_id,
                olares_id,
                spawn,
                self._clock() + self._ttl,
                auth_host=auth_host,
                client_name=client_name,
                clock=self._clock,
                on_final=self._ended,
            )
            self._sessions[login_id] = session
            self._forget_old_finished()
            self._start_sweeper()
        return session

    def add_final_listener(self, listener: FinalListener) -> None:
        """Have ``listener`` hear every login's end from now on (once per login; see ``FinalListener``)."""
        with self._lock:
            self._final_listeners = (*self._final_listeners, listener)

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
        return self.get(login_id).cancel()

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
            session.expire()
        return [s.login_id for s in due]

    def close(self) -> None:
        """Kill every login program and stop the sweeper. Idempotent; bounded."""
        self._closed.set()
        atexit.unregister(self._atexit)
        with self._lock:
            sessions = list(self._sessions.values())
            sweeper, self._sweeper = self._sweeper, None
        for session in sessions:  # SIGTERM to all first, so their grace periods overlap
            session.cancel(wait=False)
        for session in sessions:
            session.cancel()
        for session in sessions:
            session.join(_JOIN_TIMEOUT)
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
        self.get(login_id).send(kind, value)

    def wait_settled(self, login_id: str, timeout: float) -> LoginView:
        """Wait (bounded) until the login parks at a prompt or ends, then return a snapshot."""
        session = self.get(login_id)
        session.wait_for_prompt(timeout)
        return self.view(login_id)

    # -- internals --------------------------------------------------------------------------------------

    def _ended(self, login_id: str) -> None:
        # a session's final transition, under its lock: tell every listener (a snapshot: no lock needed)
        for listener in self._final_listeners:
            listener(login_id)

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
