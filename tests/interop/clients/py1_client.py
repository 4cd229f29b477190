"""Interop client: the MCP Python SDK 1.x (run with .ci/py-mcp1/bin/python, never the project's venv).

Reads one JSON scenario spec on stdin's first line, runs its steps against our server over stdio
or streamable HTTP, and prints JSON lines on stdout: ``{"event": "page", ...}`` when the human's
browser must act (the harness answers with one JSON line on stdin), then ``{"event": "done", ...}``.
The protocol version and the elicitation capability a client of that era declares are set on the
outgoing ``initialize`` by this harness (SDK 1.x always sends its LATEST_PROTOCOL_VERSION).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import time
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import anyio
import httpx
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.message import SessionMessage

FINAL = {"succeeded", "failed", "cancelled", "expired", "already_authenticated"}
CAPS = {"none": None, "form": {}, "form+url": {"form": {}, "url": {}}}


def emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class EraWriter:
    """The write stream, rewriting ``initialize`` to the era under test (version and capabilities)."""

    def __init__(self, inner: Any, version: str, elicitation: str) -> None:
        self.inner, self.version, self.elicitation = inner, version, elicitation

    async def send(self, message: SessionMessage) -> None:
        root = message.message.root
        if isinstance(root, types.JSONRPCRequest) and root.method == "initialize":
            params = dict(root.params or {})
            params["protocolVersion"] = self.version
            capabilities = dict(params.get("capabilities") or {})
            capabilities.pop("elicitation", None)
            if CAPS[self.elicitation] is not None:
                capabilities["elicitation"] = CAPS[self.elicitation]
            params["capabilities"] = capabilities
            root = root.model_copy(update={"params": params})
            message = SessionMessage(message=types.JSONRPCMessage(root), metadata=message.metadata)
        await self.inner.send(message)

    async def __aenter__(self) -> EraWriter:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> Any:
        return await self.inner.__aexit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Connection:
    def __init__(self, name: str, spec: dict[str, Any], stack: AsyncExitStack) -> None:
        self.name, self.spec, self.stack = name, spec, stack
        self.elicitation = spec["connections"][name]["elicitation"]
        self.answer: dict[str, Any] | None = None
        self.seen: list[dict[str, Any]] = []
        self.session: ClientSession | None = None
        self.info: dict[str, Any] = {"elicitation_declared": self.elicitation}

    async def elicit(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        record: dict[str, Any] = {"mode": getattr(params, "mode", "form"), "message": params.message}
        if isinstance(params, types.ElicitRequestURLParams):
            record["url"] = params.url
        else:
            record["requested_schema"] = params.requestedSchema
        self.seen.append(record)
        answer = self.answer or {"action": "decline"}
        if record["mode"] == "url":
            return types.ElicitResult(action=answer["action"])
        return types.ElicitResult(action=answer["action"], content=answer.get("content"))

    async def open(self) -> ClientSession:
        if self.session is not None:
            return self.session
        server = self.spec["server"]
        if self.spec["transport"] == "stdio":
            params = StdioServerParameters(command=server["command"], args=server["args"], env=dict(os.environ))
            read, write = await self.stack.enter_async_context(stdio_client(params))
        else:
            headers = {"Authorization": f"Bearer {server['token']}"}
            http = await self.stack.enter_async_context(httpx.AsyncClient(headers=headers, timeout=60))
            read, write, _ = await self.stack.enter_async_context(
                streamable_http_client(server["url"], http_client=http)
            )
        callback = None if self.elicitation == "none" else self.elicit
        session = ClientSession(
            read,
            EraWriter(write, self.spec["version"], self.elicitation),  # type: ignore[arg-type]
            read_timeout_seconds=timedelta(seconds=self.spec["timeout"]),
            elicitation_callback=callback,
        )
        self.session = await self.stack.enter_async_context(session)
        result = await self.session.initialize()
        self.info["protocol_version"] = result.protocolVersion
        return self.session


def shape(result: types.CallToolResult) -> dict[str, Any]:
    text = "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))
    return {"isError": bool(result.isError), "structuredContent": result.structuredContent, "text": text}


async def call(conn: Connection, tool: str, args: dict[str, Any], answer: dict[str, Any] | None) -> dict[str, Any]:
    session = await conn.open()
    conn.answer, conn.seen = answer, []
    try:
        result = await session.call_tool(tool, args)
        return {"ok": True, "result": shape(result), "elicitations": conn.seen}
    except Exception as err:
        return {"ok": False, "error": f"{type(err).__name__}: {err}", "elicitations": conn.seen}


async def run_step(step: dict[str, Any], conns: dict[str, Connection], ask) -> dict[str, Any]:
    conn = conns[step["conn"]]
    if step["op"] == "list_tools":
        session = await conn.open()
        tools = (await session.list_tools()).tools
        return {
            "ok": True,
            "tools": [t.name for t in tools],
            "with_output_schema": [t.name for t in tools if t.outputSchema],
        }
    if step["op"] == "call":
        return await call(conn, step["tool"], step.get("args", {}), step.get("answer"))
    if step["op"] == "login":
        start = await call(conn, "start_login", {"olares_id": step["olares_id"]}, step.get("answer"))
        out: dict[str, Any] = {"ok": start["ok"], "start": start, "polls": []}
        urls = [e["url"] for e in start["elicitations"] if e.get("url")]
        structured = (start.get("result") or {}).get("structuredContent") or {}
        url, source = (urls[-1], "elicitation") if urls else (structured.get("secret_entry_url"), "result")
        out["url_source"] = source if url else None
        if not url or not structured.get("login_id"):
            return out
        out["page"] = await ask({"event": "page", "id": step["id"], "url": url})
        state = structured.get("state")
        typed = (out["page"] or {}).get("status") == 200
        wait = step["wait_seconds"] if typed else 0  # nothing was typed: one look, no waiting for a password
        for _ in range(step["max_polls"] if typed else 1):
            poll = await call(conn, "login_status", {"login_id": structured["login_id"], "wait_seconds": wait}, None)
            out["polls"].append(poll)
            state = ((poll.get("result") or {}).get("structuredContent") or {}).get("state")
            if not poll["ok"] or state in FINAL:
                break
        out["final_state"] = state
        return out
    raise ValueError(f"unknown op {step['op']!r}")


async def main() -> None:
    spec = json.loads(sys.stdin.readline())

    async def ask(event: dict[str, Any]) -> Any:
        emit(event)
        line = await anyio.to_thread.run_sync(sys.stdin.readline)
        return json.loads(line) if line else None

    steps: dict[str, Any] = {}
    async with AsyncExitStack() as stack:
        conns = {name: Connection(name, spec, stack) for name in spec["connections"]}
        for conn in conns.values():  # opened here, not inside a step: their task groups live on this stack
            started = time.monotonic()
            try:
                await conn.open()
            except Exception as err:
                conn.info["error"] = f"{type(err).__name__}: {err}"
            conn.info["seconds"] = round(time.monotonic() - started, 2)
        for step in spec["steps"]:
            if "error" in conns[step["conn"]].info:
                steps[step["id"]] = {"ok": False, "error": "connection failed"}
                continue
            started = time.monotonic()
            try:
                steps[step["id"]] = await run_step(step, conns, ask)
            except Exception as err:
                steps[step["id"]] = {"ok": False, "error": f"{type(err).__name__}: {err}"}
            steps[step["id"]]["seconds"] = round(time.monotonic() - started, 2)
        version = f"mcp=={importlib.metadata.version('mcp')} on Python {sys.version.split()[0]}"
        emit(
            {
                "event": "done",
                "client_version": version,
                "connections": {n: c.info for n, c in conns.items()},
                "steps": steps,
            }
        )


if __name__ == "__main__":
    anyio.run(main)
