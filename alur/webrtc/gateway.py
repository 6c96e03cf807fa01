"""One browser call's media: a WebRTC peer connection on one side, plain PCMU RTP on the other.

The RTP side talks to an ordinary `RtpStream` over the loopback interface, so the browser's leg is, for
bridging, recording, supervision and the silence watchdog, exactly like a SIP phone's leg. What the
browser sends goes out towards that stream on the shared media clock (one frame per 20 ms tick, from a
short queue), so the caller gets evenly spaced packets whatever the browser's network jitter; digits from
the page's keypad go out the same way as RFC 4733 events.

The peer connection can be replaced during a call (`accept` again: a reloaded page offers anew) without
touching the RTP side, which is what keeps the caller connected while the agent's page comes back.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

from alur.media.clock import MediaClock
from alur.webrtc.audio import FRAME, CallerAudio, read_browser

log = logging.getLogger("alur.webrtc")

PCMU_PT = 0
DTMF_PT = 101
DTMF_EVENTS = {**{str(i): i for i in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}
JITTER_FRAMES = 3  # the browser's frames waiting for a tick, at most (older ones are dropped)
_HEADER = struct.Struct("!BBHII")


def dtmf_payloads(digit: str, frames: int = 5, volume: int = 10) -> list[bytes]:
    """One RFC 4733 event, one payload per 20 ms: `frames` growing durations, then three end packets."""
    event = DTMF_EVENTS[digit.upper()]
    growing = [struct.pack("!BBH", event, volume, FRAME * (k + 1)) for k in range(frames)]
    end = struct.pack("!BBH", event, 0x80 | volume, FRAME * frames)
    return [*growing, end, end, end]


def ice_configuration(servers: list[dict[str, Any]]) -> RTCConfiguration:
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=list(s["urls"]), username=s.get("username") or None,
                         credential=s.get("credential") or None)
            for s in servers
        ]
    )  # fmt: skip


class BrowserMedia:
    """The browser's audio bridged to local RTP. `open()`, `plug(port)` to the leg's stream, then
    `accept(offer)` each time the page (re)connects; `close()` at the end of the call."""

    def __init__(
        self, clock: MediaClock, ice_servers: list[dict[str, Any]], codecs: tuple[str, ...] = ("PCMU",)
    ) -> None:
        self.clock = clock
        self.ice_servers = ice_servers
        self.codecs = codecs
        self.connected = asyncio.Event()  # the browser's media path is up
        self.on_lost: Callable[[], None] = lambda: None  # the peer connection failed or closed
        self.codec = ""  # what the browser took (PCMU, PCMA, opus)
        self._pc: RTCPeerConnection | None = None
        self._track: CallerAudio | None = None
        self._reader: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rtp_peer: tuple[str, int] | None = None
        self._frames: deque[bytes] = deque(maxlen=JITTER_FRAMES)
        self._dtmf: deque[tuple[bytes, int]] = deque()  # (payload, marker)
        self._dtmf_ts = 0
        self._ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._ts = random.getrandbits(32)
        self._gap = True  # the next audio frame starts a talk spurt (marker bit)
        self._closed = False
        self.frames_in = 0  # from the browser
        self.frames_out = 0  # to the browser

    # --- the RTP side --------------------------------------------------------------------------------

    async def open(self) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._readable)
        self._sock = sock
        return int(sock.getsockname()[1])

    def plug(self, rtp_port: int) -> None:
        """Exchange audio with the RTP stream listening on `rtp_port` (loopback)."""
        self._rtp_peer = ("127.0.0.1", rtp_port)
        self.clock.add(self)

    def _readable(self) -> None:
        sock = self._sock
        for _ in range(32):
            if sock is None or self._closed:
                return
            try:
                data = sock.recv(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if len(data) < 12 or data[1] & 0x7F != PCMU_PT:
                continue  # digits from the caller's side are not sent to the page
            track = self._track
            if track is not None and self.connected.is_set():
                track.push(data[12 + 4 * (data[0] & 0x0F) :])
                self.frames_out += 1

    def tick(self, marker: bool) -> bool:
        """The media clock's 20 ms: a digit's event packet, else one frame of the browser's audio."""
        if self._closed:
            return False
        self._ts = (self._ts + FRAME) & 0xFFFFFFFF
        if self._dtmf:
            payload, first = self._dtmf.popleft()
            if first:
                self._dtmf_ts = self._ts
            self._send(DTMF_PT, first, self._dtmf_ts, payload)
            self._gap = True
            return True
        if self._frames:
            self._send(PCMU_PT, int(self._gap or marker), self._ts, self._frames.popleft())
            self._gap = False
        else:
            self._gap = True
        return True

    def _send(self, pt: int, marker: int, ts: int, payload: bytes) -> None:
        if self._sock is None or self._rtp_peer is None:
            return
        self._seq = (self._seq + 1) & 0xFFFF
        packet = _HEADER.pack(0x80, (marker << 7) | pt, self._seq, ts, self._ssrc) + payload
        try:
            self._sock.sendto(packet, self._rtp_peer)
        except OSError as exc:
            log.debug("browser media: RTP send failed: %s", exc)

    def send_digit(self, digit: str) -> None:
        """Send `digit` (0-9, *, #, A-D) to the far end as an RFC 4733 event."""
        payloads = dtmf_payloads(digit)
        self._dtmf.extend((p, int(k == 0)) for k, p in enumerate(payloads))

    def _from_browser(self, ulaw: bytes) -> None:
        self._frames.append(ulaw)
        self.frames_in += 1

    # --- the WebRTC side -----------------------------------------------------------------------------

    async def accept(self, offer_sdp: str) -> str:
        """A (new) peer connection for the page's offer; returns the answer. A previous one is closed."""
        await self._drop_peer()
        pc = RTCPeerConnection(ice_configuration(self.ice_servers))
        track = CallerAudio()
        transceiver = pc.addTransceiver(track, direction="sendrecv")
        capabilities = RTCRtpSender.getCapabilities("audio").codecs
        wanted = [c for n in self.codecs for c in capabilities if c.mimeType.lower() == f"audio/{n}".lower()]
        transceiver.setCodecPreferences(wanted)
        self._pc, self._track = pc, track

        @pc.on("track")
        def on_track(remote: Any) -> None:
            if remote.kind == "audio" and self._pc is pc:
                self._reader = asyncio.ensure_future(read_browser(remote, self._from_browser))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if self._pc is not pc:
                return
            if pc.connectionState == "connected":
                self.connected.set()
            elif pc.connectionState in ("failed", "closed"):
                self.connected.clear()
                if not self._closed:
                    self.on_lost()

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        self.codec = _first_codec(pc.localDescription.sdp)
        track.passthrough = self.codec == "PCMU"
        return str(pc.localDescription.sdp)

    async def _drop_peer(self) -> None:
        pc, self._pc = self._pc, None
        self.connected.clear()
        self._track = None
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        if pc is not None:
            await pc.close()

    async def detach(self) -> None:
        """The page went away: drop its peer connection, keep the RTP side for its return."""
        await self._drop_peer()
        self._frames.clear()

    async def close(self) -> None:
        self._closed = True
        self.clock.remove(self)
        await self._drop_peer()
        if self._sock is not None and self._loop is not None:
            try:
                self._loop.remove_reader(self._sock.fileno())
            except (RuntimeError, ValueError):
                pass
            self._sock.close()
            self._sock = None


def _first_codec(sdp: str) -> str:
    """The codec of the first payload type on the answer's audio line (what is sent and expected)."""
    pt = ""
    for line in sdp.splitlines():
        if line.startswith("m=audio"):
            parts = line.split()
            pt = parts[3] if len(parts) > 3 else ""
        elif pt and line.startswith(f"a=rtpmap:{pt} "):
            return line.split()[1].split("/")[0]
    return ""
