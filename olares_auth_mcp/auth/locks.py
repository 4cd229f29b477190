"""Exclusive ``flock(2)`` locks on files under ``<home>/locks`` (compatible with olares-cli's gofrs/flock).

olares-cli polls a non-blocking ``TryLock`` every 100 ms, and so does the
``filelock`` package. A waiter here instead blocks in ``flock(LOCK_EX)`` on a
helper thread, so the kernel wakes it the moment the holder releases; the
caller waits on an event with its timeout. A waiter that gives up leaves its
helper blocked; when that helper finally gets the lock it releases it at once.

The lock file is never unlinked: unlinking a locked file splits waiters across
inodes and breaks mutual exclusion.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from olares_auth_mcp.auth._fs import make_private_dirs

__all__ = ["flock_exclusive", "try_flock_exclusive", "wait_while_locked"]


def _open_lock_file(path: Path) -> int:
    """The lock file's fd; its directory is made (0700) only when the open finds it missing."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except FileNotFoundError:
        make_private_dirs(path.parent)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _try_lock(fd: int, mode: int = fcntl.LOCK_EX) -> bool:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait_for_lock(path: Path, timeout: float, mode: int = fcntl.LOCK_EX, fd: int | None = None) -> int | None:
    """Block on the lock in a helper thread; return its fd, or None after ``timeout`` seconds.

    ``fd``, an open descriptor of ``path`` that holds no lock, is handed to the helper (which then owns it)
    instead of opening the file again.

    Raises:
        OSError: the helper could not open or lock the file (handed back at once, not after the timeout).
    """
    handed_over = threading.Event()
    guard = threading.Lock()
    fd_box: list[int] = []
    error_box: list[OSError] = []
    abandoned = threading.Event()

    def wait(fd: int | None = fd) -> None:
        try:
            if fd is None:
                fd = _open_lock_file(path)
        except OSError as err:
            error_box.append(err)
            handed_over.set()
            return
        try:
            fcntl.flock(fd, mode)
        except OSError as err:
            os.close(fd)
            error_box.append(err)
            handed_over.set()
            return
        with guard:
            if abandoned.is_set():
                os.close(fd)  # closing releases the lock
                return
            fd_box.append(fd)
        handed_over.set()

    threading.Thread(target=wait, name=f"flock-wait:{path.name}", daemon=True).start()
    handed_over.wait(timeout)
    with guard:
        if fd_box:
            return fd_box[0]
        if error_box:
            raise error_box[0]
        abandoned.set()
    return None


@contextmanager
def flock_exclusive(path: Path, timeout: float, on_timeout: Callable[[], Exception]) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` for the ``with`` block.

    Raises:
        Exception: ``on_timeout()`` when the lock is not acquired within ``timeout`` seconds.
    """
    fd = _open_lock_file(path)
    if not _try_lock(fd):
        os.close(fd)
        waited = _wait_for_lock(path, timeout)
        if waited is None:
            raise on_timeout()
        fd = waited
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def try_flock_exclusive(path: Path) -> Iterator[bool]:
    """Try once, without waiting, to hold an exclusive flock on ``path``; yields whether it is held."""
    fd = _open_lock_file(path)
    try:
        held = _try_lock(fd)
        try:
            yield held
        finally:
            if held:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def wait_while_locked(path: Path, timeout: float) -> bool:
    """Wait until nobody holds ``path`` exclusively (a shared lock, taken and dropped); False on timeout.

    Every caller that waits here wakes at the same moment when the exclusive holder releases,
    instead of queueing one by one for the exclusive lock.
    """
    fd = _open_lock_file(path)
    if _try_lock(fd, fcntl.LOCK_SH):
        os.close(fd)
        return True
    waited = _wait_for_lock(path, timeout, fcntl.LOCK_SH, fd)  # the helper owns fd now
    if waited is None:
        return False
    os.close(waited)
    return True
