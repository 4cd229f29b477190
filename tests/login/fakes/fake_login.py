"""A stand-in for `olares-cli profile login`, with one scripted behaviour per ``--mode``.

It prints olares-cli's prompts byte for byte (beclab/Olares `cli/cmd/ctl/profile/login.go`):
``password for <id>: `` (printed first, then echo is turned off, as Go's
``term.ReadPassword`` does) and ``two-factor code for <id>: `` (echo left on).
The expected secrets come from FAKE_PASSWORD (or FAKE_EXPECTED_INPUT, which a server
passes on when OLARES_AUTH_MCP_LOGIN_ENV names it) and FAKE_TOTP. FAKE_FAIL_MESSAGE
replaces the message of a rejected password or code (a server's words, as olares-cli
quotes them in its ``Error:`` line); FAKE_CODE_FAIL_MESSAGE, when set, that of a rejected code. When
FAKE_TIMING_FILE is set, "<event> <CLOCK_MONOTONIC seconds>" lines are appended
to it just before the password prompt is written and just after the password
is read (used by measure_latency.py).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import termios
import time


def _mark(event: str) -> None:
    path = os.environ.get("FAKE_TIMING_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{event} {time.monotonic()}\n")


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _read_line() -> str:
    line = sys.stdin.readline()
    if not line:
        _fail("read password: EOF")
    return line.rstrip("\r\n")


def _read_hidden(prompt_parts: list[str], pause: float = 0.0) -> str:
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    hidden = termios.tcgetattr(fd)
    hidden[3] &= ~termios.ECHO
    _mark("prompt")
    for i, part in enumerate(prompt_parts):
        if i and pause:
            time.sleep(pause)
        _write(part)
    termios.tcsetattr(fd, termios.TCSANOW, hidden)
    try:
        secret = _read_line()
        _mark("read")
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, old)
    _write("\n")
    return secret


def _fail(message: str) -> None:
    sys.stderr.write(f"Error: {message}\n")
    sys.stderr.flush()
    sys.exit(1)


def _check_password(secret: str) -> None:
    if secret == "":
        _fail("password is empty")
    if secret != os.environ.get("FAKE_PASSWORD", os.environ.get("FAKE_EXPECTED_INPUT")):
        _fail(os.environ.get("FAKE_FAIL_MESSAGE", "login failed: invalid credentials"))


def _succeed(olares_id: str) -> None:
    _write(f"logged in as {olares_id} (profile: {olares_id})\n")
    sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--olares-id", required=True)
    parser.add_argument("--mode", default="normal")
    args = parser.parse_args()
    olares_id: str = args.olares_id
    prompt = f"password for {olares_id}: "
    mode: str = args.mode

    if mode == "die":
        _fail("parse /home/alice/.olares-cli/config.json: unexpected end of JSON input")
    if mode == "silent":
        signal.pause()
    if mode == "stubborn":  # ignores SIGTERM: cancel() has to escalate to SIGKILL
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _write("ready> ")  # an unknown prompt, printed only once SIGTERM is ignored
        signal.pause()
    if mode == "slow":
        time.sleep(float(os.environ["FAKE_DELAY"]))
    if mode == "echo-on":
        _write(prompt)
        _check_password(_read_line())
        _succeed(olares_id)
    if mode == "unknown":
        _check_password(_read_hidden(["Enter the magic word: "]))
        _succeed(olares_id)
    if mode == "split":
        parts = ["pass", "word for ", olares_id, ":", " "]
        _check_password(_read_hidden(parts, pause=float(os.environ.get("FAKE_SPLIT_PAUSE", "0.02"))))
        _succeed(olares_id)

    _check_password(_read_hidden([prompt]))
    if mode == "totp-retry":  # like our own CLI: a wrong code is asked for again (3 codes in all)
        for left in (2, 1, 0):
            _write(f"two-factor code for {olares_id}: ")
            if _read_line().strip() == os.environ.get("FAKE_TOTP"):
                _succeed(olares_id)
            if left:
                sys.stderr.write(f"That code didn't work. {left} {'try' if left == 1 else 'tries'} left.\n")
                sys.stderr.flush()
        _fail('/api/secondfactor/totp returned HTTP 401: server said: "{}"')
    if mode == "totp":
        _write(f"two-factor code for {olares_id}: ")
        code = _read_line().strip()
        if code == "":
            _fail("TOTP code is empty")
        if code != os.environ.get("FAKE_TOTP"):
            default = os.environ.get("FAKE_FAIL_MESSAGE", "second-factor authentication failed: invalid code")
            _fail(os.environ.get("FAKE_CODE_FAIL_MESSAGE", default))
    _succeed(olares_id)


if __name__ == "__main__":
    main()
