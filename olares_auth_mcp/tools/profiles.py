"""Profile tools: list, readiness gate, use, remove (human-confirmed), import (from env), whoami, explain.

Each tool validates, makes one call into ``auth``, and shapes a pydantic result;
``Guard.run`` does the rest (secret refusal, error mapping, redaction, audit).
"""

# No `from __future__ import annotations` here: the SDK reads tool signatures (Context) at registration.

from dataclasses import replace
from typing import Annotated

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import InputRequiredResult, ToolAnnotations
from pydantic import Field

from olares_auth_mcp.auth.boundary import DEFAULT_IMPORT_ENV, prepare_agent_import, run_agent_import
from olares_auth_mcp.auth.catalogue import classify
from olares_auth_mcp.auth.commands import import_command, installed_cli
from olares_auth_mcp.auth.errors import (
    AuthError,
    ManagedProfile,
    ProfileNotFound,
)
from olares_auth_mcp.auth.profiles import ProfileRow, profile_rows, remove_profile, use_profile
from olares_auth_mcp.auth.readiness import Readiness, assess, assess_live, environment_hints
from olares_auth_mcp.auth.vault._files import stat_once
from olares_auth_mcp.cli.profile import render_table
from olares_auth_mcp.login.confirm import Question
from olares_auth_mcp.login.service import LoginService
from olares_auth_mcp.server.deps import Deps
from olares_auth_mcp.tools._ask import ask_yes_no, can_ask_form
from olares_auth_mcp.tools._confirm import BrowserConfirmations, Outcome, client_name
from olares_auth_mcp.tools._guard import Guard
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

__all__ = ["hints", "register_profile_tools", "rows_json"]

NETWORK_CONCURRENCY = 8
"""Tool calls that wait on a server at once; the others queue without holding a worker thread, so the
default thread pool (local tools, the SDK's sync tools) always has room."""


def hints(*, read_only: bool, destructive: bool, idempotent: bool, open_world: bool) -> ToolAnnotations:
    """All four hints, always explicit: unset hints default to destructive and open-world."""
    return ToolAnnotations(
        read_only_hint=read_only, destructive_hint=destructive, idempotent_hint=idempotent, open_world_hint=open_world
    )


def _row_model(row: ProfileRow) -> ProfileRowModel:
    return ProfileRowModel(
        name=row.name,
        olares_id=row.olares_id,
        status=str(row.status),
        version=None if row.version == "-" else row.version,
        current=row.current,
        source=row.source,
        expires_in_seconds=row.expires_in_seconds,
        has_refresh_token=row.has_refresh_token,
    )


def rows_json(deps: Deps) -> list[dict[str, object]]:
    """The profile rows as JSON (the ``olares://profiles`` resource)."""
    config = deps.account.store.load()
    return [_row_model(row).model_dump(mode="json") for row in profile_rows(config, deps.vault, now=deps.clock())]


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


def _browser_verdict(outcome: Outcome, what: str, tool: str) -> str | None:
    """Plain words for a browser confirmation that did not say yes (None for a yes, or when none could be asked)."""
    if outcome is Outcome.PENDING:
        return (
            f"{what} yet: the question is open in the human's browser and has no answer yet. Nothing was changed. "
            f"Call {tool} again with the same arguments to keep waiting (no new page is opened)."
        )
    if outcome is Outcome.CANCELLED:
        return f"{what}: the human chose cancel on the confirmation page. Nothing was changed."
    if outcome is Outcome.EXPIRED:
        return f"{what}: the confirmation page expired without an answer. Nothing was changed."
    return None


def register_profile_tools(mcp: MCPServer, guard: Guard, deps: Deps, service: LoginService | None = None) -> None:
    account = deps.account
    browser = BrowserConfirmations(deps, service) if service is not None else None

    async def in_browser(ctx: Context, key: str, question: Question) -> Outcome:
        return Outcome.UNAVAILABLE if browser is None else await browser.confirm(ctx, key, question)

    async def human_confirms(
        ctx: Context,
        *,
        key: str,
        form_key: str,
        form: str,
        page: Question,
        what: str,
        tool: str,
        cannot_ask: str,
        after: str = "",
    ) -> InputRequiredResult | None:
        """Ask the human: by form elicitation where the client has it, else on a one-time page the server opens in
        the human's browser. None when the human said yes; an ``InputRequiredResult`` to hand back (2026-07-28);
        anything else raises a ``ToolError`` in plain words (``what``: "Not removed"; ``after`` is appended).

        ``cannot_ask`` is the refusal when neither way exists; nothing an agent passes can answer for the human.
        """
        if can_ask_form(ctx):
            answer = await ask_yes_no(ctx, form_key, form, timeout=deps.elicitation_timeout)
            if isinstance(answer, InputRequiredResult):
                return answer
            if not answer.yes:
                raise ToolError(answer.refusal(what) + after)
            return None
        verdict = await in_browser(ctx, key, page)
        refusal = _browser_verdict(verdict, what, tool)
        if refusal is not None:
            raise ToolError(refusal + after)
        if verdict is not Outcome.CONFIRMED:
            raise ToolError(cannot_ask)
        return None

    limiters: list[anyio.CapacityLimiter] = []

    def network() -> anyio.CapacityLimiter:
        """The limiter of network-bound calls (created on first use, inside the server's event loop)."""
        if not limiters:
            limiters.append(anyio.CapacityLimiter(NETWORK_CONCURRENCY))
        return limiters[0]

    @mcp.tool(annotations=hints(read_only=True, destructive=False, idempotent=True, open_world=True))
    async def profile_list(
        refresh_version: Annotated[
            bool, Field(description="Re-fetch the current profile's Olares version first (writes a cache)")
        ] = False,
    ) -> ProfileListResult:
        """List Olares profiles with their token status, like `olares-cli profile list`. Never returns a token.

        refresh_version=true re-fetches the current profile's Olares version first (writes a cache).
        """

        def call() -> ProfileListResult:
            warnings = []
            if refresh_version:
                try:
                    account.refresh_version()
                except AuthError as err:
                    warnings.append(f"warning: could not refresh backend version for the current profile: {err}")
            config = account.store.snapshot()
            with stat_once():  # each token file stat-ed once for its row and its permissions, the key file once
                rows = profile_rows(config, deps.vault, now=deps.clock())
                warnings.extend(row.warning for row in rows if row.warning)
                legacy = deps.paths.legacy_tokens_file.exists()
                hints = sorted(environment_hints({str(row.status) for row in rows}, deps.vault, legacy))
            current = config.current()
            return ProfileListResult(
                profiles=[_row_model(row) for row in rows],
                current=current.display_name if current else None,
                table=render_table(rows),
                token_backend=deps.vault.backend,
                warnings=warnings,
                hints=hints,
            )

        def gated() -> ProfileListResult:
            return guard.run("profile_list", {"refresh_version": refresh_version}, call, stores_tokens=refresh_version)

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

        def call() -> ReadinessResult:
            cli = installed_cli(deps.env)
            with stat_once():  # the profile's token file and the key file, stat-ed once for the verdict and hints
                local = assess(account.store.snapshot(), deps.vault, target=profile, now=deps.clock(), cli=cli)
                legacy = deps.paths.legacy_tokens_file.exists()
                accounts = [local.olares_id] if local.olares_id else []
                local = replace(local, hints=environment_hints({local.status}, deps.vault, legacy, accounts))
            if live and local.decision == "proceed":
                local = assess_live(account, local, target=profile, clock=deps.clock, cli=cli)
            return _readiness_model(local)

        def gated() -> ReadinessResult:
            return guard.run(
                "auth_readiness", {"profile": profile, "live": live}, call, profile=profile, stores_tokens=live
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

        return guard.run("profile_use", {"profile": profile}, call, profile=profile, stores_tokens=False)

    @mcp.tool(annotations=hints(read_only=False, destructive=True, idempotent=False, open_world=False))
    async def profile_remove(
        profile: Annotated[str, Field(description="The profile name or Olares ID to remove")], ctx: Context
    ) -> ProfileRemoveResult | InputRequiredResult:
        """Remove a profile and its stored token. Destructive: proceeds only after the human confirms in the client.

        The human is shown the profile's name and Olares ID, and exactly that profile is removed. If the client
        cannot ask the human, it refuses and returns the command the human can run themselves.
        """

        async def call() -> ProfileRemoveResult | InputRequiredResult:
            target = account.store.load().find_profile(profile)  # resolved once; removed below by its Olares ID
            if target is None:
                raise ProfileNotFound(profile)
            if target.managed:
                raise ManagedProfile("remove", target.olares_id, target.app_name)
            asked = await human_confirms(
                ctx,
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
                    f"{installed_cli(deps.env)} profile remove {target.olares_id}"
                ),
            )
            if asked is not None:
                return asked
            olares_id = target.olares_id  # exactly the profile the human was shown, whatever its alias
            result = await anyio.to_thread.run_sync(
                lambda: remove_profile(account.store, deps.vault, olares_id, olares_id=olares_id)
            )
            return ProfileRemoveResult(
                removed=result.removed.display_name,
                olares_id=result.removed.olares_id,
                current=result.current or None,
                remaining=result.remaining,
                lines=result.lines(),
            )

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
            if plan.existing is None:
                command = import_command(installed_cli(deps.env), plan.flags.olares_id, plan.env_name)
                asked = await human_confirms(
                    ctx,
                    key=plan.flags.olares_id,
                    form_key="confirm_import",
                    form=(
                        f"Import a sign-in for the new Olares profile {plan.flags.olares_id}? The refresh token in "
                        f"the server's {plan.env_name} variable will be sent to {plan.destination_host}. Say yes "
                        "only if you asked for this and that is your Olares."
                    ),
                    page=Question(
                        title="Import a sign-in for a new Olares profile?",
                        facts=(
                            f"Olares ID: {plan.flags.olares_id}",
                            f"The refresh token in the server's {plan.env_name} variable is sent to "
                            f"{plan.destination_host}.",
                            "Confirm only if you asked for this and that is your Olares.",
                        ),
                        confirm_label="Import and send the token",
                        asked_by=client_name(ctx),
                    ),
                    what="Not imported",
                    tool="profile_import",
                    cannot_ask=(
                        f"Not imported: {plan.flags.olares_id} is not a profile yet, and importing it needs the "
                        "human's confirmation, which this client cannot ask for and no browser could be opened "
                        f"for. Nothing was sent. The human can run it themselves: {command}"
                    ),
                    after=" Nothing was sent.",
                )
                if asked is not None:
                    return asked
            outcome = await anyio.to_thread.run_sync(
                lambda: run_agent_import(account, plan, switch=switch), limiter=network()
            )
            return ProfileImportResult(
                olares_id=plan.flags.olares_id,
                profile=outcome.persisted.profile.display_name,
                switched=outcome.persisted.switched,
                previous_current=outcome.persisted.previous_current or None,
                role=outcome.role or None,
                lines=outcome.stdout,
                warnings=outcome.stderr,
            )

        return await guard.arun("profile_import", arguments, call, profile=olares_id)

    @mcp.tool(annotations=hints(read_only=True, destructive=False, idempotent=True, open_world=True))
    async def whoami(
        refresh: Annotated[bool, Field(description="Ask the Olares server instead of the cache")] = False,
    ) -> WhoamiModel:
        """The current profile's identity and role (from the cache, or from the server with refresh=true).

        Goes through the refreshing transport: an expired access token is refreshed once, transparently.
        """

        def call() -> WhoamiModel:
            result = account.whoami(refresh=refresh)
            data = result.to_json()
            return WhoamiModel(
                olares_id=result.olares_id,
                name=result.name or None,
                role=result.role,
                role_label=str(data.get("roleLabel") or "(unknown)"),
                source="server" if result.source == "server" else "cache",
                refreshed_at=result.refreshed_at or None,
                previous_role=result.previous_role or None,
                changed=result.changed,
                lines=result.table_lines(),
            )

        return await anyio.to_thread.run_sync(
            lambda: guard.run("whoami", {"refresh": refresh}, call),
            limiter=network(),  # even without refresh: no cached role means a fetch
        )

    @mcp.tool(annotations=hints(read_only=True, destructive=False, idempotent=True, open_world=False))
    def explain_auth_error(
        error_text: Annotated[str, Field(max_length=20_000, description="The error text, as printed")],
    ) -> ErrorExplanation:
        """Classify an olares-cli / Olares API auth error and give its one fix and retry guidance.

        must_login is true only for not-logged-in and invalidated grants; never retry auth errors in a loop.
        """

        def call() -> ErrorExplanation:
            diagnosis = classify(error_text, cli=installed_cli(deps.env))
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

        return guard.run("explain_auth_error", {"error_text": error_text}, call, stores_tokens=False)
