"""Drive an interactive ``profile login`` in a pty and relay a human's secret into it.

The login program (ours or olares-cli) runs under pexpect and parks at its
password prompt; a secret typed elsewhere (the one-time page) is written into
the pty, never into argv, the environment, a log or an exception.

One reader thread per process owns every read of the pty and reaps the child.
It keeps the current, unfinished output line and classifies it with the named
``PROMPTS`` table each time output arrives, so a prompt split across several
writes is still recognised. Only the login program's own prompts count: the whole
line must be ``password for <id>: `` or ``two-factor code for <id>: `` for the
Olares ID this login is for, starting at a real line start (after ``\n``; a bare
``\r`` does not start a line here). The outcomes of a read are named too: ``output``,
``eof`` and ``timeout``. The only timing-based decision is the quiet period: an
unfinished line followed by that much silence is an unknown prompt.

Everything the program prints is untrusted text (it quotes server messages): the
prompt, error and output this module hands out are redacted, stripped of escape
sequences, control, bidi and zero-width characters, and capped (``_text``).

States (``LoginState``)::

    starting ──prompt──▶ awaiting_password ──send──▶ verifying ──prompt──▶ awaiting_totp ──send──▶ verifying
        │  └─quiet at unknown text─▶ awaiting_input ──send──▶ verifying
        └───────────── exit 0 ─▶ succeeded   exit ≠ 0 ─▶ failed   cancel() ─▶ cancelled   expire() ─▶ expired
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import termios
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Final, Literal, cast

import pexpect

from olares_auth_mcp.login._states import (
    AWAITING,
    MAX_PROMPT_LINE,
    PROMPT_STATES,
    PROMPTS,
    SETTLED,
    LoginState,
    check_secret,
    match_prompt,
    wrong_secret_kind,
)
from olares_auth_mcp.login._text import untrusted_text
from olares_auth_mcp.login.errors import EchoNotDisabled, InvalidCode, LoginSpawnError, LoginStateError

__all__ = ["PROMPTS", "LoginProcess", "LoginState", "match_prompt", "spawn_login"]

Redactor = Callable[[str], str]
Listener = Callable[["LoginProcess"], None]
"""Called (on the thread that made it, holding the process's lock) after every state change and once
the process has exited; it may read the process's properties but must not wait on or stop it."""

_READ_SIZE: Final = 4096
_MAX_OUTPUT: Final = 256 * 1024  # characters of output kept; older text is dropped
_IDLE_TICK: Final = 1.0  # how often an idle reader re-checks that the child is alive
_ECHO_POLL: Final = 0.01  # termios changes raise no event, so the echo check polls (bounded)
_CODE: Final = re.compile(r"[0-9]{6,8}")  # [0-9], not \d: ASCII digits only
_ERROR_LINE: Final = re.compile(r"^Error: (.*)$", re.MULTILINE)
MAX_PROMPT_TEXT: Final = 300  # characters of an (unknown) prompt handed out
MAX_ERROR_TEXT: Final = 300  # characters of a failure reason handed out
MAX_OUTPUT_TEXT: Final = 4000  # characters of output handed out (the end of it)
_MAX_ERROR_KEPT: Final = 4 * 1024  # characters of the program's error line kept at all


def _identity(text: str) -> str:
    return text


class LoginProcess:
    """One login program running in a pty, read by its own thread. Build it with ``spawn_login``."""

    def __init__(
        self,
        child: pexpect.spawn[str],
        *,
        redact: Redactor,
        quiet_period: float,
        echo_grace: float,
        term_grace: float,
        olares_id: str | None = None,
        on_change: Listener | None = None,
    ) -> None:
        self._child = child
        self._on_change = on_change
        self._olares_id = olares_id
        self._pid: int = child.pid if child.pid is not None else -1
        self._pidfd: int | None = None
        with contextlib.suppress(OSError, AttributeError):  # pidfds need Linux 5.3
            self._pidfd = os.pidfd_open(self._pid)
        self._redact = redact
        self._quiet = quiet_period
        self._echo_grace = echo_grace
        self._term_grace = term_grace
        self._cond = threading.Condition()
        self._state = LoginState.STARTING
        self._idle = LoginState.STARTING  # what an unmatched line falls back to
        self._version = 0
        self._prompt = ""
        self._line = ""
        self._raw = ""
        self._error: str | None = None
        self._failure_kind: Literal["password", "code"] | None = None
        self._exit_code: int | None = None
        self._exited = False
        self._reader = threading.Thread(target=self._read_loop, name=f"login-reader-{self._pid}", daemon=True)

    def _start(self) -> None:
        self._reader.start()

    # -- read-only views --------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def state(self) -> LoginState:
        with self._cond:
            return self._state

    @property
    def version(self) -> int:
        """Increases on every state change; pass it to ``wait_for_change(since=…)``."""
        with self._cond:
            return self._version

    @property
    def olares_id(self) -> str | None:
        """The Olares ID whose prompts this relay recognises (``None``: any ID)."""
        return self._olares_id

    @property
    def prompt(self) -> str:
        """The prompt the process is parked at (redacted and cleaned), or ``""`` when it is not parked.

        This is the program's text; at an unknown prompt it is nothing to act on.
        """
        with self._cond:
            prompt = self._prompt
        return self._shown(prompt, MAX_PROMPT_TEXT)

    @property
    def output(self) -> str:
        """The end of what the process printed (stdout and stderr share the pty), redacted and cleaned."""
        with self._cond:
            raw = self._raw
        return self._shown(raw, MAX_OUTPUT_TEXT, multiline=True, keep="tail")

    @property
    def error(self) -> str | None:
        """Why the login failed (the last ``Error: <message>`` line's message): the program's text,
        redacted, cleaned and capped. Never a fix to follow."""
        with self._cond:
            error = self._error
        return None if error is None else self._shown(error, MAX_ERROR_TEXT)

    @property
    def failure_kind(self) -> Literal["password", "code"] | None:
        """``"password"`` or ``"code"`` when the program exited 1 saying that secret was wrong (its first
        ``Error:`` line starts with one of ``WRONG_SECRET_PREFIXES``); ``None`` for every other ending."""
        with self._cond:
            return self._failure_kind

    @property
    def exit_code(self) -> int | None:
        """The exit status once the process has exited (``None`` while running or if killed by a signal)."""
        with self._cond:
            return self._exit_code

    @property
    def exited(self) -> bool:
        with self._cond:
            return self._exited

    def snapshot(self) -> tuple[LoginState, str, str | None, int]:
        """``(state, prompt, error, version)`` read together (prompt and error redacted, cleaned and capped)."""
        with self._cond:
            state, prompt, error, version = self._state, self._prompt, self._error, self._version
        shown_error = None if error is None else self._shown(error, MAX_ERROR_TEXT)
        return state, self._shown(prompt, MAX_PROMPT_TEXT), shown_error, version

    def _shown(self, text: str, limit: int, *, multiline: bool = False, keep: str = "head") -> str:
        # redact, clean, redact again (an escape sequence inside a token must not hide it), cap
        once = untrusted_text(self._redact(text), limit * 4, multiline=multiline, keep=keep)
        return untrusted_text(self._redact(once), limit, multiline=multiline, keep=keep)

    # -- waiting ---------------------------------------------------------------------------------------

    def wait_for(self, states: Collection[LoginState], timeout: float) -> LoginState:
        """Wait (at most ``timeout`` seconds) until the state is one of ``states``; return the state."""
        with self._cond:
            self._cond.wait_for(lambda: self._state in states, timeout)
            return self._state

    def wait_for_prompt(self, timeout: float) -> LoginState:
        """Wait until the process parks at a prompt or ends; still ``starting``/``verifying`` on timeout."""
        return self.wait_for(SETTLED, timeout)

    def wait_for_change(self, timeout: float, *, since: int | None = None) -> LoginState:
        """Wait until the state changes after version ``since`` (default: now); return the state."""
        with self._cond:
            base = self._version if since is None else since
            self._cond.wait_for(lambda: self._version != base, timeout)
            return self._state

    def join(self, timeout: float) -> bool:
        """Wait for the reader thread to end (after the process exited); ``True`` if it did."""
        self._reader.join(timeout)
        return not self._reader.is_alive()

    # -- sending ----------------------------------------------------------------------------------------

    def send_secret(self, text: str) -> None:
        """Type ``text`` and Enter at the current prompt (password, two-factor code or unknown).

        At a password or unknown prompt, terminal echo must be off (the program turns it off
        right after printing its prompt, so this waits up to ``echo_grace`` for that). At a
        two-factor prompt, which olares-cli echoes, echo is turned off first so the code
        stays out of the output.

        Raises:
            LoginStateError: the process is not parked at a prompt.
            InvalidSecret: empty, too long, or contains control characters.
            EchoNotDisabled: echo stayed on; nothing was sent and the login is ended as failed.
        """
        self._send(text, AWAITING, "send a secret")

    def send_password(self, text: str) -> None:
        """Like ``send_secret``, but only at a password prompt."""
        self._send(text, {LoginState.AWAITING_PASSWORD}, "send a password")

    def send_totp(self, code: str) -> None:
        """Send a two-factor code (6 to 8 ASCII digits), only at the two-factor prompt.

        Raises:
            InvalidCode: the code is not 6 to 8 ASCII digits.
            LoginStateError: the process is not at the two-factor prompt.
        """
        if not _CODE.fullmatch(code):
            raise InvalidCode
        self._send(code, {LoginState.AWAITING_TOTP}, "send a two-factor code")

    def _send(self, text: str, allowed: Collection[LoginState], action: str) -> None:
        check_secret(text)
        with self._cond:
            if self._state not in allowed:
                raise LoginStateError(self._state, action)
            forced = self._state is LoginState.AWAITING_TOTP
            if forced:
                self._child.setecho(False)  # olares-cli echoes the code; keep it out of the output
                echo_off = True
            else:
                echo_off = self._wait_echo_off(allowed, action)
            if echo_off:
                data = (text + "\r").encode("utf-8")
                try:
                    while data:  # holding the lock keeps the reader from closing the fd under us
                        data = data[os.write(self._child.child_fd, data) :]
                except OSError as exc:  # the pty is gone; its message carries no input
                    raise LoginStateError(self._state, action) from exc
                if forced:  # the Enter the terminal would have echoed, so the next line starts fresh
                    self._raw += "\r\n"
                self._idle = LoginState.VERIFYING
                self._line = ""
                self._set_state(LoginState.VERIFYING, prompt="")
                return
            self._error = str(EchoNotDisabled())
            self._set_state(LoginState.FAILED, prompt="")
        self._terminate()
        raise EchoNotDisabled

    def _wait_echo_off(self, allowed: Collection[LoginState], action: str) -> bool:
        # callers hold self._cond; waiting on it lets the reader go on while we poll termios
        deadline = time.monotonic() + self._echo_grace
        while self._echo_on():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._cond.wait(min(remaining, _ECHO_POLL))
            if self._state not in allowed:
                raise LoginStateError(self._state, action)
        return True

    def _echo_on(self) -> bool:
        try:
            return self._child.getecho()
        except (OSError, termios.error):
            return True  # unknown counts as on: never risk echoing a secret

    # -- stopping ---------------------------------------------------------------------------------------

    def cancel(self, *, wait: bool = True) -> LoginState:
        """Stop the process (SIGTERM, then SIGKILL; bounded) and mark the login cancelled.

        A login that has already ended keeps its final state. With ``wait=False`` only
        SIGTERM is sent (call again to finish the job). Returns the state.
        """
        return self._stop(LoginState.CANCELLED, wait=wait)

    def expire(self) -> LoginState:
        """Like ``cancel``, but marks the login expired."""
        return self._stop(LoginState.EXPIRED, wait=True)

    def give_up(self) -> LoginState:
        """Like ``cancel``, but marks the login failed (no tries left)."""
        return self._stop(LoginState.FAILED, wait=True)

    def _stop(self, final: LoginState, *, wait: bool) -> LoginState:
        with self._cond:
            if not self._state.is_final:
                self._set_state(final, prompt="")
        if wait:
            self._terminate()
        else:
            self._signal(signal.SIGTERM)
        return self.state

    def _terminate(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with self._cond:
                if self._exited:
                    return
            self._signal(sig)
            with self._cond:
                if self._cond.wait_for(lambda: self._exited, self._term_grace):
                    return

    def _signal(self, sig: int) -> None:
        # under the lock, so the pidfd cannot be closed (and its number reused) while in use
        with self._cond, contextlib.suppress(ProcessLookupError):
            if self._exited:
                return
            if self._pidfd is not None:
                # a pidfd cannot hit a recycled pid, even once the reader has reaped the child
                signal.pidfd_send_signal(self._pidfd, sig)
            else:
                os.kill(self._pid, sig)

    # -- the reader thread ------------------------------------------------------------------------------

    def _set_state(self, state: LoginState, *, prompt: str) -> None:
        # callers hold self._cond
        if state is self._state and prompt == self._prompt:
            return
        self._state = state
        self._prompt = prompt
        self._version += 1
        self._cond.notify_all()
        if self._on_change is not None:
            self._on_change(self)

    def _read_loop(self) -> None:
        crash: str | None = None
        try:
            while True:
                outcome, chunk = self._read_once()
                if outcome == "eof":
                    break
                if outcome == "output":
                    self._on_output(chunk)
                else:
                    self._on_quiet()
        except Exception as exc:  # a reader bug must not leave the child running or waiters hanging
            crash = type(exc).__name__
            self._signal(signal.SIGKILL)
        self._finish(crash)

    def _read_once(self) -> tuple[str, str]:
        with self._cond:
            pending = bool(self._line.strip()) and not self._state.is_awaiting
        timeout = self._quiet if pending else max(self._quiet, _IDLE_TICK)
        try:
            return "output", self._child.read_nonblocking(_READ_SIZE, timeout=timeout)
        except pexpect.TIMEOUT:
            return "timeout", ""
        except pexpect.EOF:
            return "eof", ""

    def _on_output(self, chunk: str) -> None:
        with self._cond:
            self._raw = (self._raw + chunk)[-_MAX_OUTPUT:]
            # a line starts after "\n" only (the pty sends "\r\n"); text after a bare "\r" stays
            # part of its line, so it cannot pose as a prompt at the start of one
            line = (self._line + chunk).rsplit("\n", 1)[-1]
            self._line = line[: MAX_PROMPT_LINE + 1]  # a longer line is no prompt; keep only its start
            if self._state.is_final:
                return
            name = match_prompt(self._line, self._olares_id)
            if name is not None:
                self._set_state(PROMPT_STATES[name], prompt=self._line)
            elif self._state.is_awaiting:
                self._set_state(self._idle, prompt="")  # the prompt was overwritten by more output

    def _on_quiet(self) -> None:
        # no output for the quiet period: an unfinished line is a prompt we do not know
        with self._cond:
            if self._line.strip() and self._state in (LoginState.STARTING, LoginState.VERIFYING):
                self._set_state(LoginState.AWAITING_INPUT, prompt=self._line)

    def _finish(self, crash: str | None) -> None:
        child = self._child
        with contextlib.suppress(pexpect.ExceptionPexpect, OSError):
            child.wait()  # pexpect reaps on EOF already; this covers the crash path
        cast(Any, child).ptyproc.delayafterclose = 0.0
        with self._cond:
            self._exit_code = child.exitstatus
            if not self._state.is_final:
                self._error = self._failure_reason(child.exitstatus, child.signalstatus, crash)
                if child.exitstatus == 1 and crash is None:
                    self._failure_kind = self._wrong_secret()
                ok = child.exitstatus == 0 and crash is None
                self._set_state(LoginState.SUCCEEDED if ok else LoginState.FAILED, prompt="")
            with contextlib.suppress(pexpect.ExceptionPexpect, OSError):
                child.close(force=True)  # under the lock: a sender never writes to a closed fd
            self._exited = True
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
            self._cond.notify_all()
            if self._on_change is not None:
                self._on_change(self)

    def _wrong_secret(self) -> Literal["password", "code"] | None:
        # the program's own first "Error:" line (at a line start): anything a server wrote comes after
        # its fixed beginning, so no server text can pose as an earlier line
        first = _ERROR_LINE.search(self._raw.replace("\r\n", "\n"))
        return None if first is None else wrong_secret_kind(first.group(1))

    def _failure_reason(self, status: int | None, sig: int | None, crash: str | None) -> str | None:
        if crash is not None:
            return f"the login relay failed unexpectedly ({crash})"
        if status == 0:
            return None
        errors = _ERROR_LINE.findall(self._raw.replace("\r\n", "\n"))
        if errors:
            return str(errors[-1])[:_MAX_ERROR_KEPT].strip()
        if sig is not None:
            return f"the login program was killed by signal {sig}"
        return f"the login program exited with status {status}"


def spawn_login(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    redact: Redactor = _identity,
    quiet_period: float = 0.5,
    echo_grace: float = 1.0,
    term_grace: float = 2.0,
    cwd: str | None = None,
    dimensions: tuple[int, int] = (24, 120),
    olares_id: str | None = None,
    on_change: Listener | None = None,
) -> LoginProcess:
    """Start ``argv`` in a fresh pty with exactly ``env`` and begin reading it.

    With ``olares_id``, only that ID's exact prompts are recognised (``match_prompt``);
    any other unfinished line that is followed by silence is an unknown prompt. ``on_change``
    hears every state change (see ``Listener``).

    The pty starts with echo on, as a terminal does, so a program that does not turn
    echo off at its password prompt is caught by the check in ``send_secret``.

    Raises:
        LoginSpawnError: the program cannot be found or started.
    """
    if not argv:
        raise ValueError("argv must name the login program")
    if quiet_period <= 0 or echo_grace < 0 or term_grace <= 0:
        raise ValueError("quiet_period and term_grace must be positive, echo_grace non-negative")
    try:
        child: pexpect.spawn[str] = pexpect.spawn(
            argv[0],
            list(argv[1:]),
            timeout=None,
            env=dict(env),
            cwd=cwd,
            echo=True,
            encoding="utf-8",
            codec_errors="replace",
            dimensions=dimensions,
        )
    except (pexpect.ExceptionPexpect, OSError) as exc:
        raise LoginSpawnError(argv[0], type(exc).__name__ if isinstance(exc, OSError) else str(exc)) from exc
    process = LoginProcess(
        child,
        redact=redact,
        quiet_period=quiet_period,
        echo_grace=echo_grace,
        term_grace=term_grace,
        olares_id=olares_id,
        on_change=on_change,
    )
    process._start()
    return process
