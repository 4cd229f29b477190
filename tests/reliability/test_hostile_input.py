"""Hostile input: property-based tests over the parsers and every tool's arguments, and malformed JSON-RPC.

Nothing may crash with anything but our typed errors, and nothing secret-looking is echoed back.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from olares_auth_mcp.auth.config import Config, ConfigStore
from olares_auth_mcp.auth.errors import ConfigError, InvalidOlaresID, JWTError
from olares_auth_mcp.auth.jwt import expires_at
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.vault import memory_vault
from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.tools.deps import Deps
from tests.conftest import cli_env
from tests.helpers import b64url

SEGMENT = st.text(alphabet=st.characters(codec="ascii"), max_size=40)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@given(st.one_of(st.text(max_size=200), st.builds(lambda a, b, c: f"{a}.{b}.{c}", SEGMENT, SEGMENT, SEGMENT)))
def test_jwt_parser_raises_only_jwt_errors(token: str) -> None:
    try:
        exp = expires_at(token)
    except JWTError:
        return
    assert isinstance(exp, int) and not isinstance(exp, bool) and exp != 0


@given(JSONISH)
def test_jwt_payload_of_any_json_is_handled(payload: object) -> None:
    token = f"{b64url(b'{}')}.{b64url(json.dumps(payload).encode())}.sig"
    with contextlib.suppress(JWTError):
        expires_at(token)


@given(st.text(max_size=100))
def test_olares_id_parser(raw: str) -> None:
    try:
        oid = OlaresID.parse(raw)
    except InvalidOlaresID as err:
        assert "\n" not in str(err).replace("\\n", "")
        return
    assert oid.raw == raw and oid.auth_url().startswith("https://auth.")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(
    st.one_of(
        st.binary(max_size=300),
        JSONISH.map(lambda v: json.dumps(v).encode()),
        st.builds(lambda p: json.dumps({"profiles": p}).encode(), JSONISH),
    )
)
def test_config_loader_gives_a_config_or_a_config_error_and_keeps_the_file(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    home = tmp_path_factory.mktemp("home")
    paths = Paths(home=home, keychain_dir=home / "k", platform="linux")
    paths.config_file.write_bytes(content)
    store = ConfigStore(paths)
    try:
        config = store.load()
    except ConfigError as err:
        assert str(err).startswith(f"parse {paths.config_file}: ")
        with pytest.raises(ConfigError):
            store.mutate(lambda c: None)
        assert paths.config_file.read_bytes() == content, "a file we cannot parse is never overwritten"
        return
    assert isinstance(config, Config)
    Config.from_json(config.to_json())  # what we would write back parses again


TOOL_CALLS = [
    ("profile_use", "profile"),
    ("profile_remove", "profile"),
    ("auth_readiness", "profile"),
    ("profile_import", "olares_id"),
    ("profile_import", "refresh_token_env"),
    ("explain_auth_error", "error_text"),
    ("check_app_operation", "state"),
    ("login_status", "login_id"),
    ("login_cancel", "login_id"),
    ("login_submit_totp", "code"),
]
ARGS = {
    "check_app_operation": {"operation": "stop"},
    "profile_import": {"olares_id": "x@olares.com"},
    "login_submit_totp": {"login_id": "none"},
}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25, deadline=None)
@given(
    value=st.one_of(
        st.text(max_size=120),
        st.sampled_from(["", "-", "../../etc/passwd", "eyJhbGciOiJIUzUxMiJ9.e30.x", "a" * 5000, "\x00\n\r", "🦀" * 10]),
    )
)
def test_every_tool_survives_any_string(tmp_path_factory: pytest.TempPathFactory, value: str) -> None:
    home = tmp_path_factory.mktemp("h")
    deps = Deps(
        Runtime.build(Paths(home=home, keychain_dir=home / "d" / "olares-cli", platform="linux"), memory_vault())
    )

    async def run() -> None:
        async with Client(build_server(deps)) as client:
            for tool, argument in TOOL_CALLS:
                result = await client.call_tool(tool, {**ARGS.get(tool, {}), argument: value})
                text = " ".join(getattr(block, "text", "") for block in result.content)
                assert not text.strip().endswith(f"Error executing tool {tool}"), f"{tool} crashed on {value!r}"
                if "eyJ" in value:
                    assert "eyJhbGciOiJIUzUxMiJ9.e30.x" not in text

    anyio.run(run)


def test_malformed_json_rpc_does_not_kill_the_stdio_server(paths: Paths) -> None:
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    }
    garbage = [
        b"not json\n",
        b'{"jsonrpc": "2.0", "id": 7}\n',
        b"[1,2,3]\n",
        b"{\n",
        b"\xff\xfe\n",
        b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"nope"}}\n',
    ]
    payload = b"".join(garbage) + json.dumps(init).encode() + b"\n"
    proc = subprocess.run(
        [sys.executable, "-m", "olares_auth_mcp"],
        input=payload,
        env=cli_env(paths),
        capture_output=True,
        timeout=60,
        check=False,
    )
    replies = [json.loads(line) for line in proc.stdout.splitlines() if line.strip().startswith(b"{")]
    assert any(reply.get("id") == 1 and "result" in reply for reply in replies), proc.stderr[-2000:]


def test_deeply_nested_arguments_fail_one_call_and_the_stdio_server_keeps_answering(paths: Paths) -> None:
    """Deep nesting in a tools/call fails that call only; the next one is answered.

    At 500 levels the SDK's own JSON-RPC reader drops the message before it reaches us; at 100 it
    reaches the screen, which refuses it without recursing (the in-process test goes deeper).
    """

    def deep(request_id: int, depth: int) -> str:  # written out: json.dumps itself would recurse
        nested = '{"a": ' * depth + '"leaf"' + "}" * depth
        head = f'{{"jsonrpc": "2.0", "id": {request_id}, "method": "tools/call", '
        return head + f'"params": {{"name": "profile_use", "arguments": {{"profile": {nested}}}}}}}'

    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "profile_list", "arguments": {}}},
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "olares_auth_mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(paths),
    )
    replies: dict[object, dict[str, Any]] = {}
    watchdog = threading.Timer(60, proc.kill)  # bounds the blocking reads below
    watchdog.start()
    try:
        assert proc.stdin is not None and proc.stdout is not None
        lines = [json.dumps(m) for m in messages]
        lines[2:2] = [deep(2, 500), deep(3, 100)]
        proc.stdin.write("".join(f"{line}\n" for line in lines).encode())
        proc.stdin.flush()
        while 4 not in replies:
            line = proc.stdout.readline()
            assert line, "the server exited (or the 60 s watchdog killed it) before answering"
            reply = json.loads(line)
            replies[reply.get("id")] = reply
    finally:
        watchdog.cancel()
        proc.kill()
        proc.wait(10)
    refused, answered = replies[3]["result"], replies[4]["result"]
    assert refused["isError"] and "nested more than" in refused["content"][0]["text"]
    assert not answered.get("isError")
