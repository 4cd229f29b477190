"""``check_app_operation``: may this app operation run in this state? Answered from the app-state data."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from pydantic import Field

from olares_auth_mcp.prompts.platform import OperationCheck, check_app_operation
from olares_auth_mcp.tools._annotations import hints
from olares_auth_mcp.tools._guard import Guard

__all__ = ["register_platform_tools"]


def register_platform_tools(mcp: MCPServer, guard: Guard) -> None:
    @mcp.tool(
        name="check_app_operation",
        annotations=hints(read_only=True, destructive=False, idempotent=True, open_world=False),
    )
    def check_app_operation_tool(
        state: Annotated[str, Field(description="The app's state, e.g. running, downloading, installFailed")],
        operation: Annotated[str, Field(description="install, cancel, uninstall, upgrade, env, stop or resume")],
    ) -> OperationCheck:
        """Whether an app-service operation (install, cancel, uninstall, upgrade, env, stop, resume) is allowed
        in an app state (e.g. running, downloading, installFailed), with the reason. Same data as
        olares://platform/app-states.json."""
        return guard.run(
            "check_app_operation",
            {"state": state, "operation": operation},
            lambda: check_app_operation(state, operation),
        )
