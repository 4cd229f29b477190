"""A transparent stdio proxy for tests: runs a command and copies every byte it reads and writes to a log.

Usage: python tee.py LOGBASE COMMAND... — writes LOGBASE.in (what the client sent), LOGBASE.out (every
JSON-RPC message the server sent) and LOGBASE.err (everything the server wrote to stderr).
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import threading
from typing import IO


def main() -> int:
    base, command = sys.argv[1], sys.argv[2:]
    logs = {tag: open(f"{base}.{tag}", "ab", buffering=0) for tag in ("in", "out", "err")}  # noqa: SIM115
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def pump(source: io.BufferedReader, sink: IO[bytes], tag: str) -> None:
        while chunk := source.read1(65536):
            logs[tag].write(chunk)
            try:
                sink.write(chunk)
                sink.flush()
            except (BrokenPipeError, ValueError):
                break
        with contextlib.suppress(OSError):
            sink.close()

    threads = [
        threading.Thread(target=pump, args=(sys.stdin.buffer, child.stdin, "in"), daemon=True),
        threading.Thread(target=pump, args=(child.stdout, sys.stdout.buffer, "out"), daemon=True),
        threading.Thread(target=pump, args=(child.stderr, sys.stderr.buffer, "err"), daemon=True),
    ]
    for thread in threads:
        thread.start()
    code = child.wait()
    for thread in threads[1:]:
        thread.join(5)
    return code


if __name__ == "__main__":
    sys.exit(main())
