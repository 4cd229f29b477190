"""``build_server(deps)``: the MCP server, assembled from injected dependencies. No module-level server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from mcp.server import MCPServer

from olares_auth_mcp import __version__
from olares_auth_mcp.login.service import LoginService
from olares_auth_mcp.prompts import register_guides, register_prompts
from olares_auth_mcp.server.schemas import PortableServer
from olares_auth_mcp.tools._guard import ArgumentScreen, Guard
from olares_auth_mcp.tools.deps import Deps
from olares_auth_mcp.tools.doctor import register_doctor_tool
from olares_auth_mcp.tools.login import register_login_tools
from olares_auth_mcp.tools.platform import register_platform_tools
from olares_auth_mcp.tools.profiles import register_profile_tools, rows_json

__all__ = ["INSTRUCTIONS", "Server", "assemble_server", "build_server", "login_service"]

INSTRUCTIONS = """\
Handles the login identity of an Olares personal cloud, on the same files as olares-cli.
Before any Olares command: call auth_readiness and obey its decision (proceed / stop + next_action).
Never ask the human for a password or token in chat; logins go through start_login and a secret-entry page.
On any auth error: explain_auth_error, apply its one fix once; never retry auth errors in a loop.
When the gate's answer surprises you, run auth_doctor: it finds why auth is broken here, one fix per cause.
Read olares://guide/auth for the model and the rules."""


def login_service(deps: Deps, guard: Guard) -> LoginService:
    """The server's login service: its pages and children redact through ``guard`` (the server's one)."""
    return LoginService(
        env=deps.env,
        home=deps.paths.home,
        data_dir=deps.paths.data_dir,
        redact=guard.redactor.text,
        ttl=deps.login_timeout,
        max_sessions=deps.max_logins,
        clock=deps.login_clock,
        account=deps.account,
    )


@dataclass(frozen=True)
class Server:
    """One server: the MCP server, its one ``Guard`` (one secret cache, one audit trail) and its login service.

    The HTTP transport mounts ``login``'s page on its own app; the guard is shared by the tools, the
    argument screen and the login pages.
    """

    mcp: MCPServer
    guard: Guard
    login: LoginService


def build_server(deps: Deps) -> MCPServer:
    """The MCP server on ``deps`` (see ``assemble_server`` for its guard and login service)."""
    return assemble_server(deps).mcp


def assemble_server(deps: Deps) -> Server:
    """The server, its guard and its login service, each made once, here."""
    guard = Guard(deps)
    service = login_service(deps, guard)

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            service.close()  # login processes never outlive the server

    mcp = PortableServer(
        "olares-auth-mcp",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        middleware=[ArgumentScreen(guard)],
    )
    register_profile_tools(mcp, guard, deps, service)
    register_login_tools(mcp, guard, deps, service)
    register_platform_tools(mcp, guard)
    register_doctor_tool(mcp, guard, deps)
    register_guides(mcp)
    register_prompts(mcp)

    @mcp.resource("olares://profiles", mime_type="application/json", title="Olares profiles")
    def profiles_resource() -> str:
        """The profiles as JSON rows (as profile_list returns them); never a token."""
        return json.dumps(guard.redactor.value(rows_json(deps)), indent=2)

    return Server(mcp=mcp, guard=guard, login=service)
