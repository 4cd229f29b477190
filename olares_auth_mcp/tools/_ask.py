"""Ask the human a yes/no question by form elicitation, in both protocol eras, strictly.

Only a JSON boolean ``true`` is a yes. Any other answer (``"true"``, ``1``, ``{}``, no content) is
read as "not confirmed" and reported in plain words: no SDK resolver message, model name or
schema name ever reaches the agent. On 2025-11-25 connections the question is a live
``elicitation/create``; on 2026-07-28 ones it is an ``InputRequiredResult`` whose (sealed,
argument-bound) ``request_state`` carries a digest of the question, so an answer counts only
for the exact question the human saw.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final, Literal

import anyio
from mcp.server.elicitation import render_elicitation_schema
from mcp.server.mcpserver import Context
from mcp.types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from pydantic import BaseModel, Field, StrictBool

__all__ = ["Answer", "YesNo", "ask_yes_no", "can_ask_form"]

_INPUT_REQUIRED_VERSION: Final = "2026-07-28"


class YesNo(BaseModel):
    """The form: one checkbox. Validation is strict (a JSON boolean); see ``Answer.of``."""

    confirm: StrictBool = Field(description="Yes, go ahead")


@dataclass(frozen=True)
class Answer:
    """What the human answered: ``yes`` only for an accepted form whose ``confirm`` is JSON ``true``."""

    action: Literal["accept", "decline", "cancel"]
    yes: bool
    unclear: bool = False  # accepted, but not with a JSON boolean
    timed_out: float | None = None  # no answer within this many seconds (counts as a decline)

    @classmethod
    def of(cls, result: ElicitResult) -> Answer:
        if result.action != "accept":
            return cls(result.action, yes=False)
        content: dict[str, Any] = result.content if isinstance(result.content, dict) else {}
        value = content.get("confirm")
        return cls("accept", yes=value is True, unclear=not isinstance(value, bool))

    def refusal(self, what: str) -> str:
        """Plain words for every answer but a yes, e.g. ``what="Not removed"``."""
        if self.timed_out is not None:
            return f"{what}: the human did not answer within {self.timed_out:g} s. Nothing was changed."
        if self.action != "accept":
            return f"{what}: the human chose {self.action}. Nothing was changed."
        if self.unclear:
            return (
                f"{what}: the answer was not a clear yes (the confirmation must be a checked box, the JSON value "
                "true). Nothing was changed."
            )
        return f"{what}: the human did not confirm. Nothing was changed."


def can_ask_form(ctx: Context) -> bool:
    """The client declared form elicitation (a bare ``elicitation: {}`` counts; URL-only does not)."""
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _uses_input_required(ctx: Context) -> bool:
    return (ctx.protocol_version or "") >= _INPUT_REQUIRED_VERSION  # ISO dates compare as strings


async def ask_yes_no(ctx: Context, key: str, message: str, *, timeout: float = 120.0) -> Answer | InputRequiredResult:
    """Ask ``message``; on 2026-07-28 the first call returns the ``InputRequiredResult`` to hand back.

    ``key`` names the question (e.g. ``"confirm_removal"``). The caller checks ``can_ask_form`` first.
    A live question unanswered after ``timeout`` seconds is a decline (``Answer.timed_out``).
    """
    state = f"ask:{key}:{hashlib.sha256(message.encode('utf-8')).hexdigest()}"
    schema = render_elicitation_schema(YesNo)
    if not _uses_input_required(ctx):
        with anyio.move_on_after(timeout):
            result = await ctx.request_context.session.elicit_form(
                message=message, requested_schema=schema, related_request_id=ctx.request_id
            )
            return Answer.of(result)
        return Answer("cancel", yes=False, timed_out=timeout)
    if ctx.request_state == state:  # the retry that carries the answer to this very question
        answer = (ctx.input_responses or {}).get(key)
        if isinstance(answer, ElicitResult):
            return Answer.of(answer)
    request = ElicitRequest(params=ElicitRequestFormParams(message=message, requested_schema=schema))
    return InputRequiredResult(input_requests={key: request}, request_state=state)
