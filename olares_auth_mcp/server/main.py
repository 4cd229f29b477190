"""``olares-auth-mcp`` (stdio) and ``olares-auth-mcp serve --http``: run the server.

Logs go to stderr, never stdout (stdout is the stdio wire). Binding a non-loopback host
needs ``--allow-remote`` and a bearer token in ``OLARES_AUTH_MCP_BEARER_TOKEN`` (the
token is read from the environment so it never sits in argv); requests without it get 401.
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import logging
import sys
from collections.abc import Sequence
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.server.deps import Deps

__all__ = ["BearerGate", "http_app", "is_loopback", "serve"]

TOKEN_ENV: Final = "OLARES_AUTH_MCP_BEARER_TOKEN"  # noqa: S105 - the name of the variable, not a token
MIN_TOKEN_LENGTH: Final = 32
PAGE_MOUNT: Final = "/olares-login-page"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class BearerGate:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            supplied = dict(scope.get("headers", [])).get(b"authorization", b"")
            if not hmac.compare_digest(supplied, self.expected):
                body = b'{"error":"unauthorized","message":"a bearer token is required"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="olares-auth-mcp serve", description="Serve MCP over stdio or HTTP.")
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765; 0 picks one)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help=f"allow a non-loopback --host; requires a bearer token in ${TOKEN_ENV}",
    )
    return parser


def serve(argv: Sequence[str] = (), deps: Deps | None = None) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # request lines carry URLs; keep them out of logs
    args = _parser().parse_args(list(argv))
    deps = deps or Deps.from_env()
    if deps.paths.warning:
        print(deps.paths.warning, file=sys.stderr)
    if not args.http:
        build_server(deps).run()
        return 0
    token = deps.env.get(TOKEN_ENV, "")
    if not is_loopback(args.host):
        if not args.allow_remote:
            print(
                f"Error: --host {args.host} is not loopback; pass --allow-remote (and set ${TOKEN_ENV})",
                file=sys.stderr,
            )
            return 2
        if len(token) < MIN_TOKEN_LENGTH:
            print(
                f"Error: a non-loopback bind needs ${TOKEN_ENV} (at least {MIN_TOKEN_LENGTH} characters)",
                file=sys.stderr,
            )
            return 2
    import uvicorn

    app = http_app(deps, host=args.host, port=args.port, token=token or None)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


def http_app(deps: Deps, *, host: str, port: int, token: str | None) -> ASGIApp:
    """The streamable-HTTP ASGI app at ``/mcp``, behind the bearer gate when a token is set.

    On a loopback bind with a known port the secret-entry page is mounted on the same app at
    ``/olares-login-page``; otherwise (a remote bind, or port 0) it gets its own 127.0.0.1 server.
    """
    from starlette.routing import Mount

    from olares_auth_mcp.server.app import login_service
    from olares_auth_mcp.tools._guard import Guard

    service = login_service(deps, Guard(deps))
    mcp = build_server(deps, login=service)
    starlette_app = mcp.streamable_http_app(host=host)
    if is_loopback(host) and port:
        starlette_app.router.routes.append(Mount(PAGE_MOUNT, app=service.mount_app()))  # type: ignore[arg-type]
        service.registry.base_url = f"http://{'127.0.0.1' if host != 'localhost' else host}:{port}{PAGE_MOUNT}"
    app: ASGIApp = starlette_app
    return BearerGate(app, token) if token else app
