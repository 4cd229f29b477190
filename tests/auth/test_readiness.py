"""The gate's ``next_action``: never a placeholder, never an ID the tools refuse, always the installed CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from olares_auth_mcp.auth.commands import OLARES_CLI, OURS, import_command, installed_cli, login_command
from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.errors import InvalidOlaresID
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.readiness import NextAction, Readiness, assess
from olares_auth_mcp.auth.status import Status
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from tests.helpers import make_jwt

NOW = 1_800_000_000
README = Path(__file__).resolve().parents[2] / "README.md"


def callable_as_given(action: NextAction) -> None:
    """Every argument is a real value the tool accepts; an empty call says what to ask the human."""
    if "olares_id" in action.arguments:
        OlaresID.validated(str(action.arguments["olares_id"]), agent=True)  # raises on a placeholder
    for value in action.arguments.values():
        assert not (isinstance(value, str) and re.search(r"<[^>]*>", value)), action
    if action.tool == "start_login" and not action.arguments:
        assert action.ask_human and "Olares ID" in action.ask_human and "ask the human" in action.ask_human.lower()
    if action.tool == "none":
        assert action.ask_human


def test_an_empty_home_asks_the_human_for_their_olares_id(store: ConfigStore, vault: BlobVault) -> None:
    readiness = assess(store.load(), vault, target=None, now=NOW)
    action = readiness.next_action
    assert (readiness.decision, readiness.status) == ("stop", "no-profile")
    assert action is not None and action.tool == "start_login" and action.arguments == {}
    assert action.ask_human and "ask the human for their olares id (name@domain)" in action.ask_human.lower()
    assert "<olares-id>" not in action.command
    callable_as_given(action)


@pytest.mark.parametrize(
    ("target", "tool", "arguments"),
    [
        ("ghost", "profile_list", {}),  # a bare alias: list the profiles, never a login as "ghost"
        ("ghost@olares.com", "start_login", {"olares_id": "ghost@olares.com"}),
        ("<olares-id>@x", "start_login", {}),  # '@' but not an ID the tools accept: ask the human
        ("Ghost@Olares.com", "start_login", {}),
    ],
)
def test_a_missing_target_never_offers_an_id_the_tools_refuse(
    store: ConfigStore, vault: BlobVault, target: str, tool: str, arguments: dict[str, object]
) -> None:
    action = assess(store.load(), vault, target=target, now=NOW).next_action
    assert action is not None and (action.tool, action.arguments) == (tool, arguments)
    callable_as_given(action)


def test_an_aliased_profile_logs_in_by_its_olares_id(store: ConfigStore, vault: BlobVault) -> None:
    store.mutate(lambda c: c.upsert(Profile("ghost@olares.com", name="ghost")))
    action = assess(store.load(), vault, target="ghost", now=NOW).next_action
    assert action is not None and action.arguments == {"olares_id": "ghost@olares.com"}
    assert action.command == "olares-auth-mcp profile login --olares-id ghost@olares.com"


def test_a_profile_id_start_login_refuses_is_left_to_the_human(store: ConfigStore, vault: BlobVault) -> None:
    """A human may have logged in as `Alice@Olares.com` with the CLI; start_login refuses that spelling."""
    store.mutate(lambda c: c.upsert(Profile("Alice@Olares.com")))
    with pytest.raises(InvalidOlaresID):
        OlaresID.validated("Alice@Olares.com", agent=True)
    action = assess(store.load(), vault, target=None, now=NOW).next_action
    assert action is not None and (action.tool, action.arguments) == ("none", {})
    assert action.command == "olares-auth-mcp profile login --olares-id Alice@Olares.com"
    callable_as_given(action)


@pytest.mark.parametrize("cli", [OURS, OLARES_CLI])
def test_every_status_names_the_given_cli_and_is_callable_as_given(
    store: ConfigStore, vault: BlobVault, cli: str
) -> None:
    ids = ["live@olares.com", "stale@olares.com", "dead@olares.com", "new@olares.com", "odd@olares.com"]
    store.mutate(lambda c: [c.upsert(Profile(olares_id)) for olares_id in ids])
    vault.set(TokenRecord("live@olares.com", access_token=make_jwt({"exp": NOW + 3600}), refresh_token="rt-1"))
    vault.set(TokenRecord("stale@olares.com", access_token=make_jwt({"exp": NOW - 60}), refresh_token="rt-2"))
    vault.set(TokenRecord("dead@olares.com", access_token=make_jwt({"exp": NOW - 60}), refresh_token="rt-3"))
    vault.mark_invalidated("dead@olares.com", int(NOW * 1000))
    vault.set(TokenRecord("odd@olares.com", access_token="not-a-jwt", refresh_token="rt-4"))
    seen = set()
    for target in [*ids, None, "nobody@olares.com"]:
        readiness = assess(store.load(), vault, target=target, now=NOW, cli=cli)
        seen.add(readiness.status)
        if readiness.next_action is not None:
            callable_as_given(readiness.next_action)
            assert readiness.next_action.command.startswith(f"{cli} profile ")
    assert {"logged-in", "expired", "invalidated", "never", "no-profile"} <= seen


def test_installed_cli_is_olares_cli_only_when_it_is_on_the_servers_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    assert installed_cli({"PATH": str(bin_dir)}) == OURS
    assert installed_cli({}) == OURS, "no PATH in the server's environment: nothing is searched"
    program = bin_dir / "olares-cli"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    assert installed_cli({"PATH": f"/nonexistent:{bin_dir}"}) == OLARES_CLI


def test_commands_never_put_a_token_in_argv() -> None:
    assert import_command(OURS, "alice@olares.com") == (
        "olares-auth-mcp profile import --olares-id alice@olares.com --refresh-token-env OLARES_REFRESH_TOKEN"
    )
    assert import_command(OLARES_CLI, "alice@olares.com") == (
        'olares-cli profile import --olares-id alice@olares.com --refresh-token "$OLARES_REFRESH_TOKEN"'
    )
    assert login_command(OURS, "a b@olares.com") == "olares-auth-mcp profile login --olares-id 'a b@olares.com'"


def test_import_env_matches_the_boundary_default() -> None:
    from olares_auth_mcp.auth.boundary import DEFAULT_IMPORT_ENV
    from olares_auth_mcp.auth.commands import IMPORT_ENV

    assert IMPORT_ENV == DEFAULT_IMPORT_ENV


def _gate_statuses() -> set[str]:
    """Every status ``assess`` can return: each profile status, and ``no-profile``."""
    return {str(status) for status in Status} | {"no-profile"}


def test_the_readme_lists_every_status_the_gate_returns() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Readiness statuses", 1)[1].split("\n#", 1)[0]
    listed = dict(re.findall(r"^- `([^`]+)` — \*\*(proceed|stop)\*\*", section, re.MULTILINE))
    assert set(listed) == _gate_statuses()
    for status, decision in listed.items():
        assert decision == ("proceed" if status in ("logged-in", "expired") else "stop"), status


def test_the_readme_decisions_match_the_gate(store: ConfigStore, vault: BlobVault) -> None:
    readme = dict(
        re.findall(r"^- `([^`]+)` — \*\*(proceed|stop)\*\*", README.read_text(encoding="utf-8"), re.MULTILINE)
    )
    store.mutate(lambda c: c.upsert(Profile("live@olares.com")))
    vault.set(TokenRecord("live@olares.com", access_token=make_jwt({"exp": NOW + 3600}), refresh_token="rt-1"))
    checks: list[Readiness] = [
        assess(store.load(), vault, target="live@olares.com", now=NOW),
        assess(store.load(), vault, target="live@olares.com", now=NOW + 7200),
        assess(store.load(), vault, target="nobody", now=NOW),
    ]
    for readiness in checks:
        assert readme[readiness.status] == readiness.decision, readiness.status


def test_the_gate_answers_whole_from_one_call(paths: Paths, store: ConfigStore, vault: BlobVault) -> None:
    """``gate``: the local verdict with that profile's environment hints, in one library call (the tool shapes it);
    a stop is never taken to the server, even with live."""
    from olares_auth_mcp.auth.account import Account
    from olares_auth_mcp.auth.readiness import gate
    from olares_auth_mcp.auth.wire import default_http_factory

    store.mutate(lambda c: (c.upsert(Profile("alice@olares.com")), c.set_current("alice@olares.com")))
    paths.legacy_tokens_file.parent.mkdir(parents=True, exist_ok=True)
    paths.legacy_tokens_file.write_text("{}")
    account = Account(paths, vault, default_http_factory, lambda: NOW, {})
    answer = gate(account)
    assert (answer.decision, answer.status, answer.checked) == ("stop", "never", "local")
    assert answer.next_action is not None and answer.next_action.command.startswith(f"{OURS} ")
    assert len(answer.hints) == 1 and "tokens.json" in answer.hints[0]
    assert gate(account, live=True) == answer


class ReadEnv(dict[str, str]):
    """The server's environment, counting the reads of each name (a plain mapping: nothing of ours is patched)."""

    def __init__(self, **values: str) -> None:
        super().__init__(values)
        self.reads: dict[str, int] = {}

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.reads[key] = self.reads.get(key, 0) + 1
        return super().get(key, default)


def test_the_gate_searches_path_only_when_its_answer_names_a_command(
    tmp_path: Path, paths: Paths, store: ConfigStore, vault: BlobVault
) -> None:
    """Proceeding names no command, so the CLI is not looked up; a stop names the installed one, looked up once."""
    from olares_auth_mcp.auth.account import Account
    from olares_auth_mcp.auth.readiness import gate
    from olares_auth_mcp.auth.wire import default_http_factory

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "olares-cli").write_text("#!/bin/sh\n")
    (bin_dir / "olares-cli").chmod(0o755)
    store.mutate(lambda c: [c.upsert(Profile(i)) for i in ("live@olares.com", "new@olares.com")])
    vault.set(TokenRecord("live@olares.com", access_token=make_jwt({"exp": NOW + 60}), refresh_token="rt"))
    env = ReadEnv(PATH=str(bin_dir))
    account = Account(paths, vault, default_http_factory, lambda: NOW, env)
    proceed = gate(account, target="live@olares.com")
    assert (proceed.decision, proceed.next_action) == ("proceed", None)
    assert env.reads.get("PATH", 0) == 0
    stop = gate(account, target="new@olares.com")
    assert stop.next_action is not None and stop.next_action.command.startswith(f"{OLARES_CLI} profile login ")
    assert env.reads["PATH"] == 1
