"""An ended call is freed at once: no reference cycle between its SIP leg, its channel and its RTP
stream, and nothing the transactions keep for 32 s holds them. At hundreds of calls a second,
whatever waits for the garbage collector makes each collection a longer pause in everyone's audio."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from sip_peers import MemPeer

from alur.core.clock import VirtualClock
from alur.media.clock import MediaClock
from alur.media.prompts import PromptLibrary
from alur.media.rtp import RtpStream
from alur.telephony.channel import SipChannel
from alur.telephony.sip.server_call import ServerCall
from alur.telephony.sip.stack import SipStack
from alur.telephony.sip.ua import UserAgent

HEADERS = (
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK{branch}\r\n"
    "From: <sip:caller@127.0.0.1:5070>;tag=abc\r\n"
    "To: <sip:100@127.0.0.1:5060>{to_tag}\r\n"
    "Call-ID: teardown@test\r\n"
    "CSeq: {cseq}\r\n"
    "Contact: <sip:caller@127.0.0.1:5070>\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Length: 0\r\n\r\n"
)


def request(method: str, branch: str, cseq: str, to_tag: str = "") -> bytes:
    head = f"{method} sip:100@127.0.0.1:5060 SIP/2.0\r\n"
    return (
        head + HEADERS.format(branch=branch, cseq=cseq, to_tag=f";tag={to_tag}" if to_tag else "")
    ).encode()


async def test_a_call_ended_by_bye_is_freed_without_the_garbage_collector(tmp_path: Path) -> None:
    stack = SipStack(VirtualClock(1000.0), "127.0.0.1", 5060)
    ua = UserAgent(stack, VirtualClock(1000.0), lambda addr, transport: MemPeer(addr=addr))
    legs: list[ServerCall] = []
    ua.on_invite = legs.append
    peer = MemPeer()
    stack.receive(request("INVITE", "inv", "1 INVITE"), peer)
    media = RtpStream("127.0.0.1", clock=MediaClock())
    await media.open()
    channel = SipChannel(
        legs[0], media, prompts=PromptLibrary(None, tmp_path), queues=None, connector=None,
        recordings_dir=tmp_path,
    )  # fmt: skip
    channel.start()  # the silence watchdog
    leg = legs.pop()
    leg.answer("v=0\r\n")
    tag = leg.local_tag
    stack.receive(request("ACK", "ack", "1 ACK", tag), peer)
    gone = [weakref.ref(x) for x in (channel, leg, media)]
    gc.disable()
    try:
        stack.receive(request("BYE", "bye", "2 BYE", tag), peer)
        assert channel.hangup_reason == "bye"
        del channel, leg, media
        assert [ref() for ref in gone] == [None, None, None]
    finally:
        gc.enable()
    assert peer.responses()[-1].status_code == 200
