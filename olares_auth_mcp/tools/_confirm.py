"""Human confirmations: by form elicitation where the client has it, else on a page opened in the human's browser.

``Confirmations.human_confirms`` is the one flow every tool that needs a yes goes through (a
``Consent`` says what to ask and how to refuse). The browser half, for clients without form
elicitation, is ``BrowserConfirmations``: ask (a ``Question`` built by the tool
from trusted facts only), open the one-time confirmation page with ``BrowserOpener`` (its URL
never goes into a result: the model cannot answer for the human), wait for the answer with
progress notifications, bounded by ``Deps.confirm_wait`` so a call stays under a 60 s client
timeout. An unanswered question stays open: the same tool called again with the same arguments
finds it (by key and question) and waits again; it never opens a second page. An answer that
arrives between two calls is kept for the next call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import InputRequiredResult

from olares_auth_mcp.auth.untrusted import visible_text
from olares_auth_mcp.login.browser import BrowserOpener
from olares_auth_mcp.login.confirm import Answer, Confirmation, Question
from olares_auth_mcp.login.service import LoginService
from olares_auth_mcp.tools._ask import ask_yes_no, can_ask_form
from olares_auth_mcp.tools.deps import Deps

__all__ = ["BrowserConfirmations", "Confirmations", "Consent", "Outcome", "client_name", "local_browser"]

_STEP: Final = 1.0  # seconds between progress notifications


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PENDING = "pending"  # asked, no answer yet: call the tool again to keep waiting
    UNAVAILABLE = "unavailable"  # no browser could be opened (or too many questions are open)


def local_browser(deps: Deps) -> BrowserOpener | None:
    """The opener for the human's browser, when this server runs on the human's machine and may open one."""
    if not deps.on_humans_machine:
        return None
    opener = BrowserOpener(deps.env)
    return opener if opener.available else None


def client_name(ctx: Context) -> str:
    """The client's name from initialize, reduced to plain printable text (it is the client's claim)."""
    params = getattr(ctx.session, "client_params", None)
    info = getattr(params, "client_info", None)
    name = str(getattr(info, "name", "") or "")
    return " ".join(visible_text(name[:240]).split())[:60]  # the page escapes it too


class BrowserConfirmations:
    """Open questions of one server, by key (e.g. the Olares ID), over the login service's confirmation pages."""

    def __init__(self, deps: Deps, service: LoginService) -> None:
        self.deps = deps
        self.service = service
        self._open: dict[str, Confirmation] = {}

    async def confirm(self, ctx: Context, key: str, question: Question) -> Outcome:
        """Ask (or keep waiting for) ``question`` about ``key``; see the module doc."""
        registry = self.service.registry.confirmations
        confirmation = self._open.get(key)
        if confirmation is not None and confirmation.question != question:  # other facts: the old answer is void
            registry.settle(confirmation, Answer.CANCELLED)
            del self._open[key]
            confirmation = None
        if confirmation is None:
            opener = local_browser(self.deps)
            if opener is None:
                return Outcome.UNAVAILABLE
            self.service.page_base_url()
            asked = registry.ask(key, question)
            if asked is None:
                return Outcome.UNAVAILABLE
            confirmation, token = asked
            url = self.service.registry.confirmation_url(token)
            if not await anyio.to_thread.run_sync(opener.open, url):
                registry.settle(confirmation, Answer.CANCELLED)
                return Outcome.UNAVAILABLE
            self._open[key] = confirmation
        answer = await self._wait(ctx, confirmation)
        if answer is not Answer.PENDING:
            self._open.pop(key, None)
        return Outcome(str(answer))

    async def _wait(self, ctx: Context, confirmation: Confirmation) -> Answer:
        registry = self.service.registry.confirmations
        total = max(self.deps.confirm_wait, 0.0)
        started = time.monotonic()
        while True:
            left = total - (time.monotonic() - started)
            answer = await anyio.to_thread.run_sync(registry.wait, confirmation, min(_STEP, max(left, 0.0)))
            if answer is not Answer.PENDING or left <= _STEP:
                return answer
            await ctx.report_progress(min(time.monotonic() - started, total), total, "waiting for the human's answer")


@dataclass(frozen=True)
class Consent:
    """A yes a tool needs from the human before it changes something, in the words of each way of asking.

    ``cannot_ask`` is the refusal when neither way exists; nothing an agent passes can answer for the human.
    """

    key: str  # what it is about (an Olares ID): one open browser question per key
    form_key: str  # the form question's name, e.g. "confirm_removal"
    form: str  # the question as a form shows it
    page: Question  # the question as the browser page shows it (trusted facts only)
    what: str  # the first words of every refusal, e.g. "Not removed"
    tool: str  # the tool the agent calls again while the page waits for an answer
    cannot_ask: str
    after: str = ""  # appended to every refusal, e.g. " Nothing was sent."


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


class Confirmations:
    """The one confirmation flow of a server's tools (browser pages only when it runs logins: ``service``)."""

    def __init__(self, deps: Deps, service: LoginService | None) -> None:
        self.timeout = deps.elicitation_timeout
        self.browser = BrowserConfirmations(deps, service) if service is not None else None

    async def human_confirms(self, ctx: Context, consent: Consent) -> InputRequiredResult | None:
        """Ask the human: by form elicitation where the client has it, else on a one-time page the server opens in
        the human's browser. None when the human said yes; an ``InputRequiredResult`` to hand back (2026-07-28);
        anything else raises a ``ToolError`` in plain words.
        """
        if can_ask_form(ctx):
            answer = await ask_yes_no(ctx, consent.form_key, consent.form, timeout=self.timeout)
            if isinstance(answer, InputRequiredResult):
                return answer
            if not answer.yes:
                raise ToolError(answer.refusal(consent.what) + consent.after)
            return None
        verdict = Outcome.UNAVAILABLE
        if self.browser is not None:
            verdict = await self.browser.confirm(ctx, consent.key, consent.page)
        refusal = _browser_verdict(verdict, consent.what, consent.tool)
        if refusal is not None:
            raise ToolError(refusal + consent.after)
        if verdict is not Outcome.CONFIRMED:
            raise ToolError(consent.cannot_ask)
        return None
