"""The structured results of the MCP tools (pydantic models; never a token)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "ErrorExplanation",
    "NextActionModel",
    "ProfileImportResult",
    "ProfileListResult",
    "ProfileRemoveResult",
    "ProfileRowModel",
    "ProfileUseResult",
    "ReadinessResult",
    "WhoamiModel",
]


class ProfileRowModel(BaseModel):
    name: str = Field(description="Display name: the alias, else the Olares ID")
    olares_id: str
    status: str = Field(description="logged-in, expired, invalidated, never, unknown, pending, ...")
    version: str | None = Field(description="Cached Olares OS version, if known")
    current: bool
    source: str = Field(description="local, platform or platform(<app>)")
    expires_in_seconds: int | None = Field(description="Seconds until the access token's exp (negative: expired)")
    has_refresh_token: bool


class ProfileListResult(BaseModel):
    profiles: list[ProfileRowModel]
    current: str | None
    table: str = Field(description="The same listing as olares-cli's `profile list` table")
    token_backend: str = Field(description="Where tokens are kept: file, system-keychain, file-fallback, ...")
    warnings: list[str] = Field(default_factory=list)
    hints: list[str] = Field(default_factory=list)


class NextActionModel(BaseModel):
    tool: str = Field(description='The MCP tool to call next ("none": only the human can do it, see ask_human)')
    arguments: dict[str, object] = Field(
        description="Complete arguments, callable as given; empty when ask_human names what to ask first"
    )
    command: str = Field(description="The equivalent command a human could run (olares-cli, else olares-auth-mcp)")
    ask_human: str | None = Field(
        default=None,
        description="Set when the human must answer first (e.g. their Olares ID): ask them, then call the tool "
        "with what they said. Never fill arguments with a guess or a placeholder.",
    )


class ReadinessResult(BaseModel):
    decision: Literal["proceed", "stop"]
    status: str
    reason: str
    next_action: NextActionModel | None
    checked: Literal["local", "server"]
    profile: str | None
    olares_id: str | None
    expires_in_seconds: int | None
    hints: list[str] = Field(default_factory=list)


class ProfileUseResult(BaseModel):
    previous: str | None
    current: str
    olares_id: str
    message: str


class ProfileRemoveResult(BaseModel):
    removed: str
    olares_id: str
    current: str | None
    remaining: int
    lines: list[str] = Field(description="olares-cli's output for the same removal")


class ProfileImportResult(BaseModel):
    olares_id: str
    profile: str
    switched: bool
    previous_current: str | None
    role: str | None
    lines: list[str]
    warnings: list[str]


class ErrorExplanation(BaseModel):
    kind: str
    summary: str
    must_login: bool = Field(description="True only when logging in is the fix (not logged in, dead grant)")
    transient: bool = Field(description="Retrying later may help; logging in will not")
    fix: str = Field(description="The one command that fixes it")
    agent_action: str = Field(description="The MCP tool that does the same")
    retry: str = Field(description="Retry guidance; never loop on auth errors")
    olares_id: str | None


class WhoamiModel(BaseModel):
    olares_id: str
    name: str | None
    role: str
    role_label: str
    source: Literal["cache", "server"]
    refreshed_at: int | None
    previous_role: str | None
    changed: bool
    lines: list[str]
