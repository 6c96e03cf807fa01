"""One RTP audio stream per call leg: prompt playout on the shared media clock, RFC 4733 DTMF in,
packet relay for bridges, listeners (recording, supervision), and a silence watchdog.

This is the one media interface (`RtpStream`) that the SIP channel uses. The socket is the event
loop's datagram transport (uvloop reads and sends in C: about a third less CPU per relayed packet than
a Python reader calling recvfrom/sendto); a bridged packet is relayed at once with this leg's own SSRC
and its sequence and timestamp mapped onto this leg's timeline (so other frame lengths and RFC 4733
events keep their timing), transcoded between PCMU and PCMA when the legs differ.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
import time
from collections.abc import Callable
from typing import Protocol

from aiortp.dtmf import DtmfEvent

from alur.media.clock import MediaClock
from alur.media.mix import Mix
from alur.media.prompts import CODECS

log = logging.getLogger("alur.media")

RTP_RCVBUF = 256 * 1024  # a few hundred packets of burst (the kernel counts ~1-2 KB per datagram)
SEND_BACKLOG = 16 * 1024  # bytes queued in the transport (the kernel's buffer was full): past it, drop
_HEADER = struct.Struct("!BBHII")
_SEQ_TS_SSRC = struct.Struct("!HII")

Listener = Callable[["RtpStream", bytes], None]


class Playout:
    """Frames being played on a stream; its position survives pauses (music on hold resumes where it
    stopped rather than from the start)."""

    def __init__(self, frames: list[bytes], *, loop: bool = False) -> None:
        self.frames = frames
        self.loop = loop
        self.pos = 0
        self.first = True
        self.waiter: asyncio.Future[None] | None = None

    def next(self) -> bytes | None:
        if self.pos >= len(self.frames):
            if not self.loop or not self.frames:
                return None
            self.pos = 0
        frame = self.frames[self.pos]
        self.pos += 1
        return frame

    def finish(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class _Receiver(asyncio.DatagramProtocol):
    """Hands each datagram to its stream (one bad packet must not stop the others), and tells it when
    the transport holds a backlog of sends (the kernel's buffer was full): it drops packets until the
    backlog is gone, as a full wire would, rather than queue audio that would play late."""

    def __init__(self, stream: RtpStream) -> None:
        self.stream: RtpStream | None = stream  # None once the stream is closed: no cycle outlives it

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.stream is None:
            return
        try:
            self.stream._received(data, addr)
        except Exception:
            log.exception("RTP packet from %s could not be handled", addr)

    def pause_writing(self) -> None:
        if self.stream is not None:
            self.stream._backlogged = True

    def resume_writing(self) -> None:
        if self.stream is not None:
            self.stream._backlogged = False

    def error_received(self, exc: Exception) -> None:  # e.g. ICMP port unreachable
        log.debug("RTP socket error: %s", exc)


class Agreed(Protocol):
    """What an SDP offer/answer settled for a stream (the SIP layer's `MediaParams`)."""

    @property
    def remote_host(self) -> str: ...
    @property
    def remote_port(self) -> int: ...
    @property
    def codec(self) -> str: ...
    @property
    def payload_type(self) -> int: ...
    @property
    def dtmf_payload_type(self) -> int | None: ...


class RtpStream:
    """G.711 RTP to and from one remote address.

    `codec`/`payload_type`/`dtmf_pt` come from the SDP negotiation. The remote address latches to the
    source of incoming packets (symmetric RTP), which keeps NATed phones working.
    """

    def __init__(self, local_host: str, announce_host: str | None = None, clock: MediaClock | None = None):
        self.local_host = local_host  # where the socket listens (may be 0.0.0.0)
        self.announce_host = announce_host or local_host  # the address written in SDP
        self.clock = clock
        self.local_port = 0
        self.remote: tuple[str, int] | None = None
        self.codec = "PCMU"
        self.payload_type = 0
        self.dtmf_pt: int | None = 101
        self.transport: asyncio.DatagramTransport | None = None
        self._receiver: _Receiver | None = None
        self._backlogged = False  # the transport holds a backlog of sends: new packets are dropped
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        self._samples = 0  # samples in the last frame sent: where the next timestamp lands
        self.packets_in = 0
        self.packets_out = 0
        self.last_rx = time.monotonic()  # when silent_for() last saw packets arriving
        self._seen_in = 0  # packets_in at that moment
        self.on_dtmf: Callable[[str], None] = lambda d: None
        self.peer: RtpStream | None = None  # bridged: incoming audio is relayed to the peer
        self.listeners: list[Listener] = []  # hear this stream's decoded audio (recording, supervisors)
        self.mix: Mix | None = None  # set: what this stream sends is mixed from several sources
        self._relay_from: int | None = None  # SSRC being relayed to us, and its mapping onto our timeline
        self._ts_off = 0
        self._seq_off = 0
        self._dtmf_ts: int | None = None
        self._recording: bytearray | None = None
        self._playout: Playout | None = None
        self._closed = False
        self.on_hold = False  # the far end holds us: it sends no RTP, which is not a dead call

    async def open(self) -> int:
        family = socket.AF_INET6 if ":" in self.local_host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RTP_RCVBUF)
            sock.bind((self.local_host, 0))
            sock.setblocking(False)
            self.local_port = sock.getsockname()[1]
            loop = asyncio.get_running_loop()
            self.transport, self._receiver = await loop.create_datagram_endpoint(
                lambda: _Receiver(self), sock=sock
            )
            self.transport.set_write_buffer_limits(high=SEND_BACKLOG)  # type: ignore[attr-defined]
        except OSError:
            sock.close()
            raise
        if self.clock is None:
            self.clock = MediaClock()  # a stream on its own (tests, tools); servers share one
        return self.local_port

    def configure(self, remote: tuple[str, int], codec: str, payload_type: int, dtmf_pt: int | None) -> None:
        self.remote = remote
        self.codec = codec
        self.payload_type = payload_type
        self.dtmf_pt = dtmf_pt
        self.last_rx = time.monotonic()

    def agree(self, sdp: Agreed, *, dtmf: bool = True) -> None:
        """Send to, and encode as, what the SDP negotiation settled (`dtmf=False`: ignore its DTMF)."""
        dtmf_pt = sdp.dtmf_payload_type if dtmf else None
        self.configure((sdp.remote_host, sdp.remote_port), sdp.codec, sdp.payload_type, dtmf_pt)

    # --- receive ---------------------------------------------------------------------------------

    def _received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._closed or len(data) < 12 or data[0] >> 6 != 2 or 192 <= data[1] <= 208:  # not RTP, or RTCP
            return
        first = data[0]
        if first == 0x80:  # the usual packet: no CSRC, no extension, no padding
            offset, end = 12, len(data)
        else:
            offset = 12 + 4 * (first & 0x0F)
            if first & 0x10:  # header extension
                if len(data) < offset + 4:
                    return
                offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
            end = len(data) - (data[-1] if first & 0x20 else 0)
            if end < offset:
                return
        self.packets_in += 1
        if self.remote != addr and self.remote is not None:
            self.remote = addr
        pt = data[1] & 0x7F
        marker = data[1] >> 7
        seq, ts, ssrc = _SEQ_TS_SSRC.unpack_from(data, 2)
        payload = data[offset:end]
        peer = self.peer
        if self.dtmf_pt is not None and pt == self.dtmf_pt:
            self._dtmf(payload, ts)
            if peer is not None and peer.dtmf_pt is not None:  # RFC 4733 passed through
                peer.relay(ssrc, seq, ts, payload, marker, peer.dtmf_pt, audio=False)
            return
        if pt != self.payload_type:
            return
        if self.listeners or self._recording is not None:
            pcm = CODECS[self.codec].decode(payload)
            if self._recording is not None:
                self._recording += pcm
            for listener in self.listeners:
                listener(self, pcm)
        if peer is not None and peer.mix is None:
            if peer.codec != self.codec:
                payload = CODECS[peer.codec].encode(CODECS[self.codec].decode(payload))
            peer.relay(ssrc, seq, ts, payload, marker, peer.payload_type, audio=True)

    def _dtmf(self, payload: bytes, ts: int) -> None:
        try:
            event = DtmfEvent.parse(payload)
        except ValueError:
            return
        if event.end and ts != self._dtmf_ts:
            self._dtmf_ts = ts
            digit = event.digit
            if digit != "?":
                self.on_dtmf(digit)

    # --- send ------------------------------------------------------------------------------------

    def _send(self, packet: bytes) -> None:
        transport = self.transport
        if transport is None or self.remote is None or self._closed or self._backlogged:
            return
        transport.sendto(packet, self.remote)
        self.packets_out += 1

    def send_frame(self, payload: bytes, *, marker: int = 0, payload_type: int | None = None) -> None:
        """Send our own audio (a prompt, music, a mix) on this leg's timeline."""
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + self._samples) & 0xFFFFFFFF
        self._samples = len(payload)  # G.711: one byte per sample
        self._relay_from = None  # a relay after our own audio starts a new mapping
        pt = self.payload_type if payload_type is None else payload_type
        self._send(_HEADER.pack(0x80, (marker << 7) | pt, self.seq, self.ts, self.ssrc) + payload)

    def relay(
        self, ssrc: int, seq: int, ts: int, payload: bytes, marker: int, pt: int, *, audio: bool
    ) -> None:
        """Send a bridged packet: our SSRC, its sequence and timestamp shifted onto our timeline, so
        the far end sees one continuous stream whatever frame length or source it came from."""
        if ssrc != self._relay_from:
            self._relay_from = ssrc
            self._ts_off = (self.ts + self._samples - ts) & 0xFFFFFFFF
            self._seq_off = (self.seq + 1 - seq) & 0xFFFF
            marker = 1
        out_seq = (seq + self._seq_off) & 0xFFFF
        out_ts = (ts + self._ts_off) & 0xFFFFFFFF
        if (out_seq - self.seq) & 0xFFFF < 0x8000:  # newest so far (a late packet keeps its number)
            self.seq = out_seq
            if audio:
                self.ts = out_ts
                self._samples = len(payload)
        self._send(_HEADER.pack(0x80, (marker << 7) | pt, out_seq, out_ts, self.ssrc) + payload)

    # --- the media clock ---------------------------------------------------------------------------

    def tick(self, marker: bool) -> bool:
        """One 20 ms frame from the mix or the current playout; False once there is nothing to send."""
        if self._closed:
            return False
        if self.mix is not None:
            self.send_frame(CODECS[self.codec].encode(self.mix.pull()), marker=int(marker))
            return True
        playout = self._playout
        if playout is None:
            return False
        frame = playout.next()
        if frame is None:
            self._playout = None
            playout.finish()
            return False
        self.send_frame(frame, marker=int(marker or playout.first))
        playout.first = False
        return True

    async def play(self, frames: list[bytes] | Playout, *, loop: bool = False) -> None:
        """Send frames every 20 ms on the shared clock until they end (cancel to stop). A `Playout`
        resumes from its own position."""
        playout = frames if isinstance(frames, Playout) else Playout(frames, loop=loop)
        if self._closed or not playout.frames:
            return
        previous = self._playout
        if previous is not None:
            previous.finish()
        playout.first = True
        playout.waiter = asyncio.get_running_loop().create_future()
        self._playout = playout
        assert self.clock is not None, "open() the stream first"
        self.clock.add(self)
        try:
            await playout.waiter
        finally:
            if self._playout is playout:
                self._playout = None
                if self.mix is None:
                    self.clock.remove(self)

    def start_mix(self) -> Mix:
        """From now on this stream sends the sum of what its mix hears (supervision)."""
        if self.mix is None:
            self.mix = Mix()
            assert self.clock is not None
            self.clock.add(self)
        return self.mix

    def stop_mix(self) -> None:
        self.mix = None
        if self._playout is None and self.clock is not None:
            self.clock.remove(self)

    def start_recording(self) -> None:
        self._recording = bytearray()

    def stop_recording(self) -> bytes:
        data = bytes(self._recording or b"")
        self._recording = None
        return data

    def recorded_bytes(self) -> bytes:
        return bytes(self._recording or b"")

    def silent_for(self) -> float:
        """Seconds since the far end's packets stopped (0 while it holds the call), to within the
        caller's polling interval: packets are counted, not timed, so that receiving one costs no
        clock read (the watchdogs poll once a second)."""
        now = time.monotonic()
        if self.on_hold or self.packets_in != self._seen_in:
            self._seen_in = self.packets_in
            self.last_rx = now
            return 0.0
        return now - self.last_rx

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.peer = None
        self.listeners = []
        if self._playout is not None:
            self._playout.finish()
            self._playout = None
        if self.clock is not None:
            self.clock.remove(self)
        if self._receiver is not None:
            self._receiver.stream = None
        if self.transport is not None:
            try:
                self.transport.close()
            except RuntimeError:  # closed after the loop stopped
                pass


def bridge(a: RtpStream, b: RtpStream) -> None:
    """Relay packets both ways; each side re-stamps with its own SSRC/sequence/timestamp."""
    a.peer = b
    b.peer = a


def echo(stream: RtpStream) -> None:
    """Send what arrives straight back (re-stamped, DTMF too): the echo extension's whole job."""
    stream.peer = stream


def unbridge(a: RtpStream, b: RtpStream) -> None:
    if a.peer is b:
        a.peer = None
    if b.peer is a:
        b.peer = None
