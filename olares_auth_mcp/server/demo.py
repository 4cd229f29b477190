"""``olares-auth-mcp demo``: the whole story, on the embedded simulator, in a throwaway home.

A real MCP client (the SDK's) launches the real server over stdio, as Claude Code or Cursor
would, and plays the agent; this process also plays the human beside it, who opens the
secret-entry page and types the password there. Nothing touches the user's own
~/.olares-cli: the home, the keychain directory and the Olares box are all temporary.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx
import pyotp
from mcp import Client, StdioServerParameters
from mcp.client import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitRequestURLParams, ElicitResult, ErrorData

from olares_auth_mcp.sim import Simulator, SimUser

__all__ = ["main"]

OLARES_ID = "alice@olares.com"
ACCESS_TTL = 4  # seconds: short, so the demo can show an expired token being refreshed


class Narrator:
    def __init__(self) -> None:
        self.step = 0
        self.started = time.monotonic()

    def say(self, title: str) -> None:
        self.step += 1
        print(f"\n[{self.step}] {title}  (+{time.monotonic() - self.started:.1f}s)", flush=True)

    @staticmethod
    def show(label: str, value: Any) -> None:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        print(f"    {label}: {text}", flush=True)


def _fields(result: Any, *names: str) -> dict[str, Any]:
    data = result.structured_content or {}
    return {name: data.get(name) for name in names}


def _error_text(result: Any) -> str:
    return str(result.content[0].text).removeprefix("Error executing tool ")


def _type_into_page(url: str, password: str) -> str:
    """What the human does in their browser: open the page, type the password, submit."""
    origin = url.split("/olares-login", 1)[0]
    with httpx.Client(timeout=40) as browser:
        page = browser.get(url)
        page.raise_for_status()
        answer = browser.post(url, data={"password": password}, headers={"Origin": origin})
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", answer.text, re.S)
    return f"HTTP {answer.status_code}, page says: {heading.group(1).strip() if heading else '?'}"


async def _story(sim: Simulator, home: Path, password: str, totp_secret: str) -> int:
    say = Narrator()
    env = {
        **os.environ,
        "OLARES_CLI_HOME": str(home / "olares-cli"),
        "OLARES_CLI_DATA_DIR": str(home / "data"),
        "OLARES_AUTH_MCP_SERVICE_URL": sim.url,
        "OLARES_CLI_NO_SKILL_NOTICE": "1",
    }
    opened: list[str] = []

    async def human(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        if isinstance(params, ElicitRequestURLParams):
            Narrator.show("client shows the human", params.message)
            Narrator.show("URL (loopback, one-time)", params.url)
            opened.append(params.url)
            return ElicitResult(action="accept")  # consent to open the page; the password goes there, not here
        return ElicitResult(action="decline")

    server = StdioServerParameters(command=sys.executable, args=["-m", "olares_auth_mcp"], env=env)
    async with Client(server, elicitation_callback=human) as agent:
        tools = [tool.name for tool in (await agent.list_tools()).tools]
        say.say("The agent connects to olares-auth-mcp over stdio")
        Narrator.show("tools", ", ".join(tools))

        say.say(f"The agent asks the auth-readiness gate before doing anything for {OLARES_ID}")
        gate = await agent.call_tool("auth_readiness", {"profile": OLARES_ID})
        Narrator.show("gate", _fields(gate, "decision", "status", "reason"))
        Narrator.show("next", (gate.structured_content or {}).get("next_action"))

        say.say("start_login: `profile login` runs in a pty, parked at its password prompt")
        started = await agent.call_tool("start_login", {"olares_id": OLARES_ID})
        login = started.structured_content or {}
        Narrator.show("login", {k: login.get(k) for k in ("state", "prompt", "url_delivery")})
        if not opened:
            print("    the client could not open the page; the demo stops here", flush=True)
            return 1

        say.say("The human types the password on the page (the demo does it over HTTP, as a browser would)")
        Narrator.show("page", await anyio.to_thread.run_sync(_type_into_page, opened[0], password))
        status = await agent.call_tool("login_status", {"login_id": login["login_id"]})
        Narrator.show("login", _fields(status, "state", "prompt"))

        say.say("TOTP: the human reads the 6-digit code from their app and tells the agent, which relays it")
        code = pyotp.TOTP(totp_secret).now()
        done = await agent.call_tool("login_submit_totp", {"login_id": login["login_id"], "code": code})
        Narrator.show("login", _fields(done, "state", "exit_code", "profile_status"))
        for line in ((done.structured_content or {}).get("output") or "").splitlines()[-4:]:
            Narrator.show("login program", line)
        Narrator.show("page after the login", f"HTTP {httpx.get(opened[0], timeout=10).status_code} (single use)")

        say.say("profile_list: same rows as `olares-cli profile list`, never a token")
        listing = await agent.call_tool("profile_list", {})
        for line in ((listing.structured_content or {}).get("table") or "").splitlines():
            print(f"    {line}", flush=True)

        say.say(f"Time passes: the access token expires (the simulator issues {ACCESS_TTL}-second tokens)")
        await anyio.sleep(ACCESS_TTL + 0.5)  # the demo waits for a real expiry; tests never do this
        gate = await agent.call_tool("auth_readiness", {})
        Narrator.show("gate", _fields(gate, "decision", "status", "reason"))
        before = sim.hits("/api/refresh")
        who = await agent.call_tool("whoami", {"refresh": True})
        Narrator.show("whoami", _fields(who, "olares_id", "role_label", "source"))
        Narrator.show("refresh calls made transparently", sim.hits("/api/refresh") - before)

        say.say("The server revokes the grant (the user signed out everywhere)")
        sim.revoke_user(OLARES_ID)
        failed = await agent.call_tool("whoami", {"refresh": True})
        error = _error_text(failed)
        Narrator.show("whoami failed", error)
        gate = await agent.call_tool("auth_readiness", {})
        Narrator.show("gate", _fields(gate, "decision", "status"))

        say.say("explain_auth_error gives the one fix, and says not to loop")
        why = await agent.call_tool("explain_auth_error", {"error_text": error})
        Narrator.show("explanation", _fields(why, "kind", "must_login", "fix", "retry"))

    print(
        f"\nDone in {time.monotonic() - say.started:.1f}s. The password and the tokens never crossed the "
        "MCP connection; see olares://guide/auth for the rules.",
        flush=True,
    )
    return 0


def main(argv: Sequence[str] = ()) -> int:
    """Run the demo; returns the exit code."""
    if list(argv) and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    password = "demo-" + os.urandom(6).hex()
    totp_secret = pyotp.random_base32()
    users = [SimUser(OLARES_ID, password, totp_secret=totp_secret)]
    print(
        "olares-auth-mcp demo: an agent logs a human into an Olares box (a local simulator) without ever "
        "seeing the password.",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix="olares-auth-mcp-demo-") as tmp,
        Simulator(users, access_ttl=ACCESS_TTL) as sim,
    ):
        print(f"    simulator: {sim.url}   home: {tmp}", flush=True)
        return anyio.run(_story, sim, Path(tmp), password, totp_secret)
