"""The MCP server: assembled from injected dependencies, served over stdio or loopback HTTP.

``Deps`` is everything the server depends on, built once at start-up (``Deps.from_env`` reads
the process environment and hands it down); ``build_server`` assembles the ``MCPServer`` from
it (tools, resources, prompts); ``serve`` is what ``olares-auth-mcp`` (stdio) and
``olares-auth-mcp serve --http`` run. ``server.demo`` is the ``demo`` command. The names load
lazily, so importing ``server.deps`` alone does not load the MCP SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from olares_auth_mcp._lazy import lazy_exports

if TYPE_CHECKING:
    from olares_auth_mcp.server.app import build_server
    from olares_auth_mcp.server.deps import Deps
    from olares_auth_mcp.server.main import serve

__all__ = ["Deps", "build_server", "serve"]

__getattr__, __dir__ = lazy_exports(__name__, {".app": ("build_server",), ".deps": ("Deps",), ".main": ("serve",)})
