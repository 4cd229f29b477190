"""Register the guide resources and the prompts on an ``MCPServer``: the auth guide, the error
catalogue, the platform facts (``prompts.platform``) and the two walk-through prompts."""

from __future__ import annotations

import json
from importlib import resources

from mcp.server import MCPServer
from mcp.server.mcpserver.prompts.base import UserMessage

from olares_auth_mcp.auth.catalogue import CATALOGUE, UNCLASSIFIED
from olares_auth_mcp.prompts import platform

__all__ = ["register_guides", "register_prompts"]


def guide_text(name: str) -> str:
    return resources.files("olares_auth_mcp.prompts").joinpath("guides", f"{name}.md").read_text(encoding="utf-8")


def register_guides(mcp: MCPServer) -> None:
    @mcp.resource("olares://guide/auth", mime_type="text/markdown", title="Olares auth guide")
    def auth_guide() -> str:
        """The profile model, the readiness gate, refresh semantics and the security rules."""
        return guide_text("auth")

    @mcp.resource("olares://guide/errors", mime_type="application/json", title="Auth error -> fix catalogue")
    def error_catalogue() -> str:
        """Every auth error olares-cli prints, with its one fix, must_login and retry guidance (JSON)."""
        entries = [entry.to_json() for entry in (*CATALOGUE, UNCLASSIFIED)]
        return json.dumps({"entries": entries}, indent=2, ensure_ascii=False)

    @mcp.resource(
        "olares://platform/model",
        mime_type="text/markdown",
        title="Olares platform model",
        description=(
            f"Storage areas, run identity, namespaces, middleware, versions. Source: {platform.SOURCES['model']}"
        ),
    )
    def platform_model() -> str:
        return platform.load_text("model")

    @mcp.resource(
        "olares://platform/app-states",
        mime_type="text/markdown",
        title="Olares app-state machine",
        description=f"App lifecycle states, allowed operations, TTLs. Source: {platform.SOURCES['app_states']}",
    )
    def platform_app_states() -> str:
        return platform.load_text("app_states")

    @mcp.resource(
        "olares://platform/app-states.json",
        mime_type="application/json",
        title="Olares app-state machine (data)",
        description=f"States, transitions and allowed operations as JSON. Source: {platform.SOURCES['app_states']}",
    )
    def platform_app_states_json() -> str:
        return platform.app_states_json()

    @mcp.resource(
        "olares://skills/routing",
        mime_type="text/markdown",
        title="Olares skill routing map",
        description=f"Which olares-cli skill owns which intent. Source: {platform.SOURCES['routing']}",
    )
    def skills_routing() -> str:
        return platform.load_text("routing")


def register_prompts(mcp: MCPServer) -> None:
    @mcp.prompt(title="Log in to Olares safely")
    def olares_login(olares_id: str) -> list[UserMessage]:
        """Walk through the gate, the login relay and the confirmation for one Olares ID."""
        return [
            UserMessage(
                f"Make sure the Olares profile {olares_id} is logged in, without ever handling its password.\n"
                f"1. Call auth_readiness(profile={json.dumps(olares_id)}). If decision is proceed, stop here: "
                "nothing to do.\n"
                f"2. Otherwise call start_login(olares_id={json.dumps(olares_id)}). The client or the server opens the "
                "secret-entry page for the human; only if the result carries secret_entry_url, show it to the "
                "human: the human types the password there, never in chat.\n"
                "3. Call login_status(login_id, wait_seconds=45) until the state is succeeded, failed, cancelled "
                "or expired. If it is awaiting_totp, the human may type the code on the same page or tell you the "
                "6-8 digits for login_submit_totp.\n"
                "4. On succeeded, call auth_readiness again and report the profile's status. On failed, call "
                "explain_auth_error with the error and follow its fix once; do not loop."
            )
        ]

    @mcp.prompt(title="Recover from an Olares auth error")
    def olares_auth_error(error_text: str) -> list[UserMessage]:
        """Recover from an auth error without retry loops."""
        return [
            UserMessage(
                "An Olares command failed with this error:\n\n"
                f"{error_text}\n\n"
                "1. Call explain_auth_error with that text.\n"
                "2. If must_login is true, follow the gate: auth_readiness, then start_login; the password goes "
                "through the secret-entry page only.\n"
                "3. If transient is true, tell the human and retry later, a few times at most; do not log in again.\n"
                "4. Otherwise apply the one fix it gives, once. Never retry the failing command in a loop."
            )
        ]
