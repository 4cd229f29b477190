"""JSON the way Go's encoding/json reads and writes it (docs/compatibility.md).

Writing: ``MarshalIndent(v, "", "  ")`` or compact ``Marshal``, with Go's HTML
escaping of ``<``, ``>``, ``&`` and U+2028/U+2029; other non-ASCII stays raw UTF-8.

Reading: object keys match struct fields case-insensitively (an exact match
first), the last duplicate wins, ``null`` is the zero value, and an int64 field
accepts only an integer literal in range: ``1.0``, ``1e9``, ``true`` and
``"1"`` are errors (Python's ``bool`` is an ``int``; we check for it).

Ours, not Go's: nesting deeper than ``MAX_DEPTH`` (64) is refused before parsing,
with Go's own wording (``invalid character '[' exceeded max depth``; Go's limit is
10000). Every document we read (config.json, token records, JWT payloads, server
replies) is shallow, and a bounded depth means no parser or walker of ours can
ever hit Python's recursion limit on hostile input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = [
    "MAX_DEPTH",
    "GoFloat",
    "GoJSONError",
    "Pairs",
    "decode_fields",
    "dumps_compact",
    "dumps_indent",
    "loads",
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
# A string (unrolled, so linear) or one bracket: strings are skipped whole, brackets are counted.
_STRUCTURE_STR: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_STRUCTURE_BYTES: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class GoJSONError(ValueError):
    """The document is not what Go would accept; the text reads like Go's."""


class GoFloat(float):
    """A number literal with a fraction or exponent: never acceptable in an int64 field."""


class Pairs(list[tuple[str, Any]]):
    """A decoded JSON object, keys in document order, duplicates kept."""


def _escape_html(text: str) -> str:
    return _HTML_RE.sub(lambda m: _HTML_ESCAPES[m.group(0)], text)


def _plain(value: Any) -> Any:
    if isinstance(value, Pairs):
        out: dict[str, Any] = {}
        for key, item in value:
            out.pop(key, None)  # last duplicate wins, at its own position
            out[key] = _plain(item)
        return out
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def dumps_indent(value: Any) -> str:
    """``json.MarshalIndent(v, "", "  ")``: two-space indent, no trailing newline."""
    return _escape_html(json.dumps(_plain(value), indent=2, ensure_ascii=False))


def dumps_compact(value: Any) -> str:
    """``json.Marshal(v)``: no spaces."""
    return _escape_html(json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False))


def _reject_constant(name: str) -> Any:
    raise GoJSONError(f"invalid character '{name[0]}' looking for beginning of value")


def _fix_string(value: Any) -> Any:
    # Go turns a lone surrogate escape into U+FFFD while decoding.
    if isinstance(value, str):
        return _SURROGATE_RE.sub("\ufffd", value)
    if isinstance(value, Pairs):
        return Pairs((_fix_string(k), _fix_string(v)) for k, v in value)
    if isinstance(value, list):
        return [_fix_string(v) for v in value]
    return value


def check_depth(text: str | bytes, max_depth: int = MAX_DEPTH) -> None:
    """Refuse nesting deeper than ``max_depth`` in one linear pass, without parsing.

    Raises:
        GoJSONError: ``invalid character '[' exceeded max depth at offset <n>``.
    """
    if isinstance(text, str):
        opens = text.count("[") + text.count("{")
        pattern: re.Pattern[Any] = _STRUCTURE_STR
    else:
        opens = text.count(b"[") + text.count(b"{")
        pattern = _STRUCTURE_BYTES
    if opens <= max_depth:
        return  # the common case: too few brackets to nest that deep at all
    depth = 0
    for match in pattern.finditer(text):
        token = match.group()
        if len(token) != 1:
            continue  # a whole string
        if token in ("[", "{", b"[", b"{"):
            depth += 1
            if depth > max_depth:
                char = token if isinstance(token, str) else token.decode()
                raise GoJSONError(f"invalid character '{char}' exceeded max depth at offset {match.start()}")
        else:
            depth -= 1


def loads(text: str | bytes) -> Any:
    """Parse JSON keeping object key order and duplicates (as ``Pairs``) and marking floats.

    Raises:
        GoJSONError: the text is not valid JSON, or nests deeper than ``MAX_DEPTH``.
    """
    check_depth(text)
    try:
        value = json.loads(
            text,
            object_pairs_hook=Pairs,
            parse_float=GoFloat,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as err:
        raise GoJSONError(f"{err.msg} at offset {err.pos}") from err
    except (UnicodeDecodeError, RecursionError) as err:
        raise GoJSONError(str(err)) from err
    return _fix_string(value)


def _kind_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, GoFloat | int):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Pairs):
        return "object"
    if isinstance(value, list):
        return "array"
    return "value"


def as_string(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise GoJSONError(f"json: cannot unmarshal {_kind_name(value)} into Go struct field {field} of type string")
    return value


def as_bool(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise GoJSONError(f"json: cannot unmarshal {_kind_name(value)} into Go struct field {field} of type bool")
    return value


def as_int64(value: Any, field: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or isinstance(value, GoFloat):
        raise GoJSONError(f"json: cannot unmarshal {_kind_name(value)} into Go struct field {field} of type int64")
    if not INT64_MIN <= value <= INT64_MAX:
        raise GoJSONError(f"json: cannot unmarshal number {value} into Go struct field {field} of type int64")
    return value


def decode_fields(
    obj: Pairs,
    fields: Mapping[str, Callable[[Any, str], Any]],
    *,
    struct: str,
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Match ``obj``'s keys to ``fields`` like Go does; return (known values, unknown pairs).

    Known values are converted by their field's function; an exact key match is
    preferred over a case-insensitive one, and the last matching key wins.
    Unknown pairs keep their order (we preserve them; olares-cli drops them).
    """
    folded = {name.casefold(): name for name in fields}
    known: dict[str, Any] = {}
    unknown: list[tuple[str, Any]] = []
    for key, value in obj:
        name = key if key in fields else folded.get(key.casefold())
        if name is None:
            unknown = [(k, v) for k, v in unknown if k != key]
            unknown.append((key, value))
            continue
        known[name] = fields[name](value, f"{struct}.{name}")
    return known, unknown
