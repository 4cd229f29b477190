"""tools/list that every host can read: no $ref/$defs, no internal titles, dedented descriptions."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from mcp import Client

from olares_auth_mcp.server.app import build_server
from olares_auth_mcp.server.schemas import inline_refs
from olares_auth_mcp.tools.deps import Deps
from tests.helpers import present

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["modern", "legacy"])
def connect(request: pytest.FixtureRequest, deps: Deps) -> Callable[[], Client]:
    return lambda: Client(build_server(deps), mode="legacy" if request.param == "legacy" else "auto")


async def test_every_listed_schema_is_self_contained(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        tools = (await client.list_tools()).tools
    assert tools
    for tool in tools:
        for schema in (tool.input_schema, tool.output_schema or {}):
            text = json.dumps(schema)
            assert "$ref" not in text and "$defs" not in text, tool.name
            assert "Arguments" not in str(schema.get("title", "")), tool.name
        description = tool.description or ""
        assert description and not description[0].isspace(), tool.name
        assert not [line for line in description.splitlines() if line.startswith("    ")], tool.name


async def test_nested_models_are_inlined_where_they_were_referenced(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    rows = present(tools["profile_list"].output_schema)["properties"]["profiles"]["items"]
    assert rows["type"] == "object" and "olares_id" in rows["properties"]


def test_inline_refs_keeps_siblings_and_recursive_definitions() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A", "description": "the a"}, "n": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "A": {"type": "object", "properties": {"x": {"type": "integer"}}},
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}},
        },
    }
    out = inline_refs(schema)
    assert out["properties"]["a"] == {
        "type": "object",
        "properties": {"x": {"type": "integer"}},
        "description": "the a",
    }
    assert out["properties"]["n"]["properties"]["next"] == {"$ref": "#/$defs/Node"}
    assert "Node" in out["$defs"]  # a recursive model stays resolvable
    assert inline_refs({"type": "string"}) == {"type": "string"}


async def test_every_parameter_has_a_description(connect: Callable[..., Client]) -> None:
    async with connect() as client:
        tools = (await client.list_tools()).tools
    missing = [
        f"{tool.name}.{name}"
        for tool in tools
        for name, prop in tool.input_schema.get("properties", {}).items()
        if not str(prop.get("description", "")).strip()
    ]
    assert missing == []
