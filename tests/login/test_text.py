"""The cleaning every text from a login program goes through before anyone sees it."""

from __future__ import annotations

import time

import pytest

from olares_auth_mcp.login._text import untrusted_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain text", "plain text"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b]52;c;ZXZpbA==\x07after", "after"),  # OSC 52: a clipboard write
        ("\x1b]0;title\x1b\\after", "after"),
        ("a\u202eb\u2066c\u200bd\u200de\ufefff\u00adg", "abcdefg"),  # bidi, zero-width, BOM, soft hyphen
        ("a\x00b\x07c\x7fd\x9be", "abcd"),  # 0x9b is an 8-bit CSI: "e" is its final byte
        ("line1\r\nline2\rline3\n\tx", "line1 line2 line3  x"),
        ("\U000e0041tag", "tag"),  # Unicode tag characters (invisible)
        ("ünïcødé 日本", "ünïcødé 日本"),
    ],
)
def test_escapes_and_invisible_characters_are_removed(raw: str, clean: str) -> None:
    assert untrusted_text(raw, 100) == clean


def test_multiline_keeps_line_breaks() -> None:
    assert untrusted_text("a\r\nb\rc\n\td\x1b[1m", 100, multiline=True) == "a\nb\nc\n\td"


def test_long_text_is_cut_and_marked() -> None:
    assert untrusted_text("x" * 1000, 10) == "x" * 9 + "…"
    assert untrusted_text("a" * 500 + "end", 10, keep="tail") == "…" + "a" * 6 + "end"
    assert untrusted_text("x" * 10, 10) == "x" * 10


def test_cleaning_is_linear_on_hostile_input() -> None:
    """Unterminated escapes and huge inputs cost one pass over a bounded window."""
    for hostile in ("\x1b[" * 500_000, "\x1b]" + "a" * 1_000_000, "\u200b" * 1_000_000):
        started = time.monotonic()
        assert len(untrusted_text(hostile, 300)) <= 300
        assert time.monotonic() - started < 1.0


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        untrusted_text("x", 0)
