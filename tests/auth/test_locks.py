"""The flock helpers: a waiter hands its open descriptor to the helper thread, and no path leaks one."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from olares_auth_mcp.auth.locks import flock_exclusive, try_flock_exclusive, wait_while_locked


def _fds_on(path: Path) -> int:
    """How many descriptors of this process are open on ``path``."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                count += 1
        except OSError:  # the listing's own descriptor, or one closed meanwhile
            continue
    return count


def _eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """``check()`` turns true within ``timeout`` (polled: the helper thread closes its fd on its own)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_a_free_lock_is_waited_for_without_a_descriptor_left_open(tmp_path: Path) -> None:
    lock = tmp_path / "locks" / "x.refresh.lock"  # the directory is made on first use
    assert wait_while_locked(lock, 1)
    assert lock.parent.is_dir() and _fds_on(lock) == 0


def test_a_waiter_wakes_on_release_and_its_helper_closes_the_handed_descriptor(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    held, release = threading.Event(), threading.Event()
    result: list[bool] = []

    def holder() -> None:
        with flock_exclusive(lock, 5, lambda: AssertionError("holder")):
            held.set()
            release.wait(5)

    owner = threading.Thread(target=holder)
    owner.start()
    assert held.wait(5)
    waiter = threading.Thread(target=lambda: result.append(wait_while_locked(lock, 5)))
    waiter.start()
    assert _eventually(lambda: any(t.name.startswith("flock-wait:") for t in threading.enumerate()))
    release.set()
    waiter.join(5)
    owner.join(5)
    assert result == [True]
    assert _eventually(lambda: _fds_on(lock) == 0)


def test_a_waiter_that_gives_up_leaves_no_descriptor_once_the_holder_releases(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    with try_flock_exclusive(lock) as held:
        assert held
        assert wait_while_locked(lock, 0.05) is False  # timed out: its helper is still blocked in flock()
        assert _fds_on(lock) == 2  # ours, and the one the abandoned helper holds
    # released: the helper gets its shared lock, sees it was abandoned, and closes the descriptor it was given
    assert _eventually(lambda: _fds_on(lock) == 0)
    with try_flock_exclusive(lock) as again:
        assert again  # and it kept no lock either
