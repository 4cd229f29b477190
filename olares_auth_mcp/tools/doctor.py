"""``auth_doctor``: why is auth broken here? Every local check, the client's reach, and (live) one profile's network.

A thin shell over ``auth.doctor.run_doctor``; the arguments pick a profile on disk, never a host.
"""

# No `from __future__ import annotations`: the SDK reads this signature (Context) at registration.

from typing import Annotated, Literal

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from olares_auth_mcp.auth.doctor import DoctorOptions, SessionReach, run_doctor
from olares_auth_mcp.tools._annotations import hints
from olares_auth_mcp.tools._confirm import local_browser
from olares_auth_mcp.tools._guard import Guard
from olares_auth_mcp.tools.deps import Deps

__all__ = ["DoctorResult", "register_doctor_tool", "session_reach"]


class FindingModel(BaseModel):
    check: str = Field(description="What was checked, e.g. config.parse, vault.master_key, clock, grant")
    status: Literal["ok", "warn", "fail", "skipped"]
    detail: str
    fix: str | None = Field(description="For warn/fail: the one tool call or command that fixes it; else null")


class SessionModel(BaseModel):
    protocol_version: str | None
    form_elicitation: bool
    url_elicitation: bool
    browser: bool = Field(description="This server can open a page in the human's browser (it runs on their machine)")
    login_route: str = Field(
        description="url-elicitation (the client shows the page), browser (the server opens it in the human's "
        "browser) or url-in-result (you show it)"
    )
    confirmation_route: str = Field(
        description="form-elicitation (asked in the client), browser (a page the server opens in the human's "
        "browser) or cli-only (tool refuses)"
    )


class DoctorResult(BaseModel):
    healthy: bool = Field(description="False when any finding failed")
    summary: dict[str, int]
    live: bool
    profile: str | None = Field(description="The profile the live checks ran on")
    session: SessionModel | None
    findings: list[FindingModel]


def session_reach(ctx: Context, *, browser: bool = False) -> SessionReach:
    """What this connection's client declared; a bare ``elicitation: {}`` means form mode."""
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    form = elicitation is not None and (elicitation.form is not None or elicitation.url is None)
    url = elicitation is not None and elicitation.url is not None
    return SessionReach(
        protocol_version=ctx.protocol_version, form_elicitation=form, url_elicitation=url, browser=browser
    )


def register_doctor_tool(mcp: MCPServer, guard: Guard, deps: Deps, options: DoctorOptions | None = None) -> None:
    @mcp.tool(annotations=hints(read_only=True, destructive=False, idempotent=True, open_world=True))
    async def auth_doctor(
        ctx: Context,
        profile: Annotated[
            str | None, Field(description="A profile name or Olares ID (name@domain); default: the current profile")
        ] = None,
        live: Annotated[
            bool, Field(description="Also check the profile's hosts (DNS, TCP, TLS, clock) and its grant")
        ] = False,
    ) -> DoctorResult:
        """Diagnose Olares auth on this machine: run it first when auth_readiness's answer surprises you.

        Checks file modes and owners, config.json, every stored token, the vault backend, olares-cli, locks,
        and how this client can reach the human (login page, confirmations). live=true also checks one
        profile's hosts (DNS, TCP, TLS and its expiry, clock skew) and its grant. Each warn/fail carries one fix.
        """
        session = session_reach(ctx, browser=local_browser(deps) is not None)

        def call() -> DoctorResult:
            report = run_doctor(
                deps.account, profile=profile, live=live, session=session, audience="agent", options=options
            )
            return DoctorResult.model_validate(report.to_json())

        def gated() -> DoctorResult:
            return guard.run("auth_doctor", {"profile": profile, "live": live}, call, profile=profile)

        # file reads, a bounded olares-cli --version, maybe a bounded lock wait or the network: off the event loop
        return await anyio.to_thread.run_sync(gated)
