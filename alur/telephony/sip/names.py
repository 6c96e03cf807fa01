"""Host names met in Contact and Route headers, resolved without blocking the event loop.

A UDP socket cannot send to a name (uvloop refuses it; stock asyncio would look it up, blocking the
loop). The first use of a name starts an asynchronous lookup and answers None, so the caller sends
where the request came from instead; later uses get the address, kept for `ttl` seconds.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time

log = logging.getLogger("alur.sip.names")

MAX_NAMES = 1_000


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


class HostNames:
    def __init__(self, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._known: dict[str, tuple[str | None, float]] = {}  # name -> (address or None, until)
        self._lookups: dict[str, asyncio.Task[str | None]] = {}

    def address(self, host: str) -> str | None:
        """The address of `host` now, if known; otherwise start looking it up and answer None."""
        if is_address(host):
            return host.strip("[]")
        known = self._known.get(host)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        if host not in self._lookups:
            task = asyncio.get_running_loop().create_task(self._lookup(host), name=f"resolve {host}")
            self._lookups[host] = task
            task.add_done_callback(lambda _t: self._lookups.pop(host, None))
        return None

    async def resolve(self, host: str) -> str | None:
        """The address of `host`, waiting for the lookup if need be; None if it has none."""
        found = self.address(host)
        if found is not None or is_address(host):
            return found
        task = self._lookups.get(host)
        return await asyncio.shield(task) if task is not None else self._known.get(host, (None, 0))[0]

    async def _lookup(self, host: str) -> str | None:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, family=socket.AF_INET, type=socket.SOCK_DGRAM)
            address: str | None = str(infos[0][4][0])
        except (OSError, IndexError) as exc:
            log.warning("cannot resolve SIP host %r: %s", host, exc)
            address = None
        if len(self._known) >= MAX_NAMES:
            self._known.pop(next(iter(self._known)))
        self._known[host] = (address, time.monotonic() + self.ttl)
        return address

    async def close(self) -> None:
        for task in list(self._lookups.values()):
            task.cancel()
        await asyncio.gather(*self._lookups.values(), return_exceptions=True)
