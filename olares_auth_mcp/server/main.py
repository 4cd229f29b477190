"""``olares-auth-mcp`` (stdio) and ``olares-auth-mcp serve --http``: run the server.

Logs go to stderr, never stdout (stdout is the stdio wire). HTTP always needs a bearer
token, on loopback too (another local account could otherwise drive every tool): the one
in ``OLARES_AUTH_MCP_BEARER_TOKEN`` (read from the environment so it never sits in argv),
else one generated once and kept, mode 0600, in ``<config home>/olares-auth-mcp-http-token``;
stderr says where it is, never what it is. Requests without it get 401, except the
secret-entry page (``/olares-login-page/…``), which has its own one-time token and must
answer the human's browser. On a loopback bind the ``Host`` (DNS rebinding) and ``Origin``
headers must name the bound address, in any of its spellings. Binding a non-loopback host
needs ``--allow-remote`` and the token in the environment.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hmac
import ipaddress
import logging
import os
import secrets
import signal
import stat
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from olares_auth_mcp.auth._fs import make_private_dirs
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.server.app import assemble_server, build_server
from olares_auth_mcp.tools.deps import Deps, Transport

__all__ = [
    "TOKEN_FILE_NAME",
    "BearerGate",
    "HttpTokenError",
    "http_app",
    "http_token",
    "is_loopback",
    "loopback_names",
    "serve",
    "transport_for",
]

TOKEN_ENV: Final = "OLARES_AUTH_MCP_BEARER_TOKEN"  # noqa: S105 - the name of the variable, not a token
TOKEN_FILE_NAME: Final = "olares-auth-mcp-http-token"  # noqa: S105 - a file name, not a token
MIN_TOKEN_LENGTH: Final = 32
PAGE_MOUNT: Final = "/olares-login-page"
_MAX_TOKEN_FILE: Final = 4096


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def loopback_names(host: str) -> frozenset[str]:
    """Every spelling a ``Host`` header may use for a loopback bind address (lowercase, IPv6 bracketed).

    ``localhost`` answers as itself, ``127.0.0.1`` and ``[::1]``; an address answers as each of its
    textual forms (``[::1]``, ``[0:0:0:0:0:0:0:1]``, …), and ``127.0.0.1``/``::1`` as ``localhost`` too.
    A non-loopback host gives the empty set (no Host allow-list: the bearer token guards it).
    """
    if host == "localhost":
        return frozenset({"localhost", "127.0.0.1", "[::1]"})
    if not is_loopback(host):
        return frozenset()
    bare = host.removeprefix("[").removesuffix("]").lower()
    address = ipaddress.ip_address(bare)
    if address.version == 4:
        names = {str(address), bare}
    else:
        names = {f"[{spelling}]" for spelling in (bare, address.compressed, address.exploded)}
    if address in (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")):
        names.add("localhost")
    return frozenset(names)


def _normal(name: str) -> str:
    """A host name as the allow-list holds it: IP addresses in their one canonical (compressed) spelling."""
    bare = name.removeprefix("[").removesuffix("]") if name.startswith("[") else name
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return name
    return f"[{address.compressed}]" if address.version == 6 else str(address)


def _split_host(value: str) -> tuple[str, str]:
    """``("[::1]", "8765")`` from ``[::1]:8765``; ``("127.0.0.1", "")`` from ``127.0.0.1``."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value.partition("]")
        if rest and not rest.startswith(":"):
            return "", ""
        return f"{name}]", rest[1:]
    name, _, port = value.partition(":")
    return name, port


class BearerGate:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>``.

    ``hosts`` (a loopback bind's names) makes the gate refuse, before anything else, a ``Host``
    that is not one of them on ``port`` (``0``: any port) and an ``Origin`` that is not
    ``http://`` one of them: 403, the answer a DNS-rebinding page or a foreign site gets.
    Requests under ``open_prefix`` (the secret-entry page, which has its own one-time token
    and Host/Origin guard) pass without the bearer.
    """

    def __init__(
        self,
        app: ASGIApp,
        token: str,
        *,
        hosts: frozenset[str] = frozenset(),
        port: int = 0,
        open_prefix: str | None = None,
    ) -> None:
        if not token:
            raise ValueError("the HTTP transport needs a bearer token")
        self.app = app
        self.expected = f"Bearer {token}".encode()
        self.hosts = frozenset(_normal(name) for name in hosts)
        self.port = str(port) if port else ""
        self.open_prefix = open_prefix.rstrip("/") + "/" if open_prefix else None

    def _host_allowed(self, value: str) -> bool:
        name, port = _split_host(value)
        name = _normal(name)
        if self.port:
            return name in self.hosts and (port == self.port or (port == "" and self.port == "80"))
        return name in self.hosts and (port == "" or port.isdigit())

    def _problem(self, scope: Scope) -> tuple[int, bytes] | None:
        headers: dict[bytes, list[bytes]] = {}
        for key, value in scope.get("headers", []):
            headers.setdefault(key, []).append(value)
        if self.hosts:
            host = headers.get(b"host", [])
            if len(host) != 1 or not self._host_allowed(host[0].decode("latin-1")):
                return 403, b'{"error":"forbidden","message":"this server answers only on its loopback address"}'
            origin = headers.get(b"origin", [])
            if origin and (
                len(origin) != 1
                or not origin[0].lower().startswith(b"http://")
                or not self._host_allowed(origin[0].decode("latin-1")[7:])
            ):
                return 403, b'{"error":"forbidden","message":"cross-origin requests are not accepted"}'
        path = str(scope.get("path", ""))
        if self.open_prefix is not None and path.startswith(self.open_prefix):
            return None
        supplied = headers.get(b"authorization", [b""])
        if len(supplied) != 1 or not hmac.compare_digest(supplied[0], self.expected):
            return 401, b'{"error":"unauthorized","message":"a bearer token is required"}'
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = self._problem(scope)
            if problem is not None:
                status, body = problem
                headers = [(b"content-type", b"application/json")]
                if status == 401:
                    headers.append((b"www-authenticate", b"Bearer"))
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        elif scope["type"] != "lifespan":
            return  # no websockets or anything else past the gate
        await self.app(scope, receive, send)


class HttpTokenError(Exception):
    """The token file cannot be used (wrong owner, loose mode, not a regular file, unreadable)."""


def _read_token_file(path: Path) -> str | None:
    """The token kept in ``path``, or None when there is no such file.

    Raises:
        HttpTokenError: the file is a symlink, not a regular file, not ours, readable by others, or too short.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise HttpTokenError(f"{path} cannot be opened ({err.strerror}); remove it to make a new token") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
            raise HttpTokenError(f"{path} is not a regular file owned by you; remove it to make a new token")
        if stat.S_IMODE(st.st_mode) & 0o077:
            raise HttpTokenError(f"{path} is readable by others; run: chmod 600 {path} (or remove it)")
        token = os.read(fd, _MAX_TOKEN_FILE).decode("utf-8", "replace").strip()
    finally:
        os.close(fd)
    if len(token) < MIN_TOKEN_LENGTH:
        raise HttpTokenError(f"{path} holds no usable token; remove it to make a new one")
    return token


def http_token(env: Mapping[str, str], state_dir: Path) -> tuple[str, str]:
    """The HTTP bearer token and where it came from (for stderr; never the value).

    ``$OLARES_AUTH_MCP_BEARER_TOKEN`` when set; else the token kept in ``<state_dir>/``
    ``olares-auth-mcp-http-token``, created once (``secrets.token_urlsafe(32)``, mode 0600,
    ``O_EXCL|O_NOFOLLOW``) and reused by every later run, so a host's configuration keeps working.

    Raises:
        HttpTokenError: the variable is too short, or the file cannot be used.
    """
    configured = env.get(TOKEN_ENV, "")
    if configured:
        if len(configured) < MIN_TOKEN_LENGTH:
            raise HttpTokenError(f"${TOKEN_ENV} must be at least {MIN_TOKEN_LENGTH} characters")
        return configured, f"${TOKEN_ENV}"
    path = state_dir / TOKEN_FILE_NAME
    existing = _read_token_file(path)
    if existing is not None:
        return existing, str(path)
    make_private_dirs(state_dir)
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:  # another server made it first: use that one
        raced = _read_token_file(path)
        if raced is None:
            raise HttpTokenError(f"{path} vanished while it was being created; start again") from None
        return raced, str(path)
    except OSError as err:
        raise HttpTokenError(f"{path} cannot be created ({err.strerror})") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, f"{token}\n".encode())
        os.fsync(fd)
    except OSError as err:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        raise HttpTokenError(f"{path} cannot be written ({err.strerror})") from None
    os.close(fd)
    return token, str(path)


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


def transport_for(host: str) -> Transport:
    """The transport an HTTP bind on ``host`` is: loopback (the human's machine) or remote."""
    return "loopback-http" if is_loopback(host) else "remote-http"


def _settle() -> None:
    """Everything imported and built at start-up lives as long as the process: move it out of the garbage
    collector's generations (``gc.freeze``), so a full collection walks what calls create, not the ~100,000
    objects of the SDK and pydantic (a ~100 ms pause every few hundred calls of a large listing)."""
    gc.freeze()  # no collect() first: that alone would add a full collection to the cold start


def serve(argv: Sequence[str] = (), runtime: Runtime | None = None) -> int:
    """Serve on ``runtime`` (default: this process's, ``Runtime.from_env()``, built here once)."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # request lines carry URLs; keep them out of logs
    args = _parser().parse_args(list(argv))
    deps = Deps.configured(runtime or Runtime.from_env())
    if deps.paths.warning:
        print(deps.paths.warning, file=sys.stderr)
    if not args.http:
        if sys.stdin.isatty():
            _explain_stdio()
        server = build_server(deps)
        _settle()
        server.run()
        return 0
    if not is_loopback(args.host):
        if not args.allow_remote:
            print(
                f"Error: --host {args.host} is not loopback; pass --allow-remote (and set ${TOKEN_ENV})",
                file=sys.stderr,
            )
            return 2
        if len(deps.env.get(TOKEN_ENV, "")) < MIN_TOKEN_LENGTH:
            print(
                f"Error: a non-loopback bind needs ${TOKEN_ENV} (at least {MIN_TOKEN_LENGTH} characters)",
                file=sys.stderr,
            )
            return 2
    try:
        token, where = http_token(deps.env, deps.paths.home)
    except HttpTokenError as err:
        print(f"Error: the HTTP bearer token: {err}", file=sys.stderr)
        return 2
    import uvicorn

    from olares_auth_mcp.login.page_server import GuardedH11Protocol

    app = http_app(deps, host=args.host, port=args.port, token=token)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        http=GuardedH11Protocol,
        ws="none",
        timeout_keep_alive=5,
    )
    _settle()
    sock = config.bind_socket()  # bound before the banner, so it names the real port (also for --port 0)
    shown = f"[{args.host}]" if ":" in args.host and not args.host.startswith("[") else args.host
    origin = f"comes from ${TOKEN_ENV}" if where == f"${TOKEN_ENV}" else f"is in {where}"
    print(
        f"olares-auth-mcp: serving MCP (streamable HTTP) at http://{shown}:{sock.getsockname()[1]}/mcp; "
        f"clients must send 'Authorization: Bearer <token>', the token {origin} (Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # a Ctrl-C before uvicorn's own handler is in place
        return 130
    return 0


def _explain_stdio() -> None:
    """A human started the stdio server in a terminal: say what it is, and let one Ctrl-C end it.

    With stdin a terminal nobody speaks MCP to us, so there is nothing to finish: Ctrl-C exits at once
    with 130 (128 + SIGINT), no traceback. (The SDK's stdin reader is a thread blocked in ``read``, which
    asyncio's own Ctrl-C handling waits for, so the first Ctrl-C was swallowed and the second left a
    traceback.) asyncio keeps a handler installed before the loop starts.
    """
    print(
        "olares-auth-mcp: an MCP server for Olares login identity. It speaks MCP on stdio and is waiting for an "
        "MCP client; to add it to one, see: olares-auth-mcp install --help  (Ctrl-C to quit)",
        file=sys.stderr,
        flush=True,
    )

    def stop(signum: int, frame: object) -> None:
        os._exit(130)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, stop)


def http_app(deps: Deps, *, host: str, port: int, token: str) -> ASGIApp:
    """The streamable-HTTP ASGI app at ``/mcp``, always behind the bearer gate.

    On a ``127.0.0.1``/``localhost`` bind with a known port the secret-entry page is mounted on
    the same app at ``/olares-login-page`` (reachable without the bearer); otherwise (another
    loopback address, a remote bind, or port 0) it gets its own 127.0.0.1 server. On every
    loopback bind the gate refuses a ``Host``/``Origin`` that does not name the bound address.
    """
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.routing import Mount

    server = assemble_server(replace(deps, transport=transport_for(host)))
    service = server.login  # the page mounted below redacts through the server's one guard
    names = loopback_names(host)
    # On a loopback bind the gate checks Host and Origin (every spelling of the address, by value);
    # the SDK's own check compares strings and would refuse e.g. [0:0:0:0:0:0:0:1] for a ::1 bind.
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False) if names else None
    starlette_app = server.mcp.streamable_http_app(host=host, transport_security=security)
    mounted = host in ("127.0.0.1", "localhost") and bool(port)
    if mounted:
        starlette_app.router.routes.append(Mount(PAGE_MOUNT, app=service.mount_app()))  # type: ignore[arg-type]
        service.registry.base_url = f"http://{host}:{port}{PAGE_MOUNT}"
    return BearerGate(starlette_app, token, hosts=names, port=port, open_prefix=PAGE_MOUNT if mounted else None)
