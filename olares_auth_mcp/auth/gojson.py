"""JSON the way Go's encoding/json reads and writes it (docs/compatibility.md).

Writing: ``MarshalIndent(v, "", "  ")`` or compact ``Marshal``, with Go's HTML
escaping of ``<``, ``>``, ``&`` and U+2028/U+2029; other non-ASCII stays raw UTF-8.

Reading: object keys match struct fields case-insensitively (an exact match
first), the last duplicate wins, ``null`` is the zero value, and an int64 field
accepts only an integer literal in range: ``1.0``, ``1e9``, ``true`` and
``"1"`` are errors (Python's ``bool`` is an ``int``; we check for it). Invalid
UTF-8 inside a string becomes U+FFFD, one per bad byte, as Go's decoder does.

Errors read as Go's, word for word: a syntax error is what Go's scanner
(``checkValid``) reports for the first bad byte (``unexpected end of JSON input``,
``invalid character 'x' after top-level value``; a UTF-8 BOM is the byte 0xEF,
shown as ``'ï'``), found by a scanner that follows Go's states; a type error is
``json: cannot unmarshal <what> into Go struct field <Struct>.<path> of type <type>``
(``UnmarshalTypeError``), where ``<what>`` is ``string``, ``bool``, ``array``,
``object``, ``number``, or ``number <literal>`` for a number an integer field
cannot hold, and ``<path>`` is the JSON field names from the document root.

Ours, not Go's: nesting deeper than ``MAX_DEPTH`` (64) is refused before parsing,
with Go's own wording (``invalid character '[' exceeded max depth``; Go's limit is
10000). Every document we read (config.json, token records, JWT payloads, server
replies) is shallow, and a bounded depth means no parser or walker of ours can
ever hit Python's recursion limit on hostile input.
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import re
from collections.abc import Callable, Mapping
from json.scanner import make_scanner
from typing import Any, Final, cast

__all__ = [
    "END_OF_INPUT",
    "MAX_DEPTH",
    "GoFloat",
    "GoJSONError",
    "Pairs",
    "as_bool",
    "as_int64",
    "as_string",
    "as_string_list",
    "decode_fields",
    "dumps_compact",
    "dumps_indent",
    "kind",
    "loads",
    "quote_char",
    "syntax_error",
    "type_error",
]

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
MAX_DEPTH: Final = 64

_HTML_ESCAPES: Final = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_HTML_RE: Final = re.compile("[<>&\u2028\u2029]")
_SURROGATE_RE: Final = re.compile("[\ud800-\udfff]")
# Every byte but the four brackets, for bytes.translate in the depth pre-check.
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")


class GoJSONError(ValueError):
    """The document is not what Go would accept; the text reads like Go's."""


class GoFloat(float):
    """A number literal with a fraction or exponent: never acceptable in an int64 field.

    ``text`` is the literal as written, for Go's ``number 1.5`` in an error.
    """

    text: str

    def __new__(cls, text: str) -> GoFloat:
        self = super().__new__(cls, text)
        self.text = text
        return self


class Pairs(list[tuple[str, Any]]):
    """A decoded JSON object, keys in document order, duplicates kept."""


def _escape_html(text: str) -> str:
    return _HTML_RE.sub(lambda m: _HTML_ESCAPES[m.group(0)], text)


def _plain(value: Any, literals: list[str], tag: str) -> Any:
    if isinstance(value, Pairs):
        out: dict[str, Any] = {}
        for key, item in value:
            out.pop(key, None)  # last duplicate wins, at its own position
            out[key] = _plain(item, literals, tag)
        return out
    if isinstance(value, list):
        return [_plain(item, literals, tag) for item in value]
    if isinstance(value, GoFloat):  # written back as it was read: 1e5 stays 1e5, 1e999 never becomes Infinity
        literals.append(value.text)
        return f"\0{tag}{len(literals) - 1}\0"
    return value


def _dumps(value: Any, **options: Any) -> str:
    literals: list[str] = []
    tag = os.urandom(8).hex()  # a document cannot forge a placeholder it cannot predict
    text = json.dumps(_plain(value, literals, tag), ensure_ascii=False, **options)
    if literals:
        text = re.sub(f'"\\\\u0000{tag}([0-9]+)\\\\u0000"', lambda m: literals[int(m.group(1))], text)
    return _escape_html(text)


def dumps_indent(value: Any) -> str:
    """``json.MarshalIndent(v, "", "  ")``: two-space indent, no trailing newline."""
    return _dumps(value, indent=2)


def dumps_compact(value: Any) -> str:
    """``json.Marshal(v)``: no spaces."""
    return _dumps(value, separators=(",", ":"))


class _NotGo(Exception):
    """Python accepted something Go's scanner rejects (NaN, Infinity): let the scanner say why."""


def _reject_constant(name: str) -> Any:
    raise _NotGo(name)


def _go_replace(err: UnicodeError) -> tuple[str, int]:
    # Go decodes each byte that starts no valid UTF-8 sequence as U+FFFD (utf8.DecodeRune width 1).
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return "\ufffd" * (err.end - err.start), err.end


codecs.register_error("olares-go-replace", _go_replace)


def _fix_string(value: Any) -> Any:
    # Go turns a lone surrogate escape into U+FFFD while decoding.
    if isinstance(value, str):
        return _SURROGATE_RE.sub("\ufffd", value)
    if isinstance(value, Pairs):
        return Pairs((_fix_string(k), _fix_string(v)) for k, v in value)
    if isinstance(value, list):
        return [_fix_string(v) for v in value]
    return value


def _may_be_too_deep(data: bytes, max_depth: int) -> bool:
    """False when brackets certainly nest no deeper than ``max_depth``; True when they may (the scanner decides).

    Without parsing and at C speed: strings are dropped, everything but brackets too, then innermost
    ``[]``/``{}`` pairs deleted pass by pass (one pass per level, at most ``max_depth`` passes).
    """
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return False  # the common case: too few brackets to nest that deep at all
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")  # escapes gone, every quote opens or closes
    brackets = b"".join(unescaped.split(b'"')[0::2]).translate(None, _NOT_BRACKETS)  # outside strings only
    passes = 0
    while brackets and passes + len(brackets) > max_depth:
        before = len(brackets)
        # "\0" keeps pairs made adjacent by this pass's own deletions for the next pass: one level each
        brackets = brackets.replace(b"[]", b"\0").replace(b"{}", b"\0").replace(b"\0", b"")
        passes += 1
        if len(brackets) == before or passes > max_depth:
            return True
    return False


# Go's scanner (encoding/json/scanner.go), for the message of the first bad byte.
_WS: Final = re.compile(rb"[ \t\r\n]*")
# Runs of elements and members that are valid whatever follows them, skipped in one match (C speed):
# a scalar and its comma. Possessive and atomic, so the regex engine keeps no backtracking state (linear,
# and fast); a number is taken whole. An element these cannot take is scanned byte by byte.
_STRING: Final = rb'"[^"\\\x00-\x1f]*+(?>\\(?>["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*+)*+"'
_SCALAR: Final = (
    rb"(?>" + _STRING + rb"|-?+(?>0|[1-9][0-9]*+)(?>\.[0-9]++)?+(?>[eE][+-]?+[0-9]++)?+(?![0-9.eE])|true|false|null)"
)
_RUN_DEPTH: Final = 3  # containers this deep inside an element or member are still taken by a run


def _value_pattern(depth: int) -> bytes:
    """A valid value nesting at most ``depth`` containers, or nothing (possessive: no backtracking state)."""
    if depth == 0:
        return _SCALAR
    inner, ws = _value_pattern(depth - 1), rb"[ \t\r\n]*+"
    array = rb"\[" + ws + rb"(?>" + inner + ws + rb"(?>," + ws + rb"(?!\])|(?=\])))*+\]"
    member = _STRING + ws + rb":" + ws + inner + ws
    obj = rb"\{" + ws + rb"(?>" + member + rb"(?>," + ws + rb"(?!\})|(?=\})))*+\}"
    return rb"(?>" + _SCALAR + rb"|" + array + rb"|" + obj + rb")"


@functools.cache
def _runs(depth: int) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """(elements, members) each followed by a comma, with values nesting at most ``depth`` containers.

    Compiled on first use (an error path): compiling all depths costs ~50 ms, which every CLI call
    that reads config.json would otherwise pay at import.
    """
    value, ws = _value_pattern(depth), rb"[ \t\r\n]*+"
    elements = re.compile(rb"(?>" + ws + value + ws + rb",)*+")
    members = re.compile(rb"(?>" + ws + _STRING + ws + rb":" + ws + value + ws + rb",)*+")
    return elements, members


_STRING_RUN: Final = re.compile(rb'[^"\\\x00-\x1f]*')
_DIGIT_RUN: Final = re.compile(rb"[0-9]*")
_ESCAPES: Final = frozenset(b'"\\/bfnrt')
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")
_DIGITS: Final = frozenset(b"0123456789")
_LITERALS: Final = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}
_GO_SHORT_ESCAPES: Final = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v", 92: "\\\\"}
END_OF_INPUT: Final = "unexpected end of JSON input"


def quote_char(c: int) -> str:
    """Go's ``quoteChar``: the byte as a rune (so 0xEF is ``'ï'``), quoted like ``strconv.Quote``."""
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    if c in _GO_SHORT_ESCAPES:
        return f"'{_GO_SHORT_ESCAPES[c]}'"
    if c < 0x20 or c == 0x7F:
        return f"'\\x{c:02x}'"
    if 0x20 <= c <= 0x7E or (0xA1 <= c <= 0xFF and c != 0xAD):  # strconv.IsPrint below 0x100
        return f"'{chr(c)}'"
    return f"'\\u{c:04x}'"


class _Syntax(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def syntax_error(data: bytes, max_depth: int = MAX_DEPTH, *, invalid: bool = False) -> str | None:
    """What Go's ``checkValid`` says about ``data`` (None: valid), with nesting limited to ``max_depth``.

    As Go, the end of the input is fed to the scanner as a space: ``tru`` is
    ``invalid character ' ' in literal true (expecting 'e')``, ``"abc`` is ``unexpected end of JSON input``.
    ``invalid``: the caller's parser already failed on the whole of ``data`` (so it is not re-tried whole).
    """
    try:
        _Scanner(data, max_depth, invalid=invalid).run()
    except _Syntax as err:
        return err.message
    return None


def _run_end(pattern: re.Pattern[bytes], data: bytes, i: int) -> int:
    match = pattern.match(data, i)
    return i if match is None else match.end()  # every pattern here can match empty, so never None


class _Scanner:
    """Go's scanner states (encoding/json/scanner.go), iterative.

    Linear and fast enough for a 4 MiB file: runs of plain bytes and of scalar elements are taken by
    regex, and a container Python's own (C) scanner reads whole is skipped at once when it cannot nest
    past ``max_depth``; only the path down to the first error is walked byte by byte.
    """

    def __init__(self, data: bytes, max_depth: int, *, invalid: bool = False) -> None:
        self.invalid = invalid  # the caller's parser already failed on the whole document
        self.data = data
        self.n = len(data)
        self.max_depth = max_depth
        self.stack: list[str] = []  # "K" after a key, "V" after a member's value, "A" in an array
        self.text = data.decode("latin-1")  # one character per byte: positions are byte offsets
        decoder = json.JSONDecoder(parse_constant=_reject_constant)
        self.scan_once: Callable[[str, int], tuple[Any, int]] = make_scanner(cast(Any, decoder))

    def runs(self) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
        """The run patterns whose containers still fit under ``max_depth`` at this level."""
        return _runs(max(0, min(_RUN_DEPTH, self.max_depth - len(self.stack))))

    def whole(self, i: int) -> int | None:
        """The end of the valid container at ``i`` if it can be skipped (no deeper than allowed), else None."""
        try:
            _, end = self.scan_once(self.text, i)
        except (StopIteration, ValueError, _NotGo, RecursionError):
            return None
        span = self.data[i:end]
        if len(self.stack) + span.count(b"[") + span.count(b"{") > self.max_depth:
            return None  # maybe too deep (brackets in strings count too): walk it
        return int(end)

    def at(self, i: int) -> int:
        return self.data[i] if i < self.n else 0x20  # Go's eof() steps the scanner with a space

    def fail(self, i: int, context: str) -> _Syntax:
        return _Syntax(f"invalid character {quote_char(self.at(i))} {context}")

    def ws(self, i: int) -> int:
        return _run_end(_WS, self.data, i)

    def string(self, i: int) -> int:
        """``data[i]`` is the opening quote; the index after the closing one."""
        i += 1
        while True:
            i = _run_end(_STRING_RUN, self.data, i)
            if i >= self.n:
                raise _Syntax(END_OF_INPUT)
            c = self.data[i]
            if c == 0x22:
                return i + 1
            if c != 0x5C:
                raise self.fail(i, "in string literal")
            c = self.at(i + 1)
            if i + 1 < self.n and c in _ESCAPES:
                i += 2
            elif i + 1 < self.n and c == 0x75:
                for k in range(i + 2, i + 6):
                    if k >= self.n or self.data[k] not in _HEX:
                        raise self.fail(k, "in \\u hexadecimal character escape")
                i += 6
            else:
                raise self.fail(i + 1, "in string escape code")

    def digit_at(self, i: int) -> bool:
        return i < self.n and self.data[i] in _DIGITS

    def number(self, i: int) -> int:
        if self.data[i] == 0x2D:
            i += 1
            if not self.digit_at(i):
                raise self.fail(i, "in numeric literal")
        i = i + 1 if self.data[i] == 0x30 else _run_end(_DIGIT_RUN, self.data, i + 1)
        if i < self.n and self.data[i] == 0x2E:
            i += 1
            if not self.digit_at(i):
                raise self.fail(i, "after decimal point in numeric literal")
            i = _run_end(_DIGIT_RUN, self.data, i)
        if i < self.n and self.data[i] in (0x65, 0x45):
            i += 1
            if i < self.n and self.data[i] in (0x2B, 0x2D):
                i += 1
            if not self.digit_at(i):
                raise self.fail(i, "in exponent of numeric literal")
            i = _run_end(_DIGIT_RUN, self.data, i)
        return i

    def literal(self, i: int) -> int:
        word = _LITERALS[self.data[i]]
        for k in range(1, len(word)):
            if i + k >= self.n or self.data[i + k] != word[k]:
                raise self.fail(i + k, f"in literal {word.decode()} (expecting '{chr(word[k])}')")
        return i + len(word)

    def push(self, i: int, state: str) -> None:
        self.stack.append(state)
        if len(self.stack) > self.max_depth:
            raise self.fail(i, "exceeded max depth")

    def key(self, i: int) -> int:
        """Whitespace, then an object key string."""
        i = self.ws(i)
        if i >= self.n:
            raise _Syntax(END_OF_INPUT)
        if self.data[i] != 0x22:
            raise self.fail(i, "looking for beginning of object key string")
        return self.string(i)

    def value(self, i: int) -> int:
        """stateBeginValue: one scalar, an empty container or a key, and the index after it.

        After ``[`` and a first element to come, ``-j - 1`` for that element's index ``j``.
        """
        i = self.ws(i)
        if i >= self.n:
            raise _Syntax(END_OF_INPUT)
        c = self.data[i]
        if c in (0x7B, 0x5B):
            end = None if self.invalid and not self.stack else self.whole(i)
            if end is not None:
                return end
            self.push(i, "K" if c == 0x7B else "A")
            i = self.ws(i + 1)
            if i < self.n and self.data[i] == c + 2:  # '}' or ']'
                self.stack.pop()
                return i + 1
            return self.key(i) if c == 0x7B else -i - 1
        if c == 0x22:
            return self.string(i)
        if c == 0x2D or c in _DIGITS:
            return self.number(i)
        if c in _LITERALS:
            return self.literal(i)
        raise self.fail(i, "looking for beginning of value")

    def end_value(self, i: int) -> int | None:
        """stateEndValue, until a value must begin again (its index); None at the valid end."""
        while True:
            i = self.ws(i)
            if not self.stack:
                if i < self.n:
                    raise self.fail(i, "after top-level value")
                return None
            if i >= self.n:
                raise _Syntax(END_OF_INPUT)
            c, state = self.data[i], self.stack[-1]
            if state == "K":
                if c != 0x3A:
                    raise self.fail(i, "after object key")
                self.stack[-1] = "V"
                return i + 1
            if state == "V" and c == 0x2C:
                self.stack[-1] = "K"
                i = self.key(_run_end(self.runs()[1], self.data, i + 1))
            elif state == "A" and c == 0x2C:
                return _run_end(self.runs()[0], self.data, i + 1)
            elif c == (0x7D if state == "V" else 0x5D):
                self.stack.pop()
                i += 1
            else:
                raise self.fail(i, "after object key:value pair" if state == "V" else "after array element")

    def run(self) -> None:
        i: int | None = 0
        while i is not None:
            end = self.value(i)
            i = -end - 1 if end < 0 else self.end_value(end)


def loads(text: str | bytes) -> Any:
    """Parse JSON keeping object key order and duplicates (as ``Pairs``) and marking floats.

    Raises:
        GoJSONError: Go's message for invalid JSON, or nesting deeper than ``MAX_DEPTH``.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    checked = _may_be_too_deep(data, MAX_DEPTH)
    if checked:  # Python's parser is never handed what might nest past MAX_DEPTH
        message = syntax_error(data)
        if message is not None:
            raise GoJSONError(message)
    try:
        value = json.loads(
            data.decode("utf-8", "olares-go-replace"),  # never Python's BOM and UTF-16/32 sniffing
            object_pairs_hook=Pairs,
            parse_float=GoFloat,
            parse_constant=_reject_constant,
        )
    except (json.JSONDecodeError, _NotGo, RecursionError):
        message = None if checked else syntax_error(data, invalid=True)
        raise GoJSONError(message or "invalid JSON") from None  # None: cannot happen (Python's JSON is Go's)
    return _fix_string(value)


def kind(value: Any) -> str:
    """The ``<what>`` of Go's ``UnmarshalTypeError`` for a decoded value (an int64 field says ``number <literal>``)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Pairs):
        return "object"
    if isinstance(value, list):
        return "array"
    return "value"


def type_error(value: Any, go_type: str, field: str | None = None, *, what: str | None = None) -> GoJSONError:
    """Go's ``UnmarshalTypeError.Error()``: ``field`` is ``<Struct>.<path>``, None for the top-level value."""
    what = what or kind(value)
    if field:
        return GoJSONError(f"json: cannot unmarshal {what} into Go struct field {field} of type {go_type}")
    return GoJSONError(f"json: cannot unmarshal {what} into Go value of type {go_type}")


def as_string(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise type_error(value, "string", field)
    return value


def as_bool(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise type_error(value, "bool", field)
    return value


def as_int64(value: Any, field: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise type_error(value, "int64", field)
    if isinstance(value, float) or not INT64_MIN <= value <= INT64_MAX:
        # strconv.ParseInt failed: Go quotes the literal as written (1.5, 1e9, 1.0, 99999999999999999999)
        raise type_error(value, "int64", field, what=f"number {literal(value)}")
    return int(value)


def as_string_list(value: Any, field: str) -> list[str]:
    """A ``[]string`` field: a null element is ``""``, as Go leaves it."""
    if value is None:
        return []
    if not isinstance(value, list) or isinstance(value, Pairs):  # a decoded object is a list of pairs
        raise type_error(value, "[]string", field)
    return [as_string(item, field) for item in value]


def literal(value: int | float) -> str:
    """A number as it was written in the document (a JSON integer's ``str`` is its literal)."""
    return getattr(value, "text", None) or str(value)


def decode_fields(
    obj: Pairs,
    fields: Mapping[str, Callable[[Any, str], Any]],
    *,
    struct: str,
    path: tuple[str, ...] = (),
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Match ``obj``'s keys to ``fields`` like Go does; return (known values, unknown pairs).

    Known values are converted by their field's function, which is given Go's error
    label ``<struct>.<path>.<field>`` (``path``: the field names from the document root to
    this struct, e.g. ``("profiles",)`` inside a profile). An exact key match is preferred
    over a case-insensitive one, and the last matching key wins. Unknown pairs keep their
    order (we preserve them; olares-cli drops them, and never type-checks them).
    """
    folded = {name.casefold(): name for name in fields}
    prefix = ".".join((struct, *path))
    known: dict[str, Any] = {}
    unknown: list[tuple[str, Any]] = []
    for key, value in obj:
        name = key if key in fields else folded.get(key.casefold())
        if name is None:
            unknown = [(k, v) for k, v in unknown if k != key]
            unknown.append((key, value))
            continue
        known[name] = fields[name](value, f"{prefix}.{name}")
    return known, unknown
