"""Atomic file writes: temp file in the same directory, 0600, fsync, rename over the target."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["atomic_write", "make_private_dirs"]


def make_private_dirs(path: Path) -> None:
    """Go ``os.MkdirAll(path, 0700)``: every directory it creates is 0700 (pathlib's ``parents`` uses 0777)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)


def atomic_write(path: Path, data: bytes, temp_name: str) -> None:
    """Write ``data`` to ``path`` atomically; the directory is created 0700 when missing.

    A crash at any point leaves either the old file or the new one, never a torn one.
    Raises ``OSError`` from the failing step; the temp file is removed on failure.
    """
    make_private_dirs(path.parent)
    tmp = path.parent / temp_name
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
