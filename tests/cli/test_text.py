"""The one escaping rule for everything the CLI prints (trust-boundary R13)."""

from __future__ import annotations

import io
import json

import pytest

from olares_auth_mcp.cli._text import escape, escape_json, say, say_block


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("alice@olares.com", "alice@olares.com"),
        ("名前 — Owner", "名前 — Owner"),
        ("a\\x1b", "a\\x1b"),
        ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),
        ("\x9b31m", "\\x9b31m"),
        ("\x7f\x00\t\r\n", "\\x7f\\x00\\x09\\x0d\\x0a"),
        ("abc\u202edef\u2066\u200b\u200d\ufeff", "abc\\u202edef\\u2066\\u200b\\u200d\\ufeff"),
        ("\u2028\u00a0", "\\u2028\\xa0"),
        ("\U000e0041", "\\U000e0041"),
    ],
)
def test_escape(raw: str, shown: str) -> None:
    assert escape(raw) == shown
    assert escape(shown) == shown, "idempotent"


def test_escape_json_keeps_the_value() -> None:
    value = {"name": "x\x7f\x9b\u202e\U000e0041é"}
    text = escape_json(json.dumps(value, indent=2, ensure_ascii=False))
    assert text.isascii() is False and "é" in text
    assert all(ch == "\n" or ch.isprintable() for ch in text)
    assert json.loads(text) == value


def test_say_and_say_block() -> None:
    out = io.StringIO()
    say("a\nb\x1b", out)
    say_block("line one\x1b\nline two\n", out)
    assert out.getvalue() == "a\\x0ab\\x1b\nline one\\x1b\nline two\n"
