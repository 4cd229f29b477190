"""Tool listings every host can read: self-contained schemas, no internal names, dedented descriptions.

Pydantic nests models through ``$defs`` and ``$ref``, which some hosts cannot resolve
(TypeScript SDK 1.22 throws in ``tools/list`` and the host then shows no tools at all). The
SDK also titles each input schema ``<function>Arguments``, an internal name, and keeps a
docstring's indentation. ``PortableServer.list_tools`` hands out each tool with its schemas
inlined, those titles dropped and its description dedented; nothing else changes.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, Final

from mcp.server import MCPServer
from mcp.types import Tool

__all__ = ["PortableServer", "inline_refs", "portable_tool"]

_DEFS_PREFIX: Final = "#/$defs/"


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every local ``#/$defs/…`` reference replaced by its definition, and no ``$defs``.

    A recursive model cannot be inlined; its definitions are kept so the schema stays valid.
    """
    defs = schema.get("$defs", {})
    recursive = False

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        nonlocal recursive
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX) and ref[len(_DEFS_PREFIX) :] in defs:
            name = ref[len(_DEFS_PREFIX) :]
            if name in seen:
                recursive = True
                return node
            merged = {**copy.deepcopy(defs[name]), **{k: v for k, v in node.items() if k != "$ref"}}
            return walk(merged, (*seen, name))
        return {key: walk(value, seen) for key, value in node.items() if key != "$defs"}

    inlined: dict[str, Any] = walk(schema, ())
    if recursive:
        inlined["$defs"] = defs
    return inlined


def portable_tool(tool: Tool) -> Tool:
    input_schema = inline_refs(tool.input_schema)
    title = input_schema.get("title")
    if isinstance(title, str) and title.endswith("Arguments"):
        del input_schema["title"]
    output_schema = None if tool.output_schema is None else inline_refs(tool.output_schema)
    description = inspect.cleandoc(tool.description) if tool.description else tool.description
    return tool.model_copy(
        update={"input_schema": input_schema, "output_schema": output_schema, "description": description}
    )


class PortableServer(MCPServer):
    """``MCPServer`` whose ``tools/list`` every host can read (see the module docstring)."""

    async def list_tools(self) -> list[Tool]:
        return [portable_tool(tool) for tool in await super().list_tools()]
