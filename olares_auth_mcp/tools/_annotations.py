"""The tool annotations every tool declares: all four hints, always explicit."""

from __future__ import annotations

from mcp.types import ToolAnnotations

__all__ = ["hints"]


def hints(*, read_only: bool, destructive: bool, idempotent: bool, open_world: bool) -> ToolAnnotations:
    """All four hints, always explicit: unset hints default to destructive and open-world."""
    return ToolAnnotations(
        read_only_hint=read_only, destructive_hint=destructive, idempotent_hint=idempotent, open_world_hint=open_world
    )
