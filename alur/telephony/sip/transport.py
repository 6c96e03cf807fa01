"""SIP over UDP and TCP on asyncio (stock or uvloop): bytes in and out, framing for TCP, nothing else.

No transport-type assertions: uvloop's UDP transport is not `asyncio.DatagramTransport`'s stock class,
and that must not matter.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass, field

from alur.telephony.sip.stack import SipStack

log = logging.getLogger("alur.sip.transport")

MAX_TCP_BUFFER = 256 * 1024
SIP_RCVBUF = 4 * 1024 * 1024  # bursts of INVITEs wait in the kernel instead of being dropped


@dataclass(slots=True, eq=False)
class UdpPeer:
    transport: str
    addr: tuple[str, int]
    sock: asyncio.DatagramTransport
    reliable: bool = False

    def send(self, data: bytes) -> None:
        """Send, or log why not: a failed send is a lost datagram (SIP retransmits), never an
        exception in the caller, which is often a timer."""
        if self.sock.is_closing():
            return
        try:
            self.sock.sendto(data, self.addr)
        except (OSError, ValueError) as exc:
            log.warning("cannot send to %s:%s: %s", self.addr[0], self.addr[1], exc)


@dataclass(slots=True, eq=False)
class TcpPeer:
    transport: str
    addr: tuple[str, int]
    conn: asyncio.Transport
    reliable: bool = True

    def send(self, data: bytes) -> None:
        if not self.conn.is_closing():
            self.conn.write(data)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, stack: SipStack) -> None:
        self.stack = stack
        self.sock: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.sock = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.sock is not None
        try:
            self.stack.receive(data, UdpPeer("UDP", (addr[0], addr[1]), self.sock))
        except Exception:  # one bad message must not stop the listener
            log.exception("error handling SIP datagram from %s", addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error: %s", exc)


class _TcpProtocol(asyncio.Protocol):
    def __init__(self, stack: SipStack, registry: dict[tuple[str, int], TcpPeer]) -> None:
        self.stack = stack
        self.registry = registry
        self.buf = bytearray()
        self.peer: TcpPeer | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        addr = transport.get_extra_info("peername")
        self.peer = TcpPeer("TCP", (addr[0], addr[1]), transport)  # type: ignore[arg-type]
        self.registry[self.peer.addr] = self.peer

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.registry.get(self.peer.addr) is self.peer:
            del self.registry[self.peer.addr]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) > MAX_TCP_BUFFER:
            log.info("dropping TCP connection from %s: unframeable input", self.peer and self.peer.addr)
            assert self.peer is not None
            self.peer.conn.close()
            return
        while True:
            while self.buf[:2] == b"\r\n":
                del self.buf[:2]
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("utf-8", "replace")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() in ("content-length", "l"):
                    try:
                        length = int(value.strip())
                    except ValueError:
                        length = 0
            total = end + 4 + max(0, length)
            if len(self.buf) < total:
                return
            msg = bytes(self.buf[:total])
            del self.buf[:total]
            assert self.peer is not None
            try:
                self.stack.receive(msg, self.peer)
            except Exception:
                log.exception("error handling SIP message over TCP from %s", self.peer.addr)


@dataclass
class SipTransports:
    """The listening sockets of one endpoint, and TCP connections by remote address."""

    stack: SipStack
    udp: asyncio.DatagramTransport | None = None
    udp_socket: socket.socket | None = None  # the UDP listener itself, for its backlog figures
    tcp: asyncio.Server | None = None
    tcp_peers: dict[tuple[str, int], TcpPeer] = field(default_factory=dict)

    async def start(self, host: str, port: int, *, tcp: bool = True) -> None:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SIP_RCVBUF)
            sock.bind((host, port))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self.udp_socket = sock
        self.udp, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(self.stack), sock=sock)
        if tcp:
            self.tcp = await loop.create_server(lambda: _TcpProtocol(self.stack, self.tcp_peers), host, port)

    def peer_for(self, addr: tuple[str, int], transport: str = "UDP") -> UdpPeer | TcpPeer:
        """A way to send to `addr`: an open TCP connection from it when asked for TCP, else UDP."""
        if transport.upper() == "TCP" and addr in self.tcp_peers:
            return self.tcp_peers[addr]
        assert self.udp is not None
        return UdpPeer("UDP", addr, self.udp)

    async def close(self) -> None:
        if self.udp is not None:
            self.udp.close()
        if self.tcp is not None:
            self.tcp.close()
            for peer in list(self.tcp_peers.values()):
                peer.conn.close()
            await self.tcp.wait_closed()
