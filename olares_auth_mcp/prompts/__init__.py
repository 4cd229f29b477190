"""MCP prompts and guide resources: the auth guide, the error catalogue, and the platform facts.

``register_guides`` and ``register_prompts`` (in ``register``) put them on the server; the
platform knowledge itself (``prompts.platform``) and the guide texts (``guides/*.md``) are plain
data with no ``mcp`` in them. The registration functions load lazily, so importing
``prompts.platform`` does not load the MCP SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from olares_auth_mcp._lazy import lazy_exports

if TYPE_CHECKING:
    from olares_auth_mcp.prompts.register import register_guides, register_prompts

__all__ = ["register_guides", "register_prompts"]

__getattr__, __dir__ = lazy_exports(__name__, {".register": ("register_guides", "register_prompts")})
