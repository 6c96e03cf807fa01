"""One RTP audio stream per call leg: paced prompt playout, RFC 4733 DTMF in, packet relay for bridges,
recording, and a silence watchdog.

This is the one media interface (`MediaSession`) that the SIP channel uses; a later shared-clock packet
relay replaces this module without touching flows or routing. Packets are parsed and built with aiortp.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

from aiortp.dtmf import DtmfEvent
from aiortp.packet import RtpPacket, is_rtcp

from alur.media.prompts import CODECS, FRAME_SAMPLES

log = logging.getLogger("alur.media")

PTIME = 0.020


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, stream: RtpStream) -> None:
        self.stream = stream

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.stream._received(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("RTP socket error: %s", exc)


class RtpStream:
    """G.711 RTP to and from one remote address.

    `codec`/`payload_type`/`dtmf_pt` come from the SDP negotiation. The remote address latches to the
    source of incoming packets (symmetric RTP), which keeps NATed phones working.
    """

    def __init__(self, local_host: str, announce_host: str | None = None) -> None:
        self.local_host = local_host  # where the socket listens (may be 0.0.0.0)
        self.announce_host = announce_host or local_host  # the address written in SDP
        self.local_port = 0
        self.remote: tuple[str, int] | None = None
        self.codec = "PCMU"
        self.payload_type = 0
        self.dtmf_pt: int | None = 101
        self.sock: asyncio.DatagramTransport | None = None
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        self.packets_in = 0
        self.packets_out = 0
        self.last_rx = time.monotonic()
        self.on_dtmf: Callable[[str], None] = lambda d: None
        self.peer: RtpStream | None = None  # bridged: incoming audio is relayed to the peer
        self._dtmf_ts: int | None = None
        self._recording: bytearray | None = None
        self._play_task: asyncio.Task[None] | None = None
        self._closed = False
        self.on_hold = False  # the far end holds us: it sends no RTP, which is not a dead call

    async def open(self) -> int:
        loop = asyncio.get_running_loop()
        self.sock, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(self.local_host, 0)
        )
        self.local_port = self.sock.get_extra_info("sockname")[1]
        return self.local_port

    def configure(self, remote: tuple[str, int], codec: str, payload_type: int, dtmf_pt: int | None) -> None:
        self.remote = remote
        self.codec = codec
        self.payload_type = payload_type
        self.dtmf_pt = dtmf_pt
        self.last_rx = time.monotonic()

    # --- receive ---------------------------------------------------------------------------------

    def _received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12 or is_rtcp(data):
            return
        try:
            packet = RtpPacket.parse(data)
        except ValueError:
            return
        self.packets_in += 1
        self.last_rx = time.monotonic()
        if self.remote != addr and self.remote is not None:
            self.remote = addr
        if self.dtmf_pt is not None and packet.payload_type == self.dtmf_pt:
            self._dtmf(packet)
            return
        if packet.payload_type != self.payload_type:
            return
        if self._recording is not None:
            self._recording += CODECS[self.codec].decode(packet.payload)
        peer = self.peer
        if peer is not None:
            payload = packet.payload
            if peer.codec != self.codec:
                payload = CODECS[peer.codec].encode(CODECS[self.codec].decode(payload))
            peer.send_frame(payload, marker=packet.marker)

    def _dtmf(self, packet: RtpPacket) -> None:
        try:
            event = DtmfEvent.parse(packet.payload)
        except ValueError:
            return
        if event.end and packet.timestamp != self._dtmf_ts:
            self._dtmf_ts = packet.timestamp
            digit = event.digit
            if digit != "?":
                self.on_dtmf(digit)

    # --- send ------------------------------------------------------------------------------------

    def send_frame(self, payload: bytes, *, marker: int = 0, payload_type: int | None = None) -> None:
        if self.sock is None or self.remote is None or self._closed:
            return
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + FRAME_SAMPLES) & 0xFFFFFFFF
        pkt = RtpPacket(
            payload_type=self.payload_type if payload_type is None else payload_type,
            marker=marker,
            sequence_number=self.seq,
            timestamp=self.ts,
            ssrc=self.ssrc,
            payload=payload,
        )
        self.sock.sendto(pkt.serialize(), self.remote)
        self.packets_out += 1

    async def play(self, frames: list[bytes], *, loop: bool = False) -> None:
        """Send frames every 20 ms against an absolute schedule (no drift); cancel to stop."""
        aio = asyncio.get_running_loop()
        start = aio.time()
        i = k = 0
        while not self._closed and frames:
            if i >= len(frames):
                if not loop:
                    return
                i = 0
            self.send_frame(frames[i], marker=1 if k == 0 else 0)
            i += 1
            k += 1
            delay = start + k * PTIME - aio.time()
            if delay < -0.2:  # the loop stalled: resynchronise rather than send a burst
                start = aio.time() - k * PTIME
                delay = 0.0
            await asyncio.sleep(max(0.0, delay))

    def start_recording(self) -> None:
        self._recording = bytearray()

    def stop_recording(self) -> bytes:
        data = bytes(self._recording or b"")
        self._recording = None
        return data

    def recorded_bytes(self) -> bytes:
        return bytes(self._recording or b"")

    def silent_for(self) -> float:
        """Seconds since the last packet from the far end (0 while it holds the call)."""
        if self.on_hold:
            self.last_rx = time.monotonic()
            return 0.0
        return time.monotonic() - self.last_rx

    def close(self) -> None:
        self._closed = True
        self.peer = None
        if self.sock is not None:
            self.sock.close()


def bridge(a: RtpStream, b: RtpStream) -> None:
    """Relay packets both ways; each side re-stamps with its own SSRC/sequence/timestamp."""
    a.peer = b
    b.peer = a


def unbridge(a: RtpStream, b: RtpStream) -> None:
    if a.peer is b:
        a.peer = None
    if b.peer is a:
        b.peer = None
