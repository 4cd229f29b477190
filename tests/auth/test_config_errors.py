"""config.json errors in olares-cli's words: ``parse <path>: <encoding/json error>`` (beclab/Olares
`cli/pkg/cliconfig/config.go` ``LoadMultiProfileConfig``; Go's `encoding/json` scanner.go and decode.go).

Every expected message is written out by hand from Go's rules, never produced by our code:
a syntax error names the first byte Go's scanner rejects (the end of input is fed to it as a space),
and a type error is ``UnmarshalTypeError`` with the innermost struct and the JSON field path from the root.
"""

from __future__ import annotations

import pytest

from olares_auth_mcp.auth.config import ConfigStore
from olares_auth_mcp.auth.errors import ConfigError
from olares_auth_mcp.auth.gojson import GoJSONError, loads
from olares_auth_mcp.auth.paths import Paths

SYNTAX = [
    (b"   ", "unexpected end of JSON input"),
    (b"{", "unexpected end of JSON input"),
    (b'{"profiles":[{"olaresId":"a@b.c"}]', "unexpected end of JSON input"),
    (b'{"currentProfile":"a', "unexpected end of JSON input"),
    (b"{}x", "invalid character 'x' after top-level value"),
    (b"{} {}", "invalid character '{' after top-level value"),
    (b"{}}", "invalid character '}' after top-level value"),
    (b"\xef\xbb\xbf{}", "invalid character '\u00ef' looking for beginning of value"),  # a UTF-8 BOM
    (b"\xff\xfe{\x00}\x00", "invalid character '\u00ff' looking for beginning of value"),  # UTF-16
    (b"{not json", "invalid character 'n' looking for beginning of object key string"),
    (b"{'a':1}", "invalid character '\\'' looking for beginning of object key string"),
    (b'{"profiles" []}', "invalid character '[' after object key"),
    (b'{"profiles":[] "x":1}', "invalid character '\"' after object key:value pair"),
    (b'{"profiles":[{},]}', "invalid character ']' looking for beginning of value"),
    (b'{"profiles":[{} {}]}', "invalid character '{' after array element"),
    (b'{"profiles":[{"olaresId":"a",}]}', "invalid character '}' looking for beginning of object key string"),
    (b'{"x":NaN}', "invalid character 'N' looking for beginning of value"),
    (b'{"x":-Infinity}', "invalid character 'I' in numeric literal"),
    (b'{"x":01}', "invalid character '1' after object key:value pair"),
    (b'{"x":1.}', "invalid character '}' after decimal point in numeric literal"),
    (b'{"x":1e}', "invalid character '}' in exponent of numeric literal"),
    (b'{"x":tru}', "invalid character '}' in literal true (expecting 'e')"),
    (b'{"x":nul', "invalid character ' ' in literal null (expecting 'l')"),  # the end, fed as a space
    (b'{"x":-', "invalid character ' ' in numeric literal"),
    (b'{"x":"a\\q"}', "invalid character 'q' in string escape code"),
    (b'{"x":"\\u12g4"}', "invalid character 'g' in \\u hexadecimal character escape"),
    (b'{"x":"a\tb"}', "invalid character '\\t' in string literal"),
    (b'{"x":"a\x01"}', "invalid character '\\x01' in string literal"),
    (b"\x00", "invalid character '\\x00' looking for beginning of value"),
    (b"\x7f", "invalid character '\\x7f' looking for beginning of value"),
    (b"\xc2\xa0{}", "invalid character '\u00c2' looking for beginning of value"),
    (b"\xa0{}", "invalid character '\\u00a0' looking for beginning of value"),  # not printable for Go
    (b"\xad{}", "invalid character '\\u00ad' looking for beginning of value"),
    (b"\\{}", "invalid character '\\\\' looking for beginning of value"),
    (b'"x', "unexpected end of JSON input"),
    (b"[" * 65 + b"]" * 65, "invalid character '[' exceeded max depth"),  # ours: 64 deep, Go's words
    # after long runs of valid elements and members (skipped fast), the first bad byte is still the one named
    (
        b'{"x":[' + b'{"a":[1,{"b":"]"}]},' * 3000 + b'{"a":[1,{"b":2,}]}]}',
        "invalid character '}' looking for beginning of object key string",
    ),
    (b'{"x":[' + b"1, " * 3000 + b"1.e5]}", "invalid character 'e' after decimal point in numeric literal"),
    (b'{"x":{' + b'"k": "v", ' * 3000 + b'"k" "v"}}', "invalid character '\"' after object key"),
    (b"[" + b"[1]," * 3000 + b"[" * 64 + b"]" * 64 + b"]", "invalid character '[' exceeded max depth"),
    (b"[" * 62 + b"[[1],[[2]]]" + b"]" * 62, "invalid character '[' exceeded max depth"),
]

TYPES = [
    (b"[]", "json: cannot unmarshal array into Go value of type cliconfig.MultiProfileConfig"),
    (b'"x"', "json: cannot unmarshal string into Go value of type cliconfig.MultiProfileConfig"),
    (b"1", "json: cannot unmarshal number into Go value of type cliconfig.MultiProfileConfig"),
    (b"true", "json: cannot unmarshal bool into Go value of type cliconfig.MultiProfileConfig"),
    (
        b'{"currentProfile":1}',
        "json: cannot unmarshal number into Go struct field MultiProfileConfig.currentProfile of type string",
    ),
    (
        b'{"profiles":"x"}',
        "json: cannot unmarshal string into Go struct field MultiProfileConfig.profiles of type "
        "[]cliconfig.ProfileConfig",
    ),
    (
        b'{"profiles":{"olaresId":"a@b.c"}}',
        "json: cannot unmarshal object into Go struct field MultiProfileConfig.profiles of type "
        "[]cliconfig.ProfileConfig",
    ),
    (
        b'{"profiles":{}}',
        "json: cannot unmarshal object into Go struct field MultiProfileConfig.profiles of type "
        "[]cliconfig.ProfileConfig",
    ),
    (
        b'{"profiles":[1]}',
        "json: cannot unmarshal number into Go struct field MultiProfileConfig.profiles of type "
        "cliconfig.ProfileConfig",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c"},[]]}',
        "json: cannot unmarshal array into Go struct field MultiProfileConfig.profiles of type cliconfig.ProfileConfig",
    ),
    (
        b'{"profiles":[{"olaresId":1.5}]}',
        "json: cannot unmarshal number into Go struct field ProfileConfig.profiles.olaresId of type string",
    ),
    (
        b'{"profiles":[{"OLARESID":true}]}',  # matched case-insensitively, named by its tag
        "json: cannot unmarshal bool into Go struct field ProfileConfig.profiles.olaresId of type string",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","whoamiRefreshedAt":1.5}]}',
        "json: cannot unmarshal number 1.5 into Go struct field ProfileConfig.profiles.whoamiRefreshedAt of type int64",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","whoamiRefreshedAt":1E+9}]}',
        "json: cannot unmarshal number 1E+9 into Go struct field ProfileConfig.profiles.whoamiRefreshedAt of type int64",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","backendVersionRefreshedAt":9223372036854775808}]}',
        "json: cannot unmarshal number 9223372036854775808 into Go struct field "
        "ProfileConfig.profiles.backendVersionRefreshedAt of type int64",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","whoamiRefreshedAt":"1"}]}',
        "json: cannot unmarshal string into Go struct field ProfileConfig.profiles.whoamiRefreshedAt of type int64",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","clusterContextRefreshedAt":true}]}',
        "json: cannot unmarshal bool into Go struct field ProfileConfig.profiles.clusterContextRefreshedAt of type int64",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","insecureSkipVerify":"yes"}]}',
        "json: cannot unmarshal string into Go struct field ProfileConfig.profiles.insecureSkipVerify of type bool",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","managed":1}]}',
        "json: cannot unmarshal number into Go struct field ProfileConfig.profiles.managed of type bool",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","name":{}}]}',
        "json: cannot unmarshal object into Go struct field ProfileConfig.profiles.name of type string",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","clusterContext":"x"}]}',
        "json: cannot unmarshal string into Go struct field ProfileConfig.profiles.clusterContext of type "
        "cliconfig.ClusterContextCache",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","clusterContext":{"workspaces":"w"}}]}',
        "json: cannot unmarshal string into Go struct field ClusterContextCache.profiles.clusterContext.workspaces "
        "of type []string",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","clusterContext":{"grantedClusters":[1]}}]}',
        "json: cannot unmarshal number into Go struct field ClusterContextCache.profiles.clusterContext."
        "grantedClusters of type string",
    ),
    (
        b'{"profiles":[{"olaresId":"a@b.c","clusterContext":{"username":["u"]}}]}',
        "json: cannot unmarshal array into Go struct field ClusterContextCache.profiles.clusterContext.username "
        "of type string",
    ),
    (  # the first bad field in document order is the one reported
        b'{"profiles":[{"olaresId":"a@b.c","managed":1,"name":2}],"currentProfile":3}',
        "json: cannot unmarshal number into Go struct field ProfileConfig.profiles.managed of type bool",
    ),
    (  # a syntax error anywhere wins over a type error before it: Go checks the whole document first
        b'{"currentProfile":1,"profiles":[}',
        "invalid character '}' looking for beginning of value",
    ),
]


@pytest.mark.parametrize(("content", "message"), SYNTAX + TYPES, ids=[repr(c[:40]) for c, _ in SYNTAX + TYPES])
def test_a_bad_config_reads_as_olares_cli_reports_it(
    store: ConfigStore, paths: Paths, content: bytes, message: str
) -> None:
    paths.home.mkdir(parents=True)
    paths.config_file.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        store.load()
    assert str(info.value) == f"parse {paths.config_file}: {message}"
    with pytest.raises(ConfigError):
        store.mutate(lambda c: None)
    assert paths.config_file.read_bytes() == content, "never rewritten"


@pytest.mark.parametrize(
    "content",
    [
        b"null",
        b' \n{"profiles":null,"currentProfile":null}\t',
        b'{"profiles":[{"olaresId":"a@b.c","whoamiRefreshedAt":-0,"managed":null}]}',
        b'{"profiles":[{"olaresId":"a@b.c","backendVersionRefreshedAt":-9223372036854775808}]}',
        b'{"profiles":[{"olaresId":"a@b.c"}],"future":[1.5e999]}',
        b'{"unknownKeys":{"are":["never","type-checked",1.5,true]},"profiles":[]}',
    ],
)
def test_what_go_accepts_is_read(store: ConfigStore, paths: Paths, content: bytes) -> None:
    paths.home.mkdir(parents=True)
    paths.config_file.write_bytes(content)
    store.load()


def test_invalid_utf8_in_a_string_is_one_replacement_character_per_bad_byte(store: ConfigStore, paths: Paths) -> None:
    """Go's decoder: each byte that starts no valid sequence becomes U+FFFD; a lone surrogate escape too."""
    paths.home.mkdir(parents=True)
    paths.config_file.write_bytes(b'{"profiles":[{"olaresId":"a@b.c","name":"x\xe2\x82y\xff\\ud800z\xc3\xa9"}]}')
    assert store.load().profiles[0].name == "x\ufffd\ufffdy\ufffd\ufffdz\u00e9"


def test_token_records_and_every_other_reader_speak_go_too() -> None:
    with pytest.raises(GoJSONError, match=r"^unexpected end of JSON input$"):
        loads(b"")
    with pytest.raises(GoJSONError, match=r"^invalid character 'x' after top-level value$"):
        loads('{"exp":1} x')
