"""Profile tools: list, readiness gate, use, remove (human-confirmed), import (from env), whoami, explain.

Each tool is its signature, one call into ``auth`` and the shaping of a pydantic result;
``Guard.run`` does the rest (error mapping, redaction, audit), and ``Confirmations`` asks the
human where a tool needs a yes. The listing, the one large result, is shaped as the JSON of its
model instead (``Guard.run_data``), which the SDK validates against that model.
"""

# No `from __future__ import annotations` here: the SDK reads tool signatures (Context) at registration.

from typing import Annotated

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import Field

from olares_auth_mcp.auth.account import Account, LoginOutcome, WhoamiResult
from olares_auth_mcp.auth.boundary import DEFAULT_IMPORT_ENV, AgentImport, prepare_agent_import, run_agent_import
from olares_auth_mcp.auth.catalogue import classify
from olares_auth_mcp.auth.commands import import_command, installed_cli
from olares_auth_mcp.auth.config import Profile
from olares_auth_mcp.auth.errors import ManagedProfile, ProfileNotFound
from olares_auth_mcp.auth.profiles import RemoveResult, profile_rows, remove_profile, use_profile
from olares_auth_mcp.auth.readiness import ListingCache, ProfileListing, Readiness, gate, listing
from olares_auth_mcp.login.confirm import Question
from olares_auth_mcp.login.service import LoginService
from olares_auth_mcp.tools._annotations import hints
from olares_auth_mcp.tools._confirm import Confirmations, Consent, client_name
from olares_auth_mcp.tools._guard import Guard
from olares_auth_mcp.tools.deps import Deps
from olares_auth_mcp.tools.models import (
    ErrorExplanation,
    NextActionModel,
    ProfileImportResult,
    ProfileListResult,
    ProfileRemoveResult,
    ProfileRowModel,
    ProfileUseResult,
    ReadinessResult,
    WhoamiModel,
)

__all__ = ["register_profile_tools", "rows_json"]

NETWORK_CONCURRENCY = 8
"""Tool calls that wait on a server at once; the others queue without holding a worker thread, so the
default thread pool (local tools, the SDK's sync tools) always has room."""


def rows_json(deps: Deps) -> list[dict[str, object]]:
    """The profile rows as JSON (the ``olares://profiles`` resource)."""
    config = deps.account.store.load()
    now = deps.clock()
    rows = profile_rows(config, deps.vault, now=now)
    return [ProfileRowModel.model_validate(row.shown(now)).model_dump(mode="json") for row in rows]


def _listing_data(found: ProfileListing) -> dict[str, object]:
    """The listing as ``ProfileListResult``'s JSON, built directly: the SDK validates it against that model."""
    return {
        "profiles": [row.shown(found.now) for row in found.rows],
        "current": found.current,
        "table": found.table,
        "token_backend": found.token_backend,
        "warnings": found.warnings,
        "hints": found.hints,
    }


def _readiness_model(readiness: Readiness) -> ReadinessResult:
    action = readiness.next_action
    return ReadinessResult(
        decision=readiness.decision,
        status=readiness.status,
        reason=readiness.reason,
        next_action=None if action is None else NextActionModel(**vars(action)),
        checked=readiness.checked,
        profile=readiness.profile,
        olares_id=readiness.olares_id,
        expires_in_seconds=readiness.expires_in_seconds,
        hints=readiness.hints,
    )


def _removal_target(account: Account, key: str) -> Profile:
    """The profile ``key`` names, resolved once: the human is shown exactly this one, and exactly it is removed."""
    target = account.store.load().find_profile(key)
    if target is None:
        raise ProfileNotFound(key)
    if target.managed:
        raise ManagedProfile("remove", target.olares_id, target.app_name)
    return target


def _removal_consent(ctx: Context, target: Profile, cli: str) -> Consent:
    return Consent(
        key=target.olares_id,
        form_key="confirm_removal",
        form=(
            f"Remove the Olares profile {target.display_name} ({target.olares_id}) and delete its stored "
            "token from this computer? Logging in again will need the password."
        ),
        page=Question(
            title="Remove an Olares profile?",
            facts=(
                f"Profile: {target.display_name}",
                f"Olares ID: {target.olares_id}",
                "Its stored token is deleted from this computer; logging in again will need the password.",
            ),
            confirm_label="Remove the profile",
            asked_by=client_name(ctx),
        ),
        what="Not removed",
        tool="profile_remove",
        cannot_ask=(
            "Not removed: this client cannot ask the human for confirmation and no browser could be opened "
            "on this computer, and removing a profile needs it. The human can run it themselves: "
            f"{cli} profile remove {target.olares_id}"
        ),
    )


def _removal_model(result: RemoveResult) -> ProfileRemoveResult:
    return ProfileRemoveResult(
        removed=result.removed.display_name,
        olares_id=result.removed.olares_id,
        current=result.current or None,
        remaining=result.remaining,
        lines=result.lines(),
    )


def _import_consent(ctx: Context, plan: AgentImport, cli: str) -> Consent:
    olares_id, env_name, host = plan.flags.olares_id, plan.env_name, plan.destination_host
    return Consent(
        key=olares_id,
        form_key="confirm_import",
        form=(
            f"Import a sign-in for the new Olares profile {olares_id}? The refresh token in the server's "
            f"{env_name} variable will be sent to {host}. Say yes only if you asked for this and that is your Olares."
        ),
        page=Question(
            title="Import a sign-in for a new Olares profile?",
            facts=(
                f"Olares ID: {olares_id}",
                f"The refresh token in the server's {env_name} variable is sent to {host}.",
                "Confirm only if you asked for this and that is your Olares.",
            ),
            confirm_label="Import and send the token",
            asked_by=client_name(ctx),
        ),
        what="Not imported",
        tool="profile_import",
        cannot_ask=(
            f"Not imported: {olares_id} is not a profile yet, and importing it needs the human's confirmation, "
            "which this client cannot ask for and no browser could be opened for. Nothing was sent. The human "
            f"can run it themselves: {import_command(cli, olares_id, env_name)}"
        ),
        after=" Nothing was sent.",
    )


def _import_model(plan: AgentImport, outcome: LoginOutcome) -> ProfileImportResult:
    return ProfileImportResult(
        olares_id=plan.flags.olares_id,
        profile=outcome.persisted.profile.display_name,
        switched=outcome.persisted.switched,
        previous_current=outcome.persisted.previous_current or None,
        role=outcome.role or None,
        lines=outcome.stdout,
        warnings=outcome.stderr,
    )


def _whoami_model(result: WhoamiResult) -> WhoamiModel:
    return WhoamiModel(
        olares_id=result.olares_id,
        name=result.name or None,
        role=result.role,
        role_label=str(result.to_json().get("roleLabel") or "(unknown)"),
        source="server" if result.source == "server" else "cache",
        refreshed_at=result.refreshed_at or None,
        previous_role=result.previous_role or None,
        changed=result.changed,
        lines=result.table_lines(),
    )


def _explanation(error_text: str, cli: str) -> ErrorExplanation:
    diagnosis = classify(error_text, cli=cli)
    entry = diagnosis.entry
    return ErrorExplanation(
        kind=entry.kind,
        summary=entry.summary,
        must_login=entry.must_login,
        transient=entry.transient,
        fix=diagnosis.fix,
        agent_action=entry.agent_action,
        retry=diagnosis.retry,
        olares_id=diagnosis.olares_id,
    )


class _Network:
    """The limiter of network-bound calls, created on first use (inside the server's event loop)."""

    def __init__(self) -> None:
        self._limiter: anyio.CapacityLimiter | None = None

    def __call__(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(NETWORK_CONCURRENCY)
        return self._limiter


def register_profile_tools(mcp: MCPServer, guard: Guard, deps: Deps, service: LoginService | None = None) -> None:
    account = deps.account
    confirmations = Confirmations(deps, service)
    network = _Network()
    listings = ListingCache()  # the last listing's rows and table, for a next one with nothing changed

    @mcp.tool(annotations=hints(read_only=True, destructive=False, idempotent=True, open_world=True))
    async def profile_list(
        refresh_version: Annotated[
            bool, Field(description="Re-fetch the current profile's Olares version first (writes a cache)")
        ] = False,
    ) -> Annotated[CallToolResult, ProfileListResult]:
        """List Olares profiles with their token status, like `olares-cli profile list`. Never returns a token.

        refresh_version=true re-fetches the current profile's Olares version first (writes a cache).
        """

        def call() -> dict[str, object]:
            return _listing_data(listing(account, refresh_version=refresh_version, cache=listings))

        def gated() -> CallToolResult:
            return guard.run_data("profile_list", {"refresh_version": refresh_version}, call)

        return await anyio.to_thread.run_sync(gated, limiter=network() if refresh_version else None)

    @mcp.tool(annotations=hints(read_only=True, destructive=False, idempotent=True, open_world=True))
    async def auth_readiness(
        profile: Annotated[
            str | None, Field(description="A profile name or Olares ID (name@domain); default: the current profile")
        ] = None,
        live: Annotated[bool, Field(description="Also verify the token with the Olares server")] = False,
    ) -> ReadinessResult:
        """The auth-readiness gate: may you run an Olares command now? Call it before any command.

        decision=proceed on logged-in/expired (expired tokens refresh transparently); decision=stop on
        never/invalidated/etc., with next_action naming the tool to call and the olares-cli command.
        profile targets a profile by name or Olares ID without switching; live=true verifies with the server.
        """

        def gated() -> ReadinessResult:
            return guard.run(
                "auth_readiness",
                {"profile": profile, "live": live},
                lambda: _readiness_model(gate(account, target=profile, live=live)),
                profile=profile,
            )

        if live:  # network I/O: keep it off the event loop
            return await anyio.to_thread.run_sync(gated, limiter=network())
        return gated()  # a few local file reads (~0.15 ms): cheaper inline than a hop to a worker thread

    @mcp.tool(annotations=hints(read_only=False, destructive=False, idempotent=False, open_world=False))
    def profile_use(
        profile: Annotated[str, Field(description='The profile name or Olares ID; "-" for the previous one')],
    ) -> ProfileUseResult:
        """Switch the current profile (by name or Olares ID); "-" switches back to the previous one."""

        def call() -> ProfileUseResult:
            result = use_profile(account.store, profile)
            return ProfileUseResult(
                previous=result.previous or None,
                current=result.current,
                olares_id=result.profile.olares_id,
                message=result.message,
            )

        return guard.run("profile_use", {"profile": profile}, call, profile=profile)

    @mcp.tool(annotations=hints(read_only=False, destructive=True, idempotent=False, open_world=False))
    async def profile_remove(
        profile: Annotated[str, Field(description="The profile name or Olares ID to remove")], ctx: Context
    ) -> ProfileRemoveResult | InputRequiredResult:
        """Remove a profile and its stored token. Destructive: proceeds only after the human confirms in the client.

        The human is shown the profile's name and Olares ID, and exactly that profile is removed. If the client
        cannot ask the human, it refuses and returns the command the human can run themselves.
        """

        async def call() -> ProfileRemoveResult | InputRequiredResult:
            target = _removal_target(account, profile)
            asked = await confirmations.human_confirms(ctx, _removal_consent(ctx, target, installed_cli(deps.env)))
            if asked is not None:
                return asked
            olares_id = target.olares_id  # exactly the profile the human was shown, whatever its alias
            result = await anyio.to_thread.run_sync(
                lambda: remove_profile(account.store, deps.vault, olares_id or profile, olares_id=olares_id)
            )
            return _removal_model(result)

        return await guard.arun("profile_remove", {"profile": profile}, call, profile=profile)

    @mcp.tool(annotations=hints(read_only=False, destructive=False, idempotent=False, open_world=True))
    async def profile_import(
        olares_id: Annotated[str, Field(description="The full Olares ID (name@domain)")],
        ctx: Context,
        refresh_token_env: Annotated[
            str, Field(description="The server's environment variable that holds the refresh token (not the token)")
        ] = DEFAULT_IMPORT_ENV,
        name: Annotated[str | None, Field(description="A local name (alias) for a new profile")] = None,
        switch: Annotated[bool, Field(description="Make it the current profile")] = False,
    ) -> ProfileImportResult | InputRequiredResult:
        """Import a refresh token from the MCP server's environment variable (never from an argument).

        Like `olares-cli profile import`, but the token is read from refresh_token_env in the server's own
        environment (OLARES_REFRESH_TOKEN, or a variable the operator lists in OLARES_AUTH_MCP_IMPORT_ENV), so it
        never passes through the conversation. It is sent (exactly one /api/refresh call) only to the auth host
        derived from the Olares ID and the profile's own settings; for an Olares ID that is not a profile yet the
        human confirms that host first. switch=true makes it the current profile (it becomes current anyway when
        there is none).
        """
        arguments = {"olares_id": olares_id, "refresh_token_env": refresh_token_env, "name": name, "switch": switch}

        async def call() -> ProfileImportResult | InputRequiredResult:
            plan = await anyio.to_thread.run_sync(
                lambda: prepare_agent_import(account, olares_id, name, refresh_token_env)
            )
            if plan.existing is None:  # a new profile: the human confirms where the token goes
                asked = await confirmations.human_confirms(ctx, _import_consent(ctx, plan, installed_cli(deps.env)))
                if asked is not None:
                    return asked
            outcome = await anyio.to_thread.run_sync(
                lambda: run_agent_import(account, plan, switch=switch), limiter=network()
            )
            return _import_model(plan, outcome)

        return await guard.arun("profile_import", arguments, call, profile=olares_id)

    @mcp.tool(annotations=hints(read_only=True, destructive=False, idempotent=True, open_world=True))
    async def whoami(
        refresh: Annotated[bool, Field(description="Ask the Olares server instead of the cache")] = False,
    ) -> WhoamiModel:
        """The current profile's identity and role (from the cache, or from the server with refresh=true).

        Goes through the refreshing transport: an expired access token is refreshed once, transparently.
        """
        return await anyio.to_thread.run_sync(
            lambda: guard.run("whoami", {"refresh": refresh}, lambda: _whoami_model(account.whoami(refresh=refresh))),
            limiter=network(),  # even without refresh: no cached role means a fetch
        )

    @mcp.tool(annotations=hints(read_only=True, destructive=False, idempotent=True, open_world=False))
    def explain_auth_error(
        error_text: Annotated[str, Field(max_length=20_000, description="The error text, as printed")],
    ) -> ErrorExplanation:
        """Classify an olares-cli / Olares API auth error and give its one fix and retry guidance.

        must_login is true only for not-logged-in and invalidated grants; never retry auth errors in a loop.
        """
        return guard.run(
            "explain_auth_error",
            {"error_text": error_text},
            lambda: _explanation(error_text, installed_cli(deps.env)),
        )
