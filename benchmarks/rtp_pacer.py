"""A steady RTP source for the load benchmark: every call's caller and agent talk in 20 ms packets,
paced by one clock, as hundreds of independent phones would.

sipp's rtp_stream sends late in bursts at hundreds of calls (at 500 bridged calls ~1.5 % of its gaps
are 40 ms: a packet held back one period, then sent with the next, on a core that is half idle), and a
relay cannot be steadier than what it is given. This process learns each call's media ports the way a
phone does, from the SDP Alur sends (read off the loopback with a packet socket, as the capture does):
a caller leg starts when Alur answers the caller (200 OK with SDP), an agent leg when Alur ACKs the
agent's answer, and each stops at its BYE. Callers stream one tone from one socket, agents another from
a second socket (Alur latches its replies to them: symmetric RTP), each leg with its own SSRC and
sequence, its first packet at the moment it starts and then every 20 ms on a 1 ms wheel.

Run by `sip_load.py`; it prints the two source ports once ready, and a summary when stopped (SIGTERM).
"""

from __future__ import annotations

import argparse
import random
import re
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from rtpcapture import ETH_P_IP, attach_filter, udp_port_filter  # noqa: E402

PERIOD_MS = 20
FRAME = 160  # 20 ms of G.711
SDP_PORT = re.compile(rb"\r\nm=audio (\d+) ")
CALL_ID = re.compile(rb"\r\n(?:Call-ID|i):\s*(\S+)", re.IGNORECASE)
CSEQ_METHOD = re.compile(rb"\r\nCSeq:\s*\d+\s+(\w+)", re.IGNORECASE)


@dataclass(slots=True)
class Leg:
    """One side of a call as this source sends it."""

    sock: socket.socket
    to: tuple[str, int]
    audio: bytes
    ssrc: int = field(default_factory=lambda: random.getrandbits(32))
    seq: int = field(default_factory=lambda: random.getrandbits(16))
    ts: int = field(default_factory=lambda: random.getrandbits(32))
    at: int = 0  # offset of the next frame in `audio`
    live: bool = True

    def send(self) -> None:
        frame = self.audio[self.at : self.at + FRAME]
        self.at = (self.at + FRAME) % len(self.audio)
        try:
            self.sock.sendto(struct.pack("!BBHII", 0x80, 0, self.seq, self.ts, self.ssrc) + frame, self.to)
        except BlockingIOError:
            pass  # the socket's buffer is full: the packet is lost, as on a wire
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + FRAME) & 0xFFFFFFFF


class Pacer:
    def __init__(self, sip_port: int, caller_audio: bytes, agent_audio: bytes) -> None:
        self.sniff = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
        self.sniff.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        attach_filter(self.sniff, udp_port_filter(set(), frozenset({sip_port})))  # what Alur's SIP sends
        self.sniff.bind(("lo", ETH_P_IP))
        self.sniff.setblocking(False)
        self.callers = self._socket()
        self.agents = self._socket()
        self.audio = {self.callers: caller_audio, self.agents: agent_audio}
        self.wheel: list[list[Leg]] = [[] for _ in range(PERIOD_MS)]  # legs due in each ms of a period
        self.offered: dict[bytes, int] = {}  # agent legs offered (Call-ID -> Alur's port), not yet ACKed
        self.legs: dict[bytes, Leg] = {}  # by Call-ID (each leg of a bridged call has its own)
        self.sent = self.late = 0

    @staticmethod
    def _socket() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # Alur's replies are never read
        sock.setblocking(False)
        return sock

    def ports(self) -> tuple[int, int]:
        return self.callers.getsockname()[1], self.agents.getsockname()[1]

    def _start(self, call_id: bytes, port: int, sock: socket.socket, slot: int) -> None:
        if call_id in self.legs:
            return  # a retransmitted answer
        leg = Leg(sock, ("127.0.0.1", port), self.audio[sock])
        self.legs[call_id] = leg
        self.wheel[slot].append(leg)

    def _heard(self, packet: bytes, slot: int) -> None:
        """One SIP message Alur sent: start or stop a leg."""
        ihl = (packet[0] & 0x0F) * 4
        msg = packet[ihl + 8 :]
        found = CALL_ID.search(msg)
        if found is None:
            return
        call_id = found.group(1)
        cseq = CSEQ_METHOD.search(msg)
        method = cseq.group(1).upper() if cseq else b""
        sdp = SDP_PORT.search(msg)
        if msg.startswith(b"SIP/2.0 200") and method == b"INVITE" and sdp:  # Alur answers a caller
            self._start(call_id, int(sdp.group(1)), self.callers, slot)
        elif msg.startswith(b"INVITE ") and sdp:  # Alur offers a call to an agent
            self.offered[call_id] = int(sdp.group(1))
        elif msg.startswith(b"ACK ") and call_id in self.offered:  # ... who answered
            self._start(call_id, self.offered.pop(call_id), self.agents, slot)
        elif method == b"BYE":  # Alur hangs up an agent, or confirms a caller's hang-up
            leg = self.legs.pop(call_id, None)
            if leg is not None:
                leg.live = False

    def run(self, stopping: list[bool]) -> None:
        start = time.monotonic()
        tick = 0  # ms since start that have been served
        while not stopping[0]:
            now_ms = int((time.monotonic() - start) * 1000)
            if now_ms > tick + 1:
                self.late += 1
            while tick <= now_ms:  # serve every ms due, late ones too, in order
                slot = tick % PERIOD_MS
                while True:
                    try:
                        self._heard(self.sniff.recv(65535), slot)
                    except BlockingIOError:
                        break
                due = self.wheel[slot] = [leg for leg in self.wheel[slot] if leg.live]
                for leg in due:
                    leg.send()
                self.sent += len(due)
                tick += 1
            time.sleep(max(0.0, start + tick / 1000 - time.monotonic()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sip-port", type=int, required=True, help="Alur's SIP port (UDP)")
    parser.add_argument("--caller-audio", type=Path, required=True, help="raw u-law, looped")
    parser.add_argument("--agent-audio", type=Path, required=True, help="raw u-law, looped")
    args = parser.parse_args()
    pacer = Pacer(args.sip_port, args.caller_audio.read_bytes(), args.agent_audio.read_bytes())
    stopping = [False]
    signal.signal(signal.SIGTERM, lambda *_: stopping.__setitem__(0, True))
    print(*pacer.ports(), flush=True)
    pacer.run(stopping)
    print(f"sent {pacer.sent:,} packets, {pacer.late:,} ticks over 1 ms late", flush=True)


if __name__ == "__main__":
    main()
