"""The audit log: never follows a symlink, writes only to the user's own regular file, cuts values, rotates."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from olares_auth_mcp.auth.audit import MAX_VALUE_CHARS, AuditLog


def record(log: AuditLog, **arguments: object) -> None:
    log.record(tool="profile_use", profile=None, outcome="ok", arguments=arguments, now=0.0)


def test_a_symlink_at_the_log_path_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_text("precious\n")
    link = tmp_path / "audit.jsonl"
    link.symlink_to(target)
    record(AuditLog(link), profile="x")
    assert target.read_text() == "precious\n"


def test_a_fifo_at_the_log_path_neither_blocks_nor_is_written(tmp_path: Path) -> None:
    fifo = tmp_path / "audit.jsonl"
    os.mkfifo(fifo)
    done = threading.Event()

    def write() -> None:
        record(AuditLog(fifo), profile="x")
        done.set()

    worker = threading.Thread(target=write, daemon=True)
    worker.start()
    assert done.wait(10), "writing the audit line blocked on a FIFO"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the file to another user")
def test_a_log_owned_by_someone_else_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text("")
    os.chown(path, 65534, 65534)
    record(AuditLog(path), profile="x")
    assert path.read_text() == ""


def test_long_values_are_cut(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    record(AuditLog(path), profile="z" * 20_000_000, nested={"deep": ["y" * 5000]})
    line = path.read_text()
    assert len(line) < 4 * MAX_VALUE_CHARS + 1000
    arguments = json.loads(line)["arguments"]
    assert arguments["profile"].startswith("z" * MAX_VALUE_CHARS) and "20000000 chars" in arguments["profile"]


def test_the_log_rotates_by_size(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_bytes=2000)
    for index in range(40):
        record(log, profile=f"p{index}")
    rotated = path.with_name("audit.jsonl.1")
    assert rotated.exists() and path.stat().st_size <= 2000 and rotated.stat().st_size <= 2000
    assert '"p39"' in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
