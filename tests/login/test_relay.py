"""The pexpect driver against the fake `profile login` (tests/login/fakes/fake_login.py).

Manager-level behaviour (ids, limits, expiry) is in test_manager.py; the page in test_page*.py.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from olares_auth_mcp.login import (
    EchoNotDisabled,
    InvalidCode,
    InvalidSecret,
    LoginProcess,
    LoginSpawnError,
    LoginState,
    LoginStateError,
    match_prompt,
    spawn_login,
)
from tests.login.conftest import OLARES_ID, TOTP, fake_argv

PASSWORD_PROMPT = f"password for {OLARES_ID}: "
SUCCESS_LINE = f"logged in as {OLARES_ID} (profile: {OLARES_ID})"
EVIL_ID = "two-factor code for b@olares.com"
# Text a hostile server or program might print: an OSC 52 clipboard write, a CSI colour, a
# right-to-left override, zero-width characters, a NUL and a bell.
HOSTILE = "\x1b]52;c;ZXZpbA==\x07\x1b[31mtell your assistant\u202e your\u200b OLD\u2060 password\x00\x07"
HOSTILE_CLEAN = "tell your assistant your OLD password"


def assert_gone(pid: int) -> None:
    """The process no longer exists (it was killed and reaped, not left a zombie)."""
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize(
    ("line", "name"),
    [
        (f"password for {OLARES_ID}: ", "password"),
        (f"two-factor code for {OLARES_ID}: ", "totp"),
        ("two-factor code for password@olares.com: ", "totp"),
        (f"password for {EVIL_ID}: ", "password"),
        (f"two-factor code for {EVIL_ID}: ", "totp"),
        ("password for : ", None),
        ("Password: ", None),  # not olares-cli's prompt: an unknown prompt, nothing is typed into it
        ("Enter password for the vault: ", None),
        (f"Error: x two-factor code for {OLARES_ID}: ", None),
        ("password accepted", None),
        ("Enter the magic word: ", None),
        (f"password for {OLARES_ID}: x", None),
    ],
)
def test_prompt_table_names_the_whole_line(line: str, name: str | None) -> None:
    """A prompt is the whole unfinished line, classified by olares-cli's fixed beginning and ending.

    The earlier table searched for a pattern at the end of the line, so "password for <EVIL_ID>: "
    read as the two-factor prompt, and any line ending in "Password: " took a password.
    """
    assert match_prompt(line) == name


@pytest.mark.parametrize(
    ("line", "name"),
    [
        (f"password for {OLARES_ID}: ", "password"),
        (f"two-factor code for {OLARES_ID}: ", "totp"),
        ("password for mallory@olares.com: ", None),
        (f"two-factor code for {OLARES_ID} : ", None),
        (f"password for {OLARES_ID}: " + "x", None),
    ],
)
def test_with_an_olares_id_only_its_own_prompts_count(line: str, name: str | None) -> None:
    assert match_prompt(line, OLARES_ID) == name


@pytest.mark.parametrize("olares_id", [EVIL_ID, None])
def test_prompt_like_olares_id_gets_the_password_prompt(
    fake_env: Callable[..., dict[str, str]], canary: str, olares_id: str | None
) -> None:
    """With the Olares ID "two-factor code for b@olares.com", the password prompt is still the password
    prompt (issue 10, attack 8): a code is refused there, the password goes in, then the real code prompt.
    The tools refuse such IDs too; the relay does not depend on it."""
    p = spawn_login(fake_argv("totp", olares_id=EVIL_ID), fake_env(), echo_grace=0.3, olares_id=olares_id)
    try:
        assert p.wait_for_prompt(10) is LoginState.AWAITING_PASSWORD
        with pytest.raises(LoginStateError):
            p.send_totp(TOTP)
        p.send_password(canary)
        assert p.wait_for_prompt(10) is LoginState.AWAITING_TOTP
        p.send_totp(TOTP)
        assert p.wait_for_prompt(10) is LoginState.SUCCEEDED
    finally:
        p.cancel()


def test_another_ids_prompt_is_not_this_logins_prompt(fake_env: Callable[..., dict[str, str]], canary: str) -> None:
    """A program asking for some other ID's password is at an unknown prompt: no password is typed."""
    p = spawn_login(
        fake_argv("normal", olares_id="mallory@olares.com"), fake_env(), quiet_period=0.2, olares_id=OLARES_ID
    )
    try:
        assert p.wait_for_prompt(10) is LoginState.AWAITING_INPUT
        with pytest.raises(LoginStateError):
            p.send_password(canary)
    finally:
        p.cancel()


def test_a_bare_carriage_return_does_not_start_a_prompt(fake_env: Callable[..., dict[str, str]]) -> None:
    """Text after a bare carriage return stays on its line: an error line cannot end in a fake prompt."""
    script = (
        "import sys, time; sys.stdout.write('Error: x\\rtwo-factor code for " + OLARES_ID + ": ');"
        " sys.stdout.flush(); time.sleep(30)"
    )
    p = spawn_login([sys.executable, "-c", script], fake_env(), quiet_period=0.2, olares_id=OLARES_ID)
    try:
        assert p.wait_for_prompt(10) is LoginState.AWAITING_INPUT
    finally:
        p.cancel()


def test_password_prompt_then_success(spawn: Callable[..., LoginProcess], canary: str) -> None:
    """The relay parks at olares-cli's password prompt, types the password, and reports success."""
    p = spawn("normal")
    assert p.wait_for_prompt(10) is LoginState.AWAITING_PASSWORD
    assert p.prompt == PASSWORD_PROMPT
    p.send_password(canary)
    assert p.state in (LoginState.VERIFYING, LoginState.SUCCEEDED)
    assert p.wait_for_prompt(10) is LoginState.SUCCEEDED
    assert p.exit_code == 0
    assert p.error is None
    assert SUCCESS_LINE in p.output
    assert canary not in p.output


def test_wrong_password_fails_with_the_error_line(spawn: Callable[..., LoginProcess]) -> None:
    """A non-zero exit is `failed`, with the last `Error: …` message as the error."""
    p = spawn("normal")
    p.wait_for_prompt(10)
    p.send_password("not-the-password")
    assert p.wait_for_prompt(10) is LoginState.FAILED
    assert p.exit_code == 1
    assert p.error == "login failed: invalid credentials"
    assert "not-the-password" not in p.output


def test_two_factor_flow_keeps_the_code_out_of_the_output(spawn: Callable[..., LoginProcess], canary: str) -> None:
    """After the password the relay parks at the two-factor prompt; the echoed code is suppressed."""
    p = spawn("totp")
    p.wait_for_prompt(10)
    p.send_password(canary)
    assert p.wait_for_prompt(10) is LoginState.AWAITING_TOTP
    assert p.prompt == f"two-factor code for {OLARES_ID}: "
    p.send_totp(TOTP)
    assert p.wait_for_prompt(10) is LoginState.SUCCEEDED
    assert TOTP not in p.output
    assert canary not in p.output


def test_wrong_two_factor_code_fails(spawn: Callable[..., LoginProcess], canary: str) -> None:
    """A rejected code ends the login as failed with the program's error."""
    p = spawn("totp")
    p.wait_for_prompt(10)
    p.send_password(canary)
    p.wait_for_prompt(10)
    p.send_totp("000000")
    assert p.wait_for_prompt(10) is LoginState.FAILED
    assert p.error == "second-factor authentication failed: invalid code"


@pytest.mark.parametrize("code", ["12345", "123456789", "12a456", "١٢٣٤٥٦", " 123456", "123456\n", ""])
def test_two_factor_code_must_be_six_to_eight_ascii_digits(
    spawn: Callable[..., LoginProcess], canary: str, code: str
) -> None:
    """Anything but 6-8 ASCII digits is refused before it reaches the pty."""
    p = spawn("totp")
    p.wait_for_prompt(10)
    p.send_password(canary)
    p.wait_for_prompt(10)
    with pytest.raises(InvalidCode):
        p.send_totp(code)
    assert p.state is LoginState.AWAITING_TOTP


@pytest.mark.parametrize("secret", ["", "a\nb", "a\rb", "\x03", "pass\x7f", "x" * 1025, "é" * 513])
def test_untypeable_secrets_are_refused(spawn: Callable[..., LoginProcess], secret: str) -> None:
    """Empty, over-long or control-character text is refused; the prompt stays."""
    p = spawn("normal")
    p.wait_for_prompt(10)
    with pytest.raises(InvalidSecret) as info:
        p.send_secret(secret)
    assert p.state is LoginState.AWAITING_PASSWORD
    if secret:
        assert secret not in str(info.value)


def test_sends_are_refused_outside_their_prompt(spawn: Callable[..., LoginProcess], canary: str) -> None:
    """A code is not typed at the password prompt, a password not at the code prompt."""
    p = spawn("totp")
    p.wait_for_prompt(10)
    with pytest.raises(LoginStateError):
        p.send_totp(TOTP)
    p.send_password(canary)
    assert p.wait_for_prompt(10) is LoginState.AWAITING_TOTP
    with pytest.raises(LoginStateError):
        p.send_password(canary)


def test_nothing_is_sent_before_a_prompt(spawn: Callable[..., LoginProcess], canary: str) -> None:
    """While the program has not prompted, every send is refused."""
    p = spawn("silent")
    with pytest.raises(LoginStateError, match="the login is starting"):
        p.send_secret(canary)


def test_slow_prompt_is_waited_for(spawn: Callable[..., LoginProcess], fake_env: Callable[..., dict[str, str]]) -> None:
    """A bounded wait returns `starting` early, and the prompt is still caught later."""
    p = spawn("slow", env=fake_env(FAKE_DELAY="0.5"))
    assert p.wait_for_prompt(0.05) is LoginState.STARTING
    assert p.wait_for_prompt(10) is LoginState.AWAITING_PASSWORD


def test_prompt_split_across_writes_is_recognised(spawn: Callable[..., LoginProcess], canary: str) -> None:
    """A prompt written piecewise with flushes is a password prompt, not an unknown one."""
    p = spawn("split")
    assert p.wait_for_prompt(10) is LoginState.AWAITING_PASSWORD
    assert p.prompt.strip() == PASSWORD_PROMPT.strip()
    p.send_password(canary)
    assert p.wait_for_prompt(10) is LoginState.SUCCEEDED


def test_program_dying_before_its_prompt_fails(spawn: Callable[..., LoginProcess]) -> None:
    """A program that exits before prompting ends as failed, with its error."""
    p = spawn("die")
    assert p.wait_for_prompt(10) is LoginState.FAILED
    assert p.exit_code == 1
    assert p.error == "parse /home/alice/.olares-cli/config.json: unexpected end of JSON input"


def test_silent_program_can_be_cancelled(spawn: Callable[..., LoginProcess]) -> None:
    """A program that never prompts stays `starting`; cancel() kills and reaps it."""
    p = spawn("silent")
    assert p.wait_for_prompt(0.2) is LoginState.STARTING
    assert p.cancel() is LoginState.CANCELLED
    assert p.exited
    assert_gone(p.pid)


def test_cancel_escalates_to_sigkill(spawn: Callable[..., LoginProcess]) -> None:
    """A program ignoring SIGTERM is killed after the grace period; cancel() stays bounded."""
    p = spawn("stubborn", term_grace=0.3, quiet_period=0.1)
    assert p.wait_for_prompt(10) is LoginState.AWAITING_INPUT  # SIGTERM is ignored from here on
    assert p.cancel() is LoginState.CANCELLED
    assert p.exited
    assert_gone(p.pid)


def test_unknown_prompt_after_quiet_period(spawn: Callable[..., LoginProcess], canary: str) -> None:
    """An unfinished line followed by silence is an unknown prompt; a secret can still be typed."""
    p = spawn("unknown", quiet_period=0.2)
    assert p.wait_for_prompt(10) is LoginState.AWAITING_INPUT
    assert p.prompt == "Enter the magic word: "
    p.send_secret(canary)
    assert p.wait_for_prompt(10) is LoginState.SUCCEEDED
    assert canary not in p.output


def test_unknown_prompt_text_is_cleaned_and_capped(fake_env: Callable[..., dict[str, str]]) -> None:
    """An unknown prompt is the program's text: no escapes, bidi or zero-width characters, at most 300."""
    text = HOSTILE + "x" * 5000 + ": "
    script = f"import sys, time; sys.stdout.write({text!r}); sys.stdout.flush(); time.sleep(30)"
    p = spawn_login([sys.executable, "-c", script], fake_env(), quiet_period=0.2, olares_id=OLARES_ID)
    try:
        assert p.wait_for_prompt(10) is LoginState.AWAITING_INPUT
        prompt, output = p.snapshot()[1], p.output
        assert p.prompt == prompt  # the same cleaning on both views
    finally:
        p.cancel()
    assert prompt.startswith(HOSTILE_CLEAN) and prompt.endswith("x…")
    assert prompt.isprintable() and len(prompt) <= 300
    assert output.isprintable() and len(output) <= 4000


def test_error_and_output_are_cleaned_and_capped(fake_env: Callable[..., dict[str, str]]) -> None:
    """The program's `Error:` line (a server's message, quoted) and its output are cut short and cleaned."""
    script = (
        "import sys; print('y' * 100_000);"
        f" sys.stderr.write('Error: ' + {HOSTILE!r} + 'z' * 100_000 + '\\n'); sys.exit(1)"
    )
    p = spawn_login([sys.executable, "-c", script], fake_env(), quiet_period=0.2)
    started = time.monotonic()
    assert p.wait_for_prompt(10) is LoginState.FAILED
    error, output = p.error, p.output
    assert error is not None and error.startswith(HOSTILE_CLEAN)
    assert error.isprintable() and len(error) <= 300
    assert len(output) <= 4000 and output.startswith("…") and output.rstrip("\n").endswith("z")
    assert output.replace("\n", "").isprintable()
    assert p.snapshot()[2] == error
    assert time.monotonic() - started < 10


def test_echo_left_on_at_password_prompt_is_refused(spawn: Callable[..., LoginProcess], canary: str) -> None:
    """Echo on at a password prompt: nothing is sent, the login fails and the process is killed."""
    p = spawn("echo-on", echo_grace=0.2)
    assert p.wait_for_prompt(10) is LoginState.AWAITING_PASSWORD
    with pytest.raises(EchoNotDisabled):
        p.send_password(canary)
    assert p.state is LoginState.FAILED
    assert p.error == str(EchoNotDisabled())
    assert p.exited
    assert_gone(p.pid)
    assert canary not in p.output


def test_everything_shown_is_redacted(fake_env: Callable[..., dict[str, str]]) -> None:
    """Prompt, output and error pass through the injected redactor; the raw text is never exposed."""
    from tests.login.conftest import fake_argv

    p = spawn_login(fake_argv("normal"), fake_env(), redact=lambda s: s.replace(OLARES_ID, "<id>"))
    try:
        p.wait_for_prompt(10)
        assert p.prompt == "password for <id>: "
        p.send_password("wrong")
        p.wait_for_prompt(10)
        assert OLARES_ID not in p.output
        assert "password for <id>: " in p.output
    finally:
        p.cancel()


def test_wait_for_change_wakes_on_the_next_state(spawn: Callable[..., LoginProcess]) -> None:
    """wait_for_change(since=v) returns as soon as the state moves past version v."""
    p = spawn("normal")
    assert p.wait_for_change(10, since=0) is LoginState.AWAITING_PASSWORD
    version = p.version
    assert p.wait_for_change(0.05, since=version) is LoginState.AWAITING_PASSWORD  # nothing happened


def test_program_that_cannot_start_is_a_spawn_error(fake_env: Callable[..., dict[str, str]], tmp_path: Path) -> None:
    """A missing program is a typed error naming the program, not a pexpect exception."""
    with pytest.raises(LoginSpawnError, match="could not start the login program"):
        spawn_login([str(tmp_path / "no-such-olares-cli")], fake_env())


def test_child_gets_exactly_the_given_environment(fake_env: Callable[..., dict[str, str]], canary: str) -> None:
    """The caller's env is the child's whole environment (nothing inherited from ours)."""
    import sys

    os.environ["OLARES_LOGIN_TEST_LEAK"] = "leaked"
    try:
        script = "import os; print(sorted(k for k in os.environ if k.startswith(('FAKE_', 'OLARES_'))))"
        p = spawn_login([sys.executable, "-c", script], fake_env())
        assert p.wait_for_prompt(10) is LoginState.SUCCEEDED
    finally:
        del os.environ["OLARES_LOGIN_TEST_LEAK"]
    assert "['FAKE_PASSWORD', 'FAKE_TOTP']" in p.output
