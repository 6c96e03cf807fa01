"""A local HTTP server that records what is POSTed to it (an SMS gateway's send API in tests)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Sink:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    reply: dict[str, str] = field(default_factory=lambda: {"sid": "SM0001"})

    async def next(self, timeout: float = 5.0) -> Received:
        """The next request not yet taken (waits for it)."""
        async with asyncio.timeout(timeout):
            while not self.received:
                self.arrived.clear()
                await self.arrived.wait()
        return self.received.pop(0)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        method, path, _ = (await reader.readline()).decode().split(" ", 2)
        headers: dict[str, str] = {}
        while (line := (await reader.readline()).decode().strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append(Received(method, path, headers, body))
        self.arrived.set()
        out = json.dumps(self.reply).encode()
        writer.write(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(out)}\r\n\r\n".encode()
            + out
        )
        await writer.drain()
        writer.close()


@asynccontextmanager
async def http_sink() -> AsyncIterator[Sink]:
    sink = Sink()
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    sink.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield sink
