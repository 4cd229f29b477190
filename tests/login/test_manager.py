"""LoginManager: ids, the concurrency limit, expiry on an injected clock, cancel and close.

The pty driver itself is tested in test_relay.py.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable

import pytest

from olares_auth_mcp.login import (
    LoginManager,
    LoginNotFound,
    LoginState,
    LoginStateError,
    TooManyLogins,
)
from tests.login.conftest import OLARES_ID, FakeClock, fake_argv


def assert_gone(pid: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_start_gives_an_unguessable_id_and_a_view(
    manager: LoginManager, fake_env: Callable[..., dict[str, str]]
) -> None:
    """Each login gets a fresh 128-bit URL-safe id; its view names the Olares ID and the prompt."""
    a = manager.start(fake_argv(), fake_env(), OLARES_ID)
    b = manager.start(fake_argv(), fake_env(), OLARES_ID)
    assert a.login_id != b.login_id
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", a.login_id)
    assert a.wait_for_prompt(10) is LoginState.AWAITING_PASSWORD
    view = manager.view(a.login_id)
    assert (view.login_id, view.olares_id, view.state) == (a.login_id, OLARES_ID, LoginState.AWAITING_PASSWORD)
    assert view.prompt == f"password for {OLARES_ID}: "
    assert manager.get(a.login_id) is a


def test_the_auth_host_travels_with_the_login(manager: LoginManager, fake_env: Callable[..., dict[str, str]]) -> None:
    """start(..., auth_host=) is kept on the session and in every view (the page shows it)."""
    session = manager.start(fake_argv(), fake_env(), OLARES_ID, auth_host="auth.alice.olares.com")
    assert session.auth_host == "auth.alice.olares.com"
    assert manager.view(session.login_id).auth_host == "auth.alice.olares.com"
    assert manager.start(fake_argv(), fake_env(), OLARES_ID).view().auth_host == ""


def test_only_the_logins_own_id_prompts_count(manager: LoginManager, fake_env: Callable[..., dict[str, str]]) -> None:
    """The manager tells the relay the Olares ID: a prompt for another ID is an unknown prompt."""
    session = manager.start(fake_argv(olares_id="mallory@olares.com"), fake_env(), OLARES_ID)
    assert session.wait_for_prompt(10) is LoginState.AWAITING_INPUT


def test_unknown_ids_are_not_found(manager: LoginManager) -> None:
    """get/cancel/view of an id never issued raise LoginNotFound."""
    for call in (manager.get, manager.cancel, manager.view):
        with pytest.raises(LoginNotFound):
            call("no-such-login")


def test_concurrency_limit(clock: FakeClock, fake_env: Callable[..., dict[str, str]]) -> None:
    """A fifth concurrent login is refused with a typed error; ending one frees a slot."""
    with LoginManager(clock=clock, sweep_interval=None, max_sessions=4) as manager:
        sessions = [manager.start(fake_argv("silent"), fake_env(), OLARES_ID) for _ in range(4)]
        with pytest.raises(TooManyLogins, match=r"limit 4"):
            manager.start(fake_argv("silent"), fake_env(), OLARES_ID)
        manager.cancel(sessions[0].login_id)
        manager.start(fake_argv("silent"), fake_env(), OLARES_ID)


def test_concurrency_limit_holds_under_racing_starts(clock: FakeClock, fake_env: Callable[..., dict[str, str]]) -> None:
    """Eight threads starting at once get exactly the four allowed logins."""
    with LoginManager(clock=clock, sweep_interval=None, max_sessions=4) as manager:
        barrier = threading.Barrier(8)
        results: list[str] = []
        lock = threading.Lock()

        def start() -> None:
            barrier.wait(10)
            try:
                manager.start(fake_argv("silent"), fake_env(), OLARES_ID)
                outcome = "ok"
            except TooManyLogins:
                outcome = "refused"
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=start) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert sorted(results) == ["ok"] * 4 + ["refused"] * 4


def test_expiry_on_the_injected_clock(
    manager: LoginManager, clock: FakeClock, fake_env: Callable[..., dict[str, str]]
) -> None:
    """At its deadline a login is killed and reads `expired`; an expired login frees its slot."""
    session = manager.start(fake_argv(), fake_env(), OLARES_ID)
    session.wait_for_prompt(10)
    clock.advance(299)
    assert manager.get(session.login_id).state is LoginState.AWAITING_PASSWORD
    clock.advance(1)
    assert manager.get(session.login_id).state is LoginState.EXPIRED
    assert session.process.exited
    assert_gone(session.process.pid)
    with pytest.raises(LoginStateError):
        session.process.send_password("too late")


def test_sweep_reports_what_it_expired(
    manager: LoginManager, clock: FakeClock, fake_env: Callable[..., dict[str, str]]
) -> None:
    """sweep() expires only logins past their deadline and returns their ids."""
    old = manager.start(fake_argv("silent"), fake_env(), OLARES_ID)
    clock.advance(200)
    young = manager.start(fake_argv("silent"), fake_env(), OLARES_ID)
    clock.advance(100)
    assert manager.sweep() == [old.login_id]
    assert young.state is LoginState.STARTING


def test_sweeper_thread_expires_logins_nobody_looks_at(
    clock: FakeClock, fake_env: Callable[..., dict[str, str]]
) -> None:
    """With a sweep interval, expiry happens without any call into the manager."""
    with LoginManager(clock=clock, sweep_interval=0.02) as manager:
        session = manager.start(fake_argv("silent"), fake_env(), OLARES_ID)
        version = session.process.version
        clock.advance(301)
        assert session.wait_for_change(10, since=version) is LoginState.EXPIRED


def test_cancel_kills_the_process(manager: LoginManager, fake_env: Callable[..., dict[str, str]]) -> None:
    """cancel() ends the login as cancelled and the process is gone; repeating it is harmless."""
    session = manager.start(fake_argv(), fake_env(), OLARES_ID)
    session.wait_for_prompt(10)
    assert manager.cancel(session.login_id) is LoginState.CANCELLED
    assert_gone(session.process.pid)
    assert manager.cancel(session.login_id) is LoginState.CANCELLED


def test_cancel_after_success_keeps_the_outcome(
    manager: LoginManager, fake_env: Callable[..., dict[str, str]], canary: str
) -> None:
    """A login that already ended keeps its final state when cancelled."""
    session = manager.start(fake_argv(), fake_env(), OLARES_ID)
    session.wait_for_prompt(10)
    manager.post_secret(session.login_id, "password", canary)
    assert manager.wait_settled(session.login_id, 10).state is LoginState.SUCCEEDED
    assert manager.cancel(session.login_id) is LoginState.SUCCEEDED


def test_close_kills_every_child(clock: FakeClock, fake_env: Callable[..., dict[str, str]]) -> None:
    """close() kills all running logins (even one ignoring SIGTERM) and refuses new ones."""
    manager = LoginManager(clock=clock, sweep_interval=None, term_grace=0.3)
    sessions = [manager.start(fake_argv(mode), fake_env(), OLARES_ID) for mode in ("silent", "normal", "stubborn")]
    for s in sessions:
        s.wait_for_prompt(0.05)
    manager.close()
    for s in sessions:
        assert s.state is LoginState.CANCELLED
        assert_gone(s.process.pid)
    with pytest.raises(LoginStateError, match="closed"):
        manager.start(fake_argv(), fake_env(), OLARES_ID)
    manager.close()


def test_post_secret_checks_the_kind_against_the_prompt(
    manager: LoginManager, fake_env: Callable[..., dict[str, str]], canary: str
) -> None:
    """A code is refused at the password prompt and a password at the code prompt."""
    session = manager.start(fake_argv("totp"), fake_env(), OLARES_ID)
    session.wait_for_prompt(10)
    with pytest.raises(LoginStateError):
        manager.post_secret(session.login_id, "code", "246810")
    manager.post_secret(session.login_id, "password", canary)
    assert manager.wait_settled(session.login_id, 10).state is LoginState.AWAITING_TOTP
    with pytest.raises(LoginStateError):
        manager.post_secret(session.login_id, "password", canary)


def test_finished_logins_are_forgotten_beyond_keep_finished(fake_env: Callable[..., dict[str, str]]) -> None:
    """Only the newest `keep_finished` ended logins stay queryable."""
    with LoginManager(clock=FakeClock(), sweep_interval=None, keep_finished=1) as manager:
        first = manager.start(fake_argv("die"), fake_env(), OLARES_ID)
        first.wait_for_prompt(10)
        assert first.process.join(10)
        second = manager.start(fake_argv("die"), fake_env(), OLARES_ID)
        second.wait_for_prompt(10)
        assert second.process.join(10)
        manager.start(fake_argv("silent"), fake_env(), OLARES_ID)
        with pytest.raises(LoginNotFound):
            manager.get(first.login_id)
        assert manager.get(second.login_id).state is LoginState.FAILED


def test_manager_rejects_nonsense_limits() -> None:
    """Configuration errors are plain ValueErrors."""
    with pytest.raises(ValueError, match="max_sessions"):
        LoginManager(max_sessions=0)


def test_every_ending_is_heard_once_before_anyone_sees_it(
    clock: FakeClock, fake_env: Callable[..., dict[str, str]], canary: str
) -> None:
    """on_final hears each login's end exactly once, whoever ended it; a reader who sees the final state can rely
    on it having been heard (that is where the page link dies)."""
    heard: list[str] = []
    with LoginManager(clock=clock, sweep_interval=None, term_grace=1.0, on_final=heard.append) as manager:
        succeeded = manager.start(fake_argv(), fake_env(), OLARES_ID)
        cancelled = manager.start(fake_argv(), fake_env(), OLARES_ID)
        for session in (succeeded, cancelled):
            session.wait_for_prompt(10)
        assert heard == []
        manager.post_secret(succeeded.login_id, "password", canary)
        assert manager.wait_settled(succeeded.login_id, 10).state is LoginState.SUCCEEDED
        assert heard == [succeeded.login_id]
        assert manager.cancel(cancelled.login_id) is LoginState.CANCELLED
        assert heard == [succeeded.login_id, cancelled.login_id]
        expired = manager.start(fake_argv("silent"), fake_env(), OLARES_ID)
        clock.advance(301)
        assert manager.get(expired.login_id).state is LoginState.EXPIRED
        assert heard[-1] == expired.login_id
        for session in (succeeded, cancelled, expired):  # ending an ended login again is not a second ending
            manager.cancel(session.login_id)
    assert sorted(heard) == sorted([succeeded.login_id, cancelled.login_id, expired.login_id])
