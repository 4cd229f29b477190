"""LoginService: the login command line (values stay bound to their flags), the child's environment, and the
use cases' plain statuses (the page link dies when the login ends)."""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import olares_auth_mcp
from olares_auth_mcp.auth.profiles import ProfileFlags
from olares_auth_mcp.login import LoginState
from olares_auth_mcp.login.service import LoginService, flag_argv
from tests.login.conftest import OLARES_ID, FakeClock, fake_argv


def test_values_can_never_become_flags() -> None:
    """A model-supplied value like "--password-stdin" stays the value of --name, as one argv element."""
    flags = ProfileFlags("alice@olares.com", name="--password-stdin", local_url_prefix="dev.")
    assert flag_argv(flags, no_switch=True) == [
        "--olares-id=alice@olares.com",
        "--name=--password-stdin",
        "--local-url-prefix=dev.",
        "--no-switch",
    ]


def test_unset_flags_are_left_out() -> None:
    assert flag_argv(ProfileFlags("a@b.c", insecure_skip_verify=True), no_switch=False) == [
        "--olares-id=a@b.c",
        "--insecure-skip-verify",
    ]


SERVER_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/home/alice",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TERM": "xterm",
    "TZ": "UTC",
    "USER": "alice",
    "LOGNAME": "alice",
    "TMPDIR": "/tmp",
    "OLARES_CLI_CACHE_DIR": "/var/cache/olares",
    "OLARES_AUTH_MCP_SERVICE_URL": "http://127.0.0.1:9",
    "SSL_CERT_FILE": "/etc/ssl/ca.pem",
    "REQUESTS_CA_BUNDLE": "/etc/ssl/ca.pem",
    "https_proxy": "http://proxy:3128",
    "NO_PROXY": "localhost",
    "PYTHONPATH": "/src",
    # what the server may hold that a login never needs
    "OPENAI_API_KEY": "sk-canary",
    "DATABASE_URL": "postgres://u:canary@db/x",
    "AWS_SECRET_ACCESS_KEY": "aws-canary",
    "GITHUB_TOKEN": "gh-canary",
    "OLARES_REFRESH_TOKEN": "rt-canary",
    "OLARES_AUTH_MCP_BEARER_TOKEN": "bearer-canary",
    "OLARES_AUTH_MCP_IMPORT_ENV": "GITHUB_TOKEN",
    "LD_PRELOAD": "/tmp/evil.so",
    "PYTHONSTARTUP": "/tmp/evil.py",
}
PASSED_ON = {k for k in SERVER_ENV if k.isupper() or k == "https_proxy"} - {
    "OPENAI_API_KEY",
    "DATABASE_URL",
    "AWS_SECRET_ACCESS_KEY",
    "GITHUB_TOKEN",
    "OLARES_REFRESH_TOKEN",
    "OLARES_AUTH_MCP_BEARER_TOKEN",
    "OLARES_AUTH_MCP_IMPORT_ENV",
    "LD_PRELOAD",
    "PYTHONSTARTUP",
}


def _service(tmp_path: Path, env: dict[str, str]) -> LoginService:
    return LoginService(env=env, home=tmp_path / "home", data_dir=tmp_path / "data", redact=lambda s: s)


def test_the_login_child_gets_only_allow_listed_variables(tmp_path: Path) -> None:
    """A blocklist let OPENAI_API_KEY and DATABASE_URL through (issue 10, attack 8); only listed names pass."""
    service = _service(tmp_path, SERVER_ENV)
    child = service.child_env()
    assert set(child) == PASSED_ON | {"OLARES_CLI_HOME", "OLARES_CLI_DATA_DIR"}
    assert child["OLARES_CLI_HOME"] == str(tmp_path / "home")
    assert child["OLARES_CLI_DATA_DIR"] == str(tmp_path / "data")
    assert not [v for v in child.values() if "canary" in v]


def test_a_login_program_sees_no_other_variable(tmp_path: Path) -> None:
    """End to end: a program started for a login prints the names in its environment."""
    service = _service(tmp_path, {**SERVER_ENV, "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    script = "import os; print('NAMES', ' '.join(sorted(os.environ)))"
    try:
        session = service.manager.start([sys.executable, "-c", script], service.child_env(), "alice@olares.com")
        assert session.wait_for_prompt(10) is LoginState.SUCCEEDED
        names = set(session.output.split("NAMES", 1)[1].split())
    finally:
        service.close()
    assert {"OPENAI_API_KEY", "DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"}.isdisjoint(names)
    assert {"PATH", "HOME", "OLARES_CLI_HOME", "OLARES_AUTH_MCP_SERVICE_URL"} <= names


def test_the_operator_can_pass_more_names(tmp_path: Path) -> None:
    """OLARES_AUTH_MCP_LOGIN_ENV (the server's own configuration) names extra variables to pass on."""
    env = {**SERVER_ENV, "OLARES_AUTH_MCP_LOGIN_ENV": " FAKE_EXPECTED_INPUT , DBUS_SESSION_BUS_ADDRESS,"}
    env.update(FAKE_EXPECTED_INPUT="x", DBUS_SESSION_BUS_ADDRESS="unix:path=/run/bus")
    child = _service(tmp_path, env).child_env()
    assert child["FAKE_EXPECTED_INPUT"] == "x" and child["DBUS_SESSION_BUS_ADDRESS"] == "unix:path=/run/bus"
    assert "OPENAI_API_KEY" not in child


@pytest.mark.anyio
async def test_the_page_link_dies_when_the_login_ends_whoever_ends_it(
    tmp_path: Path, fake_env: Callable[..., dict[str, str]], canary: str
) -> None:
    """The link is spent at the login's final transition: here by the program's own exit, by expiry and by a
    cancel, each dead the moment its login ends, with no page request and no status call in between."""
    clock = FakeClock()
    service = LoginService(env={}, home=tmp_path, data_dir=None, redact=lambda s: s, clock=clock)
    try:
        logins = [service.manager.start(fake_argv(), fake_env(), OLARES_ID) for _ in range(3)]
        tokens = []
        for session in logins:
            assert session.wait_for_prompt(10) is LoginState.AWAITING_PASSWORD
            status = service.status_now(session.login_id)  # serves the page: nobody else delivered it
            assert status.delivery == "result" and status.page_url == service.page_url(session.login_id)
            tokens.append(status.page_url.rsplit("/", 1)[1])
            assert service.registry.lookup(tokens[-1]) == (200, session.login_id)
        service.manager.cancel(logins[2].login_id)
        assert service.registry.lookup(tokens[2]) == (410, None)
        assert service.registry.lookup(tokens[0]) == (200, logins[0].login_id)
        service.manager.post_secret(logins[0].login_id, "password", canary)
        assert service.manager.wait_settled(logins[0].login_id, 10).state is LoginState.SUCCEEDED
        assert service.registry.lookup(tokens[0]) == (410, None)
        assert service.registry.lookup(tokens[1]) == (200, logins[1].login_id)
        clock.now += 301
        assert service.manager.sweep() == [logins[1].login_id]
        assert service.registry.lookup(tokens[1]) == (410, None)
        ended = [service.status_now(session.login_id) for session in logins]
    finally:
        service.close()
    assert [status.state for status in ended] == [LoginState.SUCCEEDED, LoginState.EXPIRED, LoginState.CANCELLED]
    assert all(status.page_url is None and status.delivery == "none" for status in ended)
    assert [service.registry.lookup(token) for token in tokens] == [(410, None)] * 3


def test_a_page_token_is_spent_in_exactly_one_place() -> None:
    """Only the page registry's final listener spends a token: its one reference is the subscription, and it is
    the only code that drops a live token or marks one spent (no request handler, tool or use case does)."""
    found = _SpendFinder()
    for path in sorted(Path(olares_auth_mcp.__file__).parent.rglob("*.py")):
        found.file = path.name
        found.visit(ast.parse(path.read_text(encoding="utf-8")))
    assert found.references == ["page.py:SecretPageRegistry.__init__:backend.add_final_listener(self._spend)"]
    page = [where for where in found.marks if where.startswith("page.py:")]
    assert page == ["page.py:SecretPageRegistry._spend"] * 4  # _tokens.pop, _logins.pop, _spent[...], _spent.popitem
    assert {where for where in found.marks if where not in page} == {"confirm.py:ConfirmationRegistry._finish"}


class _SpendFinder(ast.NodeVisitor):
    """Every use of a name that spends and every removal from (or write into) a token table, as
    "file:Class.function"; tables: ``_tokens``, ``_logins``, ``_spent``."""

    def __init__(self) -> None:
        self.file = ""
        self.scope: list[str] = []
        self.references: list[str] = []
        self.marks: list[str] = []

    def _where(self) -> str:
        return f"{self.file}:{'.'.join(self.scope) or '<module>'}"

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "add_final_listener":
            self.references.append(f"{self._where()}:{ast.unparse(node)}")
            self.visit(func)  # the listener's own reference is counted with the call
            return
        if isinstance(func, ast.Attribute) and func.attr in ("pop", "popitem", "clear") and _table(func.value):
            self.marks.append(self._where())
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in ("spend", "_spend"):
            self.references.append(self._where())
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("spend", "_spend"):
            self.references.append(self._where())

    def visit_Subscript(self, node: ast.Subscript) -> None:
        # deleting from any table, or writing into ``_spent`` (a write into the others issues a live token)
        spent = isinstance(node.value, ast.Attribute) and node.value.attr == "_spent"
        if _table(node.value) and (isinstance(node.ctx, ast.Del) or (isinstance(node.ctx, ast.Store) and spent)):
            self.marks.append(self._where())
        self.generic_visit(node)


def _table(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in ("_tokens", "_logins", "_spent")
