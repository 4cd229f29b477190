"""CI only: a loopback proxy that adds the bearer token to every request for a client that cannot.

`serve --http` always requires `Authorization: Bearer <token>`, and the MCP conformance suite
has no option to send a header. This proxy listens on 127.0.0.1:LISTEN_PORT and forwards each
connection to 127.0.0.1:TARGET_PORT with `Authorization: Bearer $OLARES_AUTH_MCP_BEARER_TOKEN`
added to the request head (one request per connection: `Connection: close`). A `Host` or `Origin`
naming the proxy itself is rewritten to the server's own address, so the server's Host/Origin
check sees what a direct client would send; any other value (the suite's DNS-rebinding probe)
passes unchanged.
Bodies and responses (SSE streams included) are relayed byte for byte.

Usage: OLARES_AUTH_MCP_BEARER_TOKEN=... python .ci/tools/bearer_proxy.py LISTEN_PORT TARGET_PORT
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys

MAX_HEAD = 64 * 1024
DROPPED = {b"authorization", b"connection", b"keep-alive"}


def rewrite_head(head: bytes, token: bytes, listen: int, target: int) -> bytes:
    lines = head.split(b"\r\n")
    own = {f"127.0.0.1:{listen}".encode(), f"localhost:{listen}".encode()}
    server = f"127.0.0.1:{target}".encode()
    out = [lines[0]]
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key in DROPPED:
            continue
        value = value.strip().lower()
        if key == b"host" and value in own:
            out.append(b"Host: " + server)
        elif key == b"origin" and value.removeprefix(b"http://") in own:
            out.append(b"Origin: http://" + server)
        else:
            out.append(line)
    out += [b"Authorization: Bearer " + token, b"Connection: close", b"", b""]
    return b"\r\n".join(out)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.write_eof()


async def handle(
    client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter, token: bytes, listen: int, target: int
) -> None:
    try:
        try:
            head = await client_r.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        server_w.write(rewrite_head(head[:-4], token, listen, target))
        upstream = asyncio.create_task(pipe(client_r, server_w))
        await pipe(server_r, client_w)
        upstream.cancel()
        server_w.close()
    finally:
        client_w.close()


async def main(listen: int, target: int) -> None:
    token = os.environ["OLARES_AUTH_MCP_BEARER_TOKEN"].encode()
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, token, listen, target), "127.0.0.1", listen, limit=MAX_HEAD
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
