"""Running one interop client script against our server: the matrix, the seeded home, the HTTP server, the browser.

A *combo* is (client, protocol version, transport). For each combo the client script (``clients/``) gets one
JSON spec on stdin and runs every step in one go (one or two MCP connections); the only thing it asks back is the
human's browser, which ``run_client`` plays with ``type_into_page`` (GET, then a same-origin form POST).
"""

from __future__ import annotations

import functools
import json
import os
import queue
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import file_vault
from tests.conftest import ALICE_PASSWORD
from tests.helpers import make_jwt

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / ".ci"
CLIENTS = Path(__file__).with_name("clients")
BROWSER_HUMAN = Path(__file__).with_name("browser_human.py")

# The pins live in .ci/tools/interop.sh (which installs them); these paths are where it puts them.
TS_SDK1 = CI / "npm" / "ts-sdk1"  # @modelcontextprotocol/sdk 1.x
TS_CLIENT2 = CI / "npm" / "ts-client2"  # @modelcontextprotocol/client 2.x
PY_MCP1 = CI / "py-mcp1" / "bin" / "python"  # mcp 1.x in its own venv

MODERN = "2026-07-28"
# What a client of each era declares: no elicitation before 2025-06-18, form only there, URL mode from 2025-11-25.
ELICITATION = {"2025-03-26": "none", "2025-06-18": "form", "2025-11-25": "form+url", MODERN: "form+url"}
VERSIONS = {
    "ts-sdk1": ("2025-03-26", "2025-06-18", "2025-11-25"),
    "ts-client2": ("2025-11-25", MODERN),
    "py-mcp1": ("2025-03-26", "2025-06-18", "2025-11-25"),
}
TRANSPORTS = ("stdio", "http")

FIRST, SECOND = "first@olares.com", "second@olares.com"  # the seeded profiles: FIRST is current and logged in
REQUEST_TIMEOUT = 60  # seconds, per MCP request inside the client script
RUN_TIMEOUT = 240  # seconds, the whole script for one combo (server start-ups included)


@dataclass(frozen=True)
class Combo:
    client: str
    version: str
    transport: str

    @property
    def id(self) -> str:
        return f"{self.client}-{self.version}-{self.transport}"

    @property
    def elicitation(self) -> str:
        return ELICITATION[self.version]


COMBOS = [Combo(c, v, t) for c, versions in VERSIONS.items() for v in versions for t in TRANSPORTS]


@dataclass
class Outcome:
    combo: Combo
    paths: Paths
    spec: dict[str, Any]
    report: dict[str, Any]
    pages: list[dict[str, Any]] = field(default_factory=list)
    stderr: str = ""
    seconds: float = 0.0

    def step(self, name: str) -> dict[str, Any]:
        assert name in self.report["steps"], f"step {name} did not run; client stderr:\n{self.stderr[-3000:]}"
        step: dict[str, Any] = self.report["steps"][name]
        return step

    def connection(self, name: str) -> dict[str, Any]:
        connection: dict[str, Any] = self.report["connections"][name]
        return connection


# ---------------------------------------------------------------- what is installed


def node_binary() -> Path | None:
    """Node >= 20: the pinned Node 22 that .ci/tools/node22.sh installs, else the machine's own."""
    pinned = sorted((CI / "node" / "node_modules").glob("node-linux-*/bin/node"))
    for candidate in [*pinned, shutil.which("node")]:
        if candidate is None:
            continue
        try:
            version = subprocess.run(
                [str(candidate), "--version"], capture_output=True, text=True, timeout=20, check=False
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        if version.startswith("v") and int(version[1:].split(".")[0]) >= 20:
            return Path(candidate)
    return None


@functools.cache
def client_command(client: str) -> tuple[list[str], dict[str, str]] | str:
    """The argv and extra spec fields to run ``client``, or why it cannot run here (a skip reason)."""
    install = "run `bash .ci/tools/interop.sh` (CI does, from .ci/run)"
    if client == "py-mcp1":
        if not PY_MCP1.exists():
            return f"the Python SDK 1.x venv {PY_MCP1.relative_to(ROOT)} is absent: {install}"
        return [str(PY_MCP1), str(CLIENTS / "py1_client.py")], {}
    node = node_binary()
    if node is None:
        return f"Node.js >= 20 is absent: {install}"
    modules, package = {"ts-sdk1": (TS_SDK1, "sdk"), "ts-client2": (TS_CLIENT2, "client")}[client]
    if not (modules / "node_modules" / "@modelcontextprotocol" / package / "package.json").exists():
        return f"npm @modelcontextprotocol/{package} is not installed in {modules.relative_to(ROOT)}: {install}"
    return [str(node), str(CLIENTS / "ts_client.mjs")], {"sdk": client, "modules": str(modules)}


# ---------------------------------------------------------------- the server side


def seed_home(root: Path) -> Paths:
    """Two profiles: FIRST (current, a valid-looking token) and SECOND (never logged in)."""
    paths = Paths(home=root / "home", keychain_dir=root / "data" / "olares-cli", platform="linux")
    ConfigStore(paths).mutate(lambda c: (c.upsert(Profile(FIRST)), c.upsert(Profile(SECOND)), c.set_current(FIRST)))
    access = make_jwt({"exp": int(time.time()) + 86400, "username": "first"})
    file_vault(paths).set(TokenRecord(FIRST, access_token=access, refresh_token="rt-interop-first-0123456789"))
    return paths


def server_env(paths: Paths, service_url: str, root: Path, browser: str | None = None) -> dict[str, str]:
    """The server's environment: this machine's, minus any olares state and any browser the server could open.

    ``browser`` ("confirm" or "cancel") gives the server a display and a ``$BROWSER`` that plays the human at
    a confirmation page (``BROWSER_HUMAN``): it GETs the page it is handed and presses that button. It opens
    nothing else, so a login URL still comes back in the result.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("OLARES_")}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        env.pop(name, None)
    env.update(
        HOME=str(root / "user-home"),
        OLARES_CLI_HOME=str(paths.home),
        OLARES_CLI_DATA_DIR=str(paths.keychain_dir.parent),
        OLARES_AUTH_MCP_SERVICE_URL=service_url,
        # No browser is opened by the server here: the URL reaches the human by elicitation or in the result.
        OLARES_AUTH_MCP_OPEN_BROWSER="0",
    )
    if browser is not None:
        opened = root / "browser-opened.txt"
        env.update(
            OLARES_AUTH_MCP_OPEN_BROWSER="1",
            DISPLAY=":99",  # no real display is used: $BROWSER is the script below
            BROWSER=f"{sys.executable} {BROWSER_HUMAN} {browser} {opened} %s",
        )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HttpServer:
    """``olares-auth-mcp serve --http`` on loopback with a bearer token, in a subprocess."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.token = secrets.token_urlsafe(32)  # 43 characters
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "olares_auth_mcp", "serve", "--http", "--port", str(self.port)],
            env={**env, "OLARES_AUTH_MCP_BEARER_TOKEN": self.token},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> bool:
        """Until the port accepts a connection (bounded). False if the server exited (the port was taken)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"serve --http did not listen on {self.port} within {timeout}s") from None
                time.sleep(0.05)  # a poll interval, not a synchronisation: readiness is the accepted connection

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


# ---------------------------------------------------------------- the scenario


def steps_for(combo: Combo) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The connections and steps for one combo. Without elicitation in the era, one connection does everything."""
    connections: dict[str, dict[str, str]] = {"main": {"elicitation": combo.elicitation}}
    bare = "main"
    if combo.elicitation != "none":
        connections["bare"] = {"elicitation": "none"}
        bare = "bare"
    steps: list[dict[str, Any]] = [
        {"id": "tools", "conn": "main", "op": "list_tools"},
        {"id": "gate", "conn": "main", "op": "call", "tool": "auth_readiness", "args": {}},
        {"id": "list", "conn": "main", "op": "call", "tool": "profile_list", "args": {}},
    ]
    if combo.elicitation != "none":
        steps += [
            {
                "id": "remove_accept",
                "conn": "main",
                "op": "call",
                "tool": "profile_remove",
                "args": {"profile": FIRST},
                "answer": {"action": "accept", "content": {"confirm": True}},
            },
            {
                "id": "remove_decline",
                "conn": "main",
                "op": "call",
                "tool": "profile_remove",
                "args": {"profile": SECOND},
                "answer": {"action": "decline"},
            },
        ]
    steps += [
        {
            "id": "remove_no_capability",
            "conn": bare,
            "op": "call",
            "tool": "profile_remove",
            "args": {"profile": SECOND},
        },
        {"id": "list_after", "conn": bare, "op": "call", "tool": "profile_list", "args": {}},
        {
            "id": "login",
            "conn": "main",
            "op": "login",
            "olares_id": "alice@olares.com",
            "answer": {"action": "accept"},
            "wait_seconds": 20,
            "max_polls": 4,
        },
    ]
    return connections, steps


def is_loopback_page(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and parts.port is not None


def browser(url: str) -> dict[str, Any]:
    """The human's browser on the page (as ``type_into_page``, but reporting instead of asserting): only ever a
    loopback URL; GET it, then POST the password form same-origin, with no credentials of the MCP client."""
    if not is_loopback_page(url):
        return {"status": None, "refused": "not a loopback page"}
    origin = url.split("/olares-login", 1)[0]
    with httpx.Client(timeout=40) as client:
        shown = client.get(url)
        if shown.status_code != 200:
            return {"status": shown.status_code, "step": "GET", "body": shown.text[:300]}
        answer = client.post(url, data={"password": ALICE_PASSWORD}, headers={"Origin": origin})
    return {"status": answer.status_code, "step": "POST", "body": answer.text[:300]}


def run_client(
    argv: list[str], spec: dict[str, Any], env: dict[str, str], stderr_path: Path
) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """Run one client script to completion (bounded), answering its page requests as the human's browser."""
    pages: list[dict[str, Any]] = []
    lines: queue.Queue[str | None] = queue.Queue()
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, cwd=ROOT
        )
        assert process.stdin is not None and process.stdout is not None
        stdout = process.stdout

        def pump() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        process.stdin.write(json.dumps(spec) + "\n")
        process.stdin.flush()
        deadline = time.monotonic() + RUN_TIMEOUT
        report: dict[str, Any] | None = None
        try:
            while report is None:
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise AssertionError(f"the client did not finish within {RUN_TIMEOUT}s") from None
                if line is None:
                    break
                event = json.loads(line)
                if event["event"] == "page":
                    answer = browser(event["url"])
                    pages.append({"url": event["url"], **answer})
                    process.stdin.write(json.dumps(answer) + "\n")
                    process.stdin.flush()
                elif event["event"] == "done":
                    report = event
            process.stdin.close()
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    text = stderr_path.read_text(errors="replace")
    assert report is not None, f"the client exited ({process.returncode}) without a report; stderr:\n{text[-3000:]}"
    return report, pages, text


def browser_page_steps() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A connection without elicitation removes SECOND: the server must ask on its browser page."""
    steps: list[dict[str, Any]] = [
        {"id": "remove_by_page", "conn": "bare", "op": "call", "tool": "profile_remove", "args": {"profile": SECOND}},
        {"id": "list_after", "conn": "bare", "op": "call", "tool": "profile_list", "args": {}},
    ]
    return {"bare": {"elicitation": "none"}}, steps


def run_combo(combo: Combo, service_url: str, root: Path, *, browser: str | None = None) -> Outcome:
    """One client over one transport at one protocol version, every scenario, on a fresh seeded home.

    With ``browser`` ("confirm"/"cancel") only the browser-page confirmation scenario runs (``browser_page_steps``).
    """
    command = client_command(combo.client)
    assert not isinstance(command, str), command
    argv, extra = command
    paths = seed_home(root)
    env = server_env(paths, service_url, root, browser)
    connections, steps = steps_for(combo) if browser is None else browser_page_steps()
    spec: dict[str, Any] = {
        "client": combo.client,
        "version": combo.version,
        "transport": combo.transport,
        "timeout": REQUEST_TIMEOUT,
        "connections": connections,
        "steps": steps,
        **extra,
    }
    started = time.monotonic()
    server = None
    if combo.transport == "stdio":
        spec["server"] = {"command": sys.executable, "args": ["-m", "olares_auth_mcp"]}
    else:
        for attempt in range(3):  # a free port can be taken between our probe and the server's bind: retry then
            server = HttpServer(env, root / f"serve-{attempt}.log")
            if server.wait_ready():
                break
            server.stop()
        else:
            raise AssertionError(f"serve --http exited at start three times; see {root}/serve-*.log")
        spec["server"] = {"url": server.url, "token": server.token}
    try:
        report, pages, stderr = run_client(argv, spec, env, root / "client.err")
    finally:
        if server is not None:
            server.stop()
    seconds = round(time.monotonic() - started, 1)
    return Outcome(combo=combo, paths=paths, spec=spec, report=report, pages=pages, stderr=stderr, seconds=seconds)
