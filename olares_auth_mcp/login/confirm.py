"""One-time confirmation pages: the human says yes or no in their own browser, out of the model's reach.

Hosts without form elicitation (most of them, and every host on 2025-03-26) cannot ask the
human "remove this profile?". A ``ConfirmationRegistry`` asks instead on a page of the
same loopback page server as the login page, which the server opens in the human's browser
(``login.browser``); its URL never reaches the model, so the model cannot answer for the
human. Each page names what will happen in fixed words (the facts come from the files on
disk, never from the model), has Confirm and Cancel buttons, works without JavaScript, and
answers once: after an answer or its time-out every request gets 410.

The page shares the login page's guard (Host, Origin, body size, security headers) and adds
a per-page form nonce, so a POST must come from the page itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from html import escape
from typing import Final
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

__all__ = ["CONFIRM_PATH", "Answer", "Confirmation", "ConfirmationRegistry", "Question", "confirm_endpoint"]

CONFIRM_PATH: Final = "/olares-confirm/{token}"
_FORM_TYPE: Final = "application/x-www-form-urlencoded"
_MAX_BODY: Final = 1024


class Answer(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Question:
    """What the human is asked, in fixed words: a heading, facts (one per line), the confirm button's label."""

    title: str
    facts: tuple[str, ...]
    confirm_label: str
    asked_by: str = ""  # the MCP host's name from initialize, when known


@dataclass
class Confirmation:
    """One question waiting for the human. ``key`` names what it is about (e.g. the profile's Olares ID)."""

    confirmation_id: str
    key: str
    question: Question
    expires_at: float
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    answer: Answer = Answer.PENDING


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class ConfirmationRegistry:
    """Pending confirmations, their one-time page tokens, and the answers the human gave."""

    def __init__(
        self, *, ttl: float = 120.0, clock: Callable[[], float] = time.monotonic, max_pending: int = 4
    ) -> None:
        self.ttl = ttl
        self.max_pending = max_pending
        self._clock = clock
        self._cond = threading.Condition()
        self._by_digest: dict[bytes, Confirmation] = {}
        self._tokens: dict[str, str] = {}  # confirmation_id -> token
        self._pending: dict[str, Confirmation] = {}  # confirmation_id -> confirmation
        self._spent: OrderedDict[bytes, None] = OrderedDict()

    def ask(self, key: str, question: Question) -> tuple[Confirmation, str] | None:
        """A new confirmation and its page token, or ``None`` when too many are already waiting.

        A question about a ``key`` that already has one pending replaces nothing: the pending
        one is returned again (token included), so calling twice never opens two pages.
        """
        with self._cond:
            self._expire()
            for pending in self._pending.values():
                if pending.key == key:
                    return pending, self._tokens[pending.confirmation_id]
            if len(self._pending) >= self.max_pending:
                return None
            token = secrets.token_urlsafe(32)
            confirmation = Confirmation(secrets.token_hex(8), key, question, self._clock() + self.ttl)
            self._pending[confirmation.confirmation_id] = confirmation
            self._tokens[confirmation.confirmation_id] = token
            self._by_digest[_digest(token)] = confirmation
            return confirmation, token

    def pending_for(self, key: str) -> Confirmation | None:
        with self._cond:
            self._expire()
            return next((c for c in self._pending.values() if c.key == key), None)

    def wait(self, confirmation: Confirmation, timeout: float) -> Answer:
        """The answer, waiting up to ``timeout`` seconds for one (``PENDING`` when none came)."""
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._cond:
            while True:
                self._expire()
                if confirmation.answer is not Answer.PENDING:
                    return confirmation.answer
                left = deadline - time.monotonic()
                if left <= 0:
                    return Answer.PENDING
                self._cond.wait(min(left, max(confirmation.expires_at - self._clock(), 0.01)))

    def settle(self, confirmation: Confirmation, answer: Answer) -> bool:
        """Record the human's answer (or a cancellation); False when it was no longer pending."""
        with self._cond:
            if confirmation.answer is not Answer.PENDING:
                return False
            self._finish(confirmation, answer)
            return True

    def lookup(self, token: str) -> tuple[int, Confirmation | None]:
        """``(200, c)`` for a live page, ``(410, None)`` for a spent one, ``(404, None)`` else."""
        key = _digest(token)
        with self._cond:
            self._expire()
            confirmation = self._by_digest.get(key)
            if confirmation is not None:
                return 200, confirmation
            return (410 if key in self._spent else 404), None

    def _finish(self, confirmation: Confirmation, answer: Answer) -> None:
        confirmation.answer = answer
        self._pending.pop(confirmation.confirmation_id, None)
        token = self._tokens.pop(confirmation.confirmation_id, None)
        if token is not None:
            digest = _digest(token)
            self._by_digest.pop(digest, None)
            self._spent[digest] = None
            while len(self._spent) > 1024:
                self._spent.popitem(last=False)
        self._cond.notify_all()

    def _expire(self) -> None:
        now = self._clock()
        for confirmation in [c for c in self._pending.values() if c.expires_at <= now]:
            self._finish(confirmation, Answer.EXPIRED)


# -- the page -------------------------------------------------------------------------------------

_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5;"
    "color:#1b1b1b}h1{font-size:1.4rem}ul{padding-left:1.2rem}.row{display:flex;gap:.8rem;margin-top:1.2rem}"
    "button{font-size:1.05rem;padding:.5rem 1.2rem;border-radius:6px;border:1px solid #888;background:#fff}"
    "button.go{background:#b3261e;border-color:#b3261e;color:#fff}.note{color:#555;font-size:.95rem}"
)


def _page(title: str, body: str, status: int) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="same-origin">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )
    return HTMLResponse(html, status_code=status)


def _question_page(confirmation: Confirmation, message: str = "", status: int = 200) -> HTMLResponse:
    question = confirmation.question
    facts = "".join(f"<li>{escape(fact)}</li>" for fact in question.facts)
    asked = f'<p class="note">Asked by {escape(question.asked_by)}.</p>' if question.asked_by else ""
    alert = f'<p role="alert">{escape(message)}</p>' if message else ""
    body = (
        f"<ul>{facts}</ul>{asked}{alert}"
        '<form method="post">'
        f'<input type="hidden" name="nonce" value="{escape(confirmation.nonce)}">'
        '<div class="row">'
        f'<button class="go" type="submit" name="choice" value="confirm">{escape(question.confirm_label)}</button>'
        '<button type="submit" name="choice" value="cancel">Cancel</button>'
        "</div></form>"
        '<p class="note">Only you can answer this page; your assistant does not see it. '
        "It works once, for this one request.</p>"
    )
    return _page(question.title, body, status)


def _gone(status: int) -> HTMLResponse:
    return _page(
        "This link cannot be used",
        "<p>It was already answered, or it expired. If something still needs your answer, your assistant will "
        "open a new page.</p>",
        status,
    )


def confirm_endpoint(registry: ConfirmationRegistry) -> Callable[[Request], object]:
    """The Starlette endpoint for ``CONFIRM_PATH`` (GET shows the question, POST answers it once)."""

    async def endpoint(request: Request) -> Response:
        status, confirmation = registry.lookup(request.path_params["token"])
        if confirmation is None:
            return _gone(status)
        if request.method != "POST":
            return _question_page(confirmation)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != _FORM_TYPE:
            return _question_page(confirmation, "Answer with the buttons on this page.", 415)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > _MAX_BODY:
                return _question_page(confirmation, "Answer with the buttons on this page.", 413)
        try:
            fields = parse_qs(body.decode("utf-8"), errors="strict", max_num_fields=4)
        except ValueError:
            return _question_page(confirmation, "Answer with the buttons on this page.", 400)
        nonce = fields.get("nonce", [""])
        choice = fields.get("choice", [""])
        if len(nonce) != 1 or not hmac.compare_digest(nonce[0].encode(), confirmation.nonce.encode()):
            return _question_page(confirmation, "Answer with the buttons on this page.", 403)
        if len(choice) != 1 or choice[0] not in ("confirm", "cancel"):
            return _question_page(confirmation, "Answer with the buttons on this page.", 400)
        answer = Answer.CONFIRMED if choice[0] == "confirm" else Answer.CANCELLED
        if not registry.settle(confirmation, answer):
            return _gone(410)
        if answer is Answer.CONFIRMED:
            return _page(
                "Confirmed", "<p>Thank you. Your assistant carries it out now; you can close this tab.</p>", 200
            )
        return _page("Cancelled", "<p>Nothing was changed. You can close this tab.</p>", 200)

    return endpoint
