"""The MCP tools: thin adapters from a tool call to one call into ``auth`` or ``login``.

``Deps`` is what they run on: the library's ``Runtime`` plus the server's own settings. Each
``register_*`` function puts one group of tools on an ``MCPServer`` (profiles and the readiness
gate, the login relay, the doctor, the platform's app-state check); ``Guard`` wraps every call
(secret refusal, error mapping, redaction, audit) and ``ArgumentScreen`` screens the arguments
before a tool runs. ``rows_json`` is the profile list the server also serves as a resource. The
server layer (``server.app``) assembles them; the names load lazily, so importing one tool module
does not load the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from olares_auth_mcp._lazy import lazy_exports

if TYPE_CHECKING:
    from olares_auth_mcp.tools._guard import ArgumentScreen, Guard
    from olares_auth_mcp.tools.deps import Deps
    from olares_auth_mcp.tools.doctor import register_doctor_tool
    from olares_auth_mcp.tools.login import register_login_tools
    from olares_auth_mcp.tools.platform import register_platform_tools
    from olares_auth_mcp.tools.profiles import register_profile_tools, rows_json

__all__ = [
    "ArgumentScreen",
    "Deps",
    "Guard",
    "register_doctor_tool",
    "register_login_tools",
    "register_platform_tools",
    "register_profile_tools",
    "rows_json",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "._guard": ("ArgumentScreen", "Guard"),
        ".deps": ("Deps",),
        ".doctor": ("register_doctor_tool",),
        ".login": ("register_login_tools",),
        ".platform": ("register_platform_tools",),
        ".profiles": ("register_profile_tools", "rows_json"),
    },
)
