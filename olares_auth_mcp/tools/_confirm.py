"""A human confirmation on a page the server opens in the human's browser, for clients without form elicitation.

The flow is one function for every tool that needs a yes: ask (a ``Question`` built by the tool
from trusted facts only), open the one-time confirmation page with ``BrowserOpener`` (its URL
never goes into a result: the model cannot answer for the human), wait for the answer with
progress notifications, bounded by ``Deps.confirm_wait`` so a call stays under a 60 s client
timeout. An unanswered question stays open: the same tool called again with the same arguments
finds it (by key and question) and waits again; it never opens a second page. An answer that
arrives between two calls is kept for the next call.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Final

import anyio.to_thread
from mcp.server.mcpserver import Context

from olares_auth_mcp.auth.untrusted import visible_text
from olares_auth_mcp.login.browser import BrowserOpener
from olares_auth_mcp.login.confirm import Answer, Confirmation, Question
from olares_auth_mcp.login.service import LoginService
from olares_auth_mcp.tools.deps import Deps

__all__ = ["BrowserConfirmations", "Outcome", "client_name", "local_browser"]

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
