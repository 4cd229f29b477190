"""The one-time loopback page where a human types the password (and the two-factor code).

``SecretPageRegistry`` hands out, per login, one unguessable token (``token_urlsafe(32)``,
256 bits) and its URL ``<base>/olares-login/<token>``. The URL serves that one login: it
shows a password form, then a code form if the account asks for one; once the login
ends (succeeded, failed, cancelled, expired) every request gets 410 Gone. An unknown
token gets 404 with the very same body, so the page never tells whether a login exists.
A token is spent in one place only: the registry listens to its backend's final
transitions (``PageBackend.add_final_listener``), so a link dies the moment its login
ends, whoever ended it, with no page request needed; the request handlers never spend.

The page works without JavaScript (plain ``<form method="post">``) and serves no script.
``_Guard`` checks every request before the app sees it: the ``Host`` must be
``127.0.0.1:<port>`` or ``localhost:<port>`` of the socket it came in on (DNS rebinding),
a POST's ``Origin``, when present, must be that same origin, and bodies are capped;
every response carries ``SECURITY_HEADERS``. The password is handed to the backend and
dropped: it never reaches a log, a response or an exception text.

The forms name the auth host the secret goes to (the login's ``auth_host``, else the one
olares-cli derives from the Olares ID: ``auth.<name>.<domain>``); with neither, no form is
shown. Nothing the login program or a server wrote is shown: failures and unknown prompts
get fixed sentences. A wrong password or code keeps the link alive while tries are left
(``LoginSession``); the form then says so ("That password didn't work for … 2 tries left.").
Every form also shows which host application asked, the time left (as of the request; no
script) and a Cancel button (``action=cancel``), which ends the login and spends the link.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from olares_auth_mcp.auth.errors import InvalidOlaresID
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.login import _html
from olares_auth_mcp.login.confirm import CONFIRM_PATH, ConfirmationRegistry, confirm_endpoint
from olares_auth_mcp.login.errors import (
    EchoNotDisabled,
    InvalidSecret,
    LoginNotFound,
    LoginStateError,
    PageUnavailable,
)
from olares_auth_mcp.login.manager import FinalListener, LoginView, SecretKind
from olares_auth_mcp.login.relay import LoginState

__all__ = ["PAGE_PATH", "SECURITY_HEADERS", "PageBackend", "SecretPageRegistry", "build_secret_page_app"]

logger = logging.getLogger(__name__)

PAGE_PATH: Final = "/olares-login/{token}"
SECURITY_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost")
_FORM_TYPE: Final = "application/x-www-form-urlencoded"
_T = TypeVar("_T")


class PageBackend(Protocol):
    """What the page needs from the logins (``LoginManager`` is one; tests use a fake)."""

    def view(self, login_id: str) -> LoginView: ...

    def post_secret(self, login_id: str, kind: SecretKind, value: str) -> None: ...

    def wait_settled(self, login_id: str, timeout: float) -> LoginView: ...

    def cancel(self, login_id: str) -> LoginState: ...

    def add_final_listener(self, listener: FinalListener) -> None:
        """Call ``listener(login_id)`` once per login, at its transition into a final state."""


class SecretPageRegistry:
    """Tokens of the secret-entry page, each bound to one login and spent when it ends.

    The registry subscribes to ``backend``'s final transitions when it is built; that listener
    (``_spend``) is the only code that spends a token, and a login heard ending never gets one.
    ``base_url`` is where the app is served (``SecretPageServer.start`` sets it; a host
    app that mounts the page sets it itself). ``settle_timeout`` bounds how long a POST
    waits for the login's next step, ``page_wait`` how long a GET waits for a prompt.
    """

    def __init__(
        self,
        backend: PageBackend,
        *,
        base_url: str | None = None,
        settle_timeout: float = 30.0,
        page_wait: float = 2.0,
        max_body: int = 4096,
        remember_spent: int = 1024,
        confirmations: ConfirmationRegistry | None = None,
    ) -> None:
        self.backend = backend
        self.confirmations = confirmations or ConfirmationRegistry()  # served by the same app
        self.settle_timeout = settle_timeout
        self.page_wait = page_wait
        self.max_body = max_body
        self._remember_spent = remember_spent
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}  # login_id -> token
        self._logins: dict[bytes, str] = {}  # sha256(token) -> login_id; lookups never compare tokens
        self._spent: OrderedDict[bytes, None] = OrderedDict()
        self._ended: OrderedDict[str, None] = OrderedDict()  # logins heard ending: issue() refuses them
        self._base_url: str | None = None
        if base_url is not None:
            self.base_url = base_url
        backend.add_final_listener(self._spend)

    @property
    def base_url(self) -> str | None:
        return self._base_url

    @base_url.setter
    def base_url(self, url: str | None) -> None:
        if url is None:
            self._base_url = None
            return
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname not in _LOOPBACK_NAMES or parts.port is None:
            raise ValueError("the secret-entry page is served on http://127.0.0.1:<port> or localhost only")
        self._base_url = url.rstrip("/")

    def confirmation_url(self, token: str) -> str:
        """The page URL of a confirmation token from ``confirmations.ask``.

        Raises:
            PageUnavailable: no base URL (the page is not served).
        """
        if self._base_url is None:
            raise PageUnavailable("it is not being served")
        return f"{self._base_url}{CONFIRM_PATH.format(token=token)}"

    def url_for(self, login_id: str) -> str:
        """The page URL for this login (the same URL on every call while the login runs).

        Raises:
            PageUnavailable: no base URL (the page is not served).
            LoginNotFound: no such login.
            LoginStateError: the login has already ended.
        """
        if self._base_url is None:
            raise PageUnavailable("it is not being served")
        view = self.backend.view(login_id)
        if view.state.is_final:
            raise LoginStateError(view.state, "open the secret-entry page")
        return f"{self._base_url}{PAGE_PATH.format(token=self.issue(login_id))}"

    def issue(self, login_id: str) -> str:
        """The token for this login, created on first use.

        Raises:
            LoginStateError: the login has been heard ending (it may have ended after a caller's check).
        """
        with self._lock:
            if login_id in self._ended:
                raise LoginStateError("ended", "open the secret-entry page")
            token = self._tokens.get(login_id)
            if token is None:
                token = secrets.token_urlsafe(32)
                self._tokens[login_id] = token
                self._logins[_digest(token)] = login_id
            return token

    def lookup(self, token: str) -> tuple[int, str | None]:
        """``(200, login_id)`` for a live token, ``(410, None)`` for a spent one, ``(404, None)`` else."""
        key = _digest(token)
        with self._lock:
            login_id = self._logins.get(key)
            if login_id is not None:
                return 200, login_id
            return (410 if key in self._spent else 404), None

    def _spend(self, login_id: str) -> None:
        # the backend's final listener, the one place a token is spent: under the ending login's lock, so it only
        # takes the registry's own lock (which is never held while calling into the backend)
        with self._lock:
            self._ended[login_id] = None
            while len(self._ended) > self._remember_spent:
                self._ended.popitem(last=False)
            token = self._tokens.pop(login_id, None)
            if token is None:
                return
            key = _digest(token)
            self._logins.pop(key, None)
            self._spent[key] = None
            while len(self._spent) > self._remember_spent:
                self._spent.popitem(last=False)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def build_secret_page_app(registry: SecretPageRegistry) -> Starlette:
    """The page as a Starlette app: ``GET``/``POST`` ``/olares-login/{token}``, nothing else."""

    async def login_page(request: Request) -> Response:
        status, login_id = registry.lookup(request.path_params["token"])
        if login_id is None:
            return _invalid(status)
        try:
            if request.method == "POST":
                return await _post(registry, request, login_id)
            view = await _in_thread(registry.backend.wait_settled, login_id, registry.page_wait)
        except LoginNotFound:  # forgotten: it ended long ago, and its token with it
            return _invalid(410)
        except Exception as exc:  # a secret may sit in a frame or message: log the type only
            logger.error("secret-entry page: unexpected %s", type(exc).__name__)  # noqa: TRY400 - no traceback
            return _html_response(_html.refused("Something went wrong. Ask your assistant."), 500)
        return _render(view, outcome=False)

    return Starlette(
        routes=[
            Route(PAGE_PATH, login_page, methods=["GET", "POST"]),
            Route(CONFIRM_PATH, confirm_endpoint(registry.confirmations), methods=["GET", "POST"]),
        ],
        middleware=[Middleware(_Guard, max_body=registry.max_body)],
        exception_handlers={HTTPException: _http_error},
    )


async def _post(registry: SecretPageRegistry, request: Request, login_id: str) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM_TYPE:
        return _html_response(_html.refused("Send the form from the login page."), 415)
    body = bytearray()
    async for chunk in request.stream():  # chunked bodies have no Content-Length for _Guard to check
        body += chunk
        if len(body) > registry.max_body:
            return _html_response(_html.refused("The request is too large."), 413)
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=8)
    except ValueError:  # UnicodeDecodeError's text quotes a byte of the body: never show or log it
        return _html_response(_html.refused("The form could not be read."), 400)
    if set(fields) == {"action"} and fields["action"] == ["cancel"]:
        await _in_thread(registry.backend.cancel, login_id)
        view = await _in_thread(registry.backend.view, login_id)  # ended: the token died with it
        if view.state is LoginState.CANCELLED:
            return _html_response(_html.cancelled(view.olares_id), 200)
        return _render(view, outcome=True)  # it had ended already (say, just succeeded)
    submitted: list[tuple[SecretKind, str]] = [(k, fields[k][0]) for k in ("password", "code") if k in fields]
    if len(submitted) != 1 or any(len(fields[k]) != 1 for k, _ in submitted):
        return _html_response(_html.refused("The form could not be read."), 400)
    kind, value = submitted[0]
    if kind == "code":
        value = "".join(value.split())  # "123 456" as some apps display it
    try:
        view = await _in_thread(_submit, registry, login_id, kind, value)
    except InvalidSecret as exc:  # our own text (check_secret), never the value
        view = await _in_thread(registry.backend.view, login_id)
        return _render(view, outcome=False, message=str(exc), status=422)
    except LoginStateError:
        view = await _in_thread(registry.backend.view, login_id)
        return _render(view, outcome=False, message="The login is not waiting for that.", status=409)
    except EchoNotDisabled:
        view = await _in_thread(registry.backend.view, login_id)
        return _render(view, outcome=True, failure=_html.FAILED_ECHO)
    return _render(view, outcome=True, failure=_html.FAILED_CODE if kind == "code" else None)


def _submit(registry: SecretPageRegistry, login_id: str, kind: SecretKind, value: str) -> LoginView:
    registry.backend.post_secret(login_id, kind, value)
    return registry.backend.wait_settled(login_id, registry.settle_timeout)


def _render(
    view: LoginView,
    *,
    outcome: bool,
    message: str | None = None,
    status: int = 200,
    failure: str | None = None,
) -> Response:
    """The page for the login's state; ``outcome``: this request's own submission ended it.

    ``failure`` is the fixed sentence a failed outcome is shown with (default ``FAILED_LOGIN``);
    the login's own ``error`` (the program's text) is never shown here.
    """
    state = view.state
    if state.is_final:  # its token died with it (``SecretPageRegistry._spend``)
        if outcome and state is LoginState.SUCCEEDED:
            return _html_response(_html.succeeded(view.olares_id), 200)
        if outcome and state is LoginState.FAILED:
            if view.wrong is not None and failure != _html.FAILED_ECHO:
                failure = _html.wrong_secret(view.wrong, view.olares_id, 0)
            return _html_response(_html.failed(view.olares_id, failure or _html.FAILED_LOGIN), 200)
        return _invalid(410)
    if state in (LoginState.AWAITING_PASSWORD, LoginState.AWAITING_TOTP):
        host = auth_host(view)
        if host is None:
            return _html_response(_html.no_destination(view.olares_id), 200)
        if message is None and view.wrong is not None:
            restarted = state is LoginState.AWAITING_PASSWORD
            message = _html.wrong_secret(view.wrong, view.olares_id, view.tries_left, restarted=restarted)
        client, left = view.client_name, view.seconds_left
        if state is LoginState.AWAITING_TOTP:
            page = _html.code_form(view.olares_id, host, message, client_name=client, seconds_left=left)
            return _html_response(page, status)
        if outcome and message is None:
            message = "The password was not accepted. Try again."
        page = _html.password_form(view.olares_id, host, message, client_name=client, seconds_left=left)
        return _html_response(page, status)
    if state is LoginState.AWAITING_INPUT:
        return _html_response(_html.unknown_prompt(view.olares_id), status)
    return _html_response(_html.working(view.olares_id), 200)  # starting / verifying


def auth_host(view: LoginView) -> str | None:
    """The host the login's secret goes to: ``view.auth_host``, else ``auth.<name>.<domain>`` as
    olares-cli derives it from a valid Olares ID; ``None`` when neither can be named."""
    if view.auth_host:
        return view.auth_host
    try:
        olares_id = OlaresID.validated(view.olares_id)
    except InvalidOlaresID:
        return None
    return f"auth.{olares_id.terminus_name}"


async def _in_thread(fn: Callable[..., _T], *args: object) -> _T:
    # the backend blocks on condition variables; keep the event loop free
    return await anyio.to_thread.run_sync(functools.partial(fn, *args))


def _html_response(body: str, status: int) -> HTMLResponse:
    return HTMLResponse(body, status_code=status)


def _invalid(status: int) -> HTMLResponse:
    return _html_response(_html.invalid_link(), status)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return _invalid(404)
    return _html_response(_html.refused("This request is not supported."), status)


class _Guard:
    """Host (DNS rebinding), Origin (cross-site POST) and size checks, plus headers on every response."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        problem = self._problem(scope)
        if problem is not None:
            status, text = problem
            await _html_response(_html.refused(text), status)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _problem(self, scope: Scope) -> tuple[int, str] | None:
        headers = Headers(scope=scope)
        server = scope.get("server")
        hosts = headers.getlist("host")
        if not server or len(hosts) != 1:
            return 403, "This page only answers on this computer's loopback address."
        allowed = {f"{name}:{server[1]}" for name in _LOOPBACK_NAMES}
        host = hosts[0].lower()
        if host not in allowed:
            return 403, "This page only answers on this computer's loopback address."
        if scope["method"] not in ("GET", "HEAD"):
            origins = headers.getlist("origin")
            if len(origins) > 1 or (origins and origins[0] != f"http://{host}"):
                return 403, "The form must be sent from the login page itself."
            if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
                return 403, "The form must be sent from the login page itself."
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return 413, "The request is too large."
        return None
