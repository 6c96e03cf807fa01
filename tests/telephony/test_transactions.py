"""Transaction layer and UA core in virtual time, with an in-memory peer recording what is sent."""

from __future__ import annotations

import gc
import weakref

from hypothesis import given, settings
from hypothesis import strategies as st
from sip_peers import MemPeer

from alur.core.clock import VirtualClock
from alur.telephony.sip.in_dialog import dtmf_from_info
from alur.telephony.sip.server_call import ServerCall
from alur.telephony.sip.stack import SipStack
from alur.telephony.sip.ua import UserAgent

INVITE = (
    "INVITE sip:100@127.0.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK{branch}\r\n"
    "From: <sip:caller@127.0.0.1:5070>;tag=abc\r\n"
    "To: <sip:100@127.0.0.1:5060>\r\n"
    "Call-ID: call-1@test\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:caller@127.0.0.1:5070>\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 0\r\n\r\n"
)


def request(method: str, branch: str, cseq: int, to_tag: str = "", body: str = "", ctype: str = "") -> bytes:
    to = "<sip:100@127.0.0.1:5060>" + (f";tag={to_tag}" if to_tag else "")
    lines = [
        f"{method} sip:100@127.0.0.1:5060 SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK{branch}",
        "From: <sip:caller@127.0.0.1:5070>;tag=abc",
        f"To: {to}",
        "Call-ID: call-1@test",
        f"CSeq: {cseq} {'INVITE' if method == 'ACK' and branch == 'inv' else method}",
        "Max-Forwards: 70",
    ]
    if ctype:
        lines.append(f"Content-Type: {ctype}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def make_ua() -> tuple[VirtualClock, SipStack, UserAgent, list[ServerCall]]:
    clock = VirtualClock(1000.0)
    stack = SipStack(clock, "127.0.0.1", 5060)
    ua = UserAgent(stack, clock, lambda addr, transport: MemPeer(addr=addr))
    calls: list[ServerCall] = []
    ua.on_invite = calls.append
    return clock, stack, ua, calls


def test_invite_retransmitted_before_and_after_200_makes_one_call() -> None:
    clock, stack, ua, calls = make_ua()
    peer = MemPeer()
    stack.receive(INVITE.format(branch="inv").encode(), peer)
    stack.receive(INVITE.format(branch="inv").encode(), peer)
    assert len(calls) == 1
    assert [r.status_code for r in peer.responses()] == [100, 100]
    calls[0].answer("v=0\r\n")
    stack.receive(INVITE.format(branch="inv").encode(), peer)
    assert len(calls) == 1
    codes = [r.status_code for r in peer.responses()]
    assert codes[-2:] == [200, 200]  # retransmission answered with the same 200, never 481


def test_200_is_retransmitted_until_ack_then_stops() -> None:
    clock, stack, ua, calls = make_ua()
    peer = MemPeer()
    stack.receive(INVITE.format(branch="inv").encode(), peer)
    calls[0].answer("v=0\r\n")
    clock.run(until=clock.now() + 1.6)  # G at 0.5, 1.0 (after 0.5 + 1.0)
    n = sum(r.status_code == 200 for r in peer.responses())
    assert n == 3
    tag = calls[0].local_tag
    stack.receive(request("ACK", "ack1", 1, tag), peer)
    assert calls[0].state == "confirmed"
    clock.run(until=clock.now() + 40)
    assert sum(r.status_code == 200 for r in peer.responses()) == n


def test_retransmitted_bye_gets_200_twice_and_unknown_dialog_481() -> None:
    clock, stack, ua, calls = make_ua()
    peer = MemPeer()
    stack.receive(INVITE.format(branch="inv").encode(), peer)
    ended: list[str] = []
    calls[0].on_ended = ended.append
    calls[0].answer("v=0\r\n")
    tag = calls[0].local_tag
    stack.receive(request("ACK", "ack1", 1, tag), peer)
    stack.receive(request("BYE", "bye1", 2, tag), peer)
    stack.receive(request("BYE", "bye1", 2, tag), peer)
    byes = [r.status_code for r in peer.responses() if r.cseq and r.cseq.method == "BYE"]
    assert byes == [200, 200]
    assert ended == ["bye"]
    stack.receive(request("BYE", "bye2", 3, tag), peer)  # a new BYE for a gone dialog
    assert peer.responses()[-1].status_code == 481


def test_transactions_waiting_out_their_timers_do_not_keep_the_ended_call() -> None:
    """After BYE the INVITE and BYE transactions stay 32 s to absorb retransmissions; at hundreds of
    calls a second they must not hold each call's leg (and through it its channel and media) that
    long, nor their requests: every garbage collection walks through what they keep."""
    clock, stack, ua, calls = make_ua()
    peer = MemPeer()
    stack.receive(INVITE.format(branch="inv").encode(), peer)
    calls[0].answer("v=0\r\n")
    tag = calls[0].local_tag
    stack.receive(request("ACK", "ack1", 1, tag), peer)
    stack.receive(request("BYE", "bye1", 2, tag), peer)
    leg = weakref.ref(calls.pop())
    gc.collect()
    assert leg() is None
    waiting = list(stack.server_txns.values())
    assert sorted(t.state for t in waiting) == ["accepted", "completed"]  # still absorbing
    assert all(t.request is None for t in waiting)
    stack.receive(request("BYE", "bye1", 2, tag), peer)  # a retransmitted BYE still gets its 200
    assert peer.responses()[-1].status_code == 200
    clock.run(until=clock.now() + 40)
    assert not stack.server_txns


def test_cancel_during_ringing_gets_200_and_invite_487_and_ack_absorbed() -> None:
    clock, stack, ua, calls = make_ua()
    peer = MemPeer()
    stack.receive(INVITE.format(branch="inv").encode(), peer)
    ended: list[str] = []
    calls[0].on_ended = ended.append
    calls[0].ringing()
    stack.receive(request("CANCEL", "inv", 1), peer)
    codes = [(r.status_code, r.cseq.method) for r in peer.responses()]  # type: ignore[union-attr]
    assert (200, "CANCEL") in codes and (487, "INVITE") in codes
    assert ended == ["cancel"]
    stack.receive(request("ACK", "inv", 1, calls[0].local_tag), peer)
    clock.run(until=clock.now() + 60)
    assert sum(r.status_code == 487 for r in peer.responses()) == 1  # ACK stopped timer G
    assert not stack.server_txns


def test_overload_answers_503_with_retry_after() -> None:
    clock = VirtualClock(0.0)
    stack = SipStack(clock, "127.0.0.1", 5060, max_pending_invites=1)
    ua = UserAgent(stack, clock, lambda addr, transport: MemPeer(addr=addr))
    ua.on_invite = lambda call: None  # never answers
    peer = MemPeer()
    stack.receive(INVITE.format(branch="a").encode(), peer)
    stack.receive(INVITE.format(branch="b").encode().replace(b"call-1@", b"call-2@"), peer)
    last = peer.responses()[-1]
    assert last.status_code == 503 and last.get_header("retry-after") == "5"


def test_malformed_request_gets_400_and_garbage_is_dropped() -> None:
    clock, stack, ua, calls = make_ua()
    peer = MemPeer()
    bad = INVITE.format(branch="x").replace("CSeq: 1 INVITE\r\n", "").encode()
    stack.receive(bad, peer)
    assert peer.sent[-1].startswith(b"SIP/2.0 400 Bad Request (request lacks header(s) cseq)")
    stack.receive(b"\x00\x01garbage", peer)
    assert len(peer.sent) == 1 and not calls


def test_info_dtmf_bodies() -> None:
    assert dtmf_from_info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n") == "5"
    assert dtmf_from_info("application/dtmf-relay", "Signal= #\r\n") == "#"
    assert dtmf_from_info("application/dtmf", "11") == "#"
    assert dtmf_from_info("text/plain", "5") is None


@given(
    copies_before=st.integers(0, 5),
    copies_after=st.integers(0, 5),
    ack=st.booleans(),
    gap=st.floats(0.0, 3.0),
)
@settings(max_examples=60, deadline=None)
def test_any_retransmission_pattern_makes_exactly_one_call(
    copies_before: int, copies_after: int, ack: bool, gap: float
) -> None:
    clock, stack, ua, calls = make_ua()
    peer = MemPeer()
    invite = INVITE.format(branch="inv").encode()
    stack.receive(invite, peer)
    for _ in range(copies_before):
        clock.run(until=clock.now() + gap)
        stack.receive(invite, peer)
    calls[0].answer("v=0\r\n")
    if ack:
        stack.receive(request("ACK", "ack1", 1, calls[0].local_tag), peer)
    for _ in range(copies_after):
        clock.run(until=clock.now() + gap)
        stack.receive(invite, peer)
    assert len(calls) == 1
    assert {r.status_code for r in peer.responses()} <= {100, 200}


def test_reinvite_gets_the_legs_answer_or_488_and_unknown_dialog_481() -> None:
    clock, stack, ua, calls = make_ua()
    peer = MemPeer()
    stack.receive(INVITE.format(branch="inv").encode(), peer)
    call = calls[0]
    call.answer("v=0\r\nfirst\r\n")
    stack.receive(request("ACK", "ack1", 1, call.local_tag), peer)
    offers: list[str] = []
    call.on_reoffer = lambda offer: (
        offers.append(offer) or ("v=0\r\nheld\r\n" if "sendonly" in offer else None)
    )
    reinvite = request(
        "INVITE", "re1", 2, call.local_tag, body="v=0\r\na=sendonly\r\n", ctype="application/sdp"
    )
    stack.receive(reinvite, peer)
    ok = peer.responses()[-1]
    assert ok.status_code == 200 and b"held" in ok.body and len(calls) == 1
    stack.receive(request("INVITE", "re2", 3, call.local_tag, body="garbage", ctype="application/sdp"), peer)
    assert peer.responses()[-1].status_code == 488
    stack.receive(request("INVITE", "re3", 4, call.local_tag), peer)  # no offer: we offer our current SDP
    assert peer.responses()[-1].status_code == 200 and b"first" in peer.responses()[-1].body
    stack.receive(request("INVITE", "re4", 5, "not-our-tag"), peer)
    assert peer.responses()[-1].status_code == 481
