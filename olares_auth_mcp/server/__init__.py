"""The MCP server: assembled from injected dependencies, served over stdio or loopback HTTP.

``serve`` is what ``olares-auth-mcp`` (stdio) and ``olares-auth-mcp serve --http`` run: it builds
the one ``auth.runtime.Runtime`` of the process, wraps it with the server's settings in a
``tools.deps.Deps``, and hands that to ``assemble_server``, which puts the tools, resources and
prompts on an ``MCPServer`` around one ``Guard`` and one login service (``build_server`` returns
just the ``MCPServer``). ``server.demo`` is the ``demo`` command. The names load lazily, so
importing the package does not load the MCP SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from olares_auth_mcp._lazy import lazy_exports

if TYPE_CHECKING:
    from olares_auth_mcp.server.app import assemble_server, build_server
    from olares_auth_mcp.server.main import serve

__all__ = ["assemble_server", "build_server", "serve"]

__getattr__, __dir__ = lazy_exports(__name__, {".app": ("assemble_server", "build_server"), ".main": ("serve",)})
