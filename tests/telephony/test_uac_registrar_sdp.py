"""Client transactions and the UAC, the registrar's digest challenge, and SDP answers; in virtual time
with in-memory peers (two real endpoints of our own stack, no patching)."""

from __future__ import annotations

from aiosipua.auth import SipDigestAuth, answer_challenge
from sip_peers import MemPeer

from alur.core.clock import VirtualClock
from alur.telephony.sip.message import SipRequest, SipResponse, make_response, parse_message
from alur.telephony.sip.registrar import Registrar
from alur.telephony.sip.sdp import SdpError, answer_params, build_answer
from alur.telephony.sip.stack import SipStack
from alur.telephony.sip.ua import UserAgent


class Net:
    """Our UA and a list of what it sent to each address."""

    def __init__(self) -> None:
        self.clock = VirtualClock(100.0)
        self.stack = SipStack(self.clock, "127.0.0.1", 5060)
        self.peers: dict[tuple[str, int], MemPeer] = {}
        self.ua = UserAgent(self.stack, self.clock, self.peer)

    def peer(self, addr: tuple[str, int], transport: str = "UDP") -> MemPeer:
        return self.peers.setdefault(addr, MemPeer(addr=addr))

    def requests(self, addr: tuple[str, int]) -> list[SipRequest]:
        return [m for m in (parse_message(d) for d in self.peer(addr).sent) if isinstance(m, SipRequest)]


def reply(
    net: Net,
    request: SipRequest,
    status: int,
    *,
    tag: str = "ph1",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> None:
    resp = make_response(request, status, to_tag=tag, headers=headers, body=body)
    net.stack.receive(bytes(resp), net.peer(("10.0.0.5", 5062)))


PHONE = ("10.0.0.5", 5062)
SDP = b"v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


def test_invite_retransmitted_by_timer_a_until_timer_b_gives_up() -> None:
    net = Net()
    failed: list[int] = []
    call = net.ua.invite("sip:201@10.0.0.5:5062", PHONE, "UDP", from_user="100", sdp="v=0\r\n")
    call.on_failed = failed.append
    net.clock.run(until=net.clock.now() + 4.0)
    assert len(net.requests(PHONE)) == 4  # at 0, 0.5, 1.5, 3.5 s
    net.clock.run(until=net.clock.now() + 40)
    assert failed == [408]
    sent = len(net.requests(PHONE))
    net.clock.run(until=net.clock.now() + 40)
    assert len(net.requests(PHONE)) == sent  # nothing more after timer B


def test_busy_486_is_acked_on_the_invite_branch_and_again_for_each_retransmission() -> None:
    net = Net()
    failed: list[int] = []
    call = net.ua.invite("sip:201@10.0.0.5:5062", PHONE, "UDP", from_user="100", sdp="v=0\r\n")
    call.on_failed = failed.append
    invite = net.requests(PHONE)[0]
    reply(net, invite, 180)
    reply(net, invite, 486)
    reply(net, invite, 486)  # the phone did not get our ACK
    acks = [r for r in net.requests(PHONE) if r.method == "ACK"]
    assert len(acks) == 2
    assert acks[0].headers.get("via")[0] == invite.headers.get("via")[0]  # same branch (RFC 3261 17.1.1.3)
    assert acks[0].uri == invite.uri and "tag=ph1" in (acks[0].get_header("to") or "")
    assert failed == [486]  # told once


def test_200_with_contact_and_record_route_sets_the_dialog_route() -> None:
    net = Net()
    answered: list[str] = []
    call = net.ua.invite("sip:201@10.0.0.5:5062", PHONE, "UDP", from_user="100", sdp="v=0\r\n")
    call.on_answered = answered.append
    invite = net.requests(PHONE)[0]
    reply(
        net,
        invite,
        200,
        body=SDP,
        headers={
            "Contact": "<sip:201@10.0.0.9:5080>",
            "Record-Route": "<sip:proxy2.example;lr>, <sip:10.0.0.7:5070;lr>",
        },
    )
    assert answered and "m=audio 4000" in answered[0]
    ack = [r for r in net.requests(("10.0.0.7", 5070)) if r.method == "ACK"]
    assert len(ack) == 1  # sent to the first route (the last Record-Route), not the phone
    assert ack[0].uri == "sip:201@10.0.0.9:5080"  # Request-URI is the Contact
    assert ack[0].headers.get("route") == ["<sip:10.0.0.7:5070;lr>", "<sip:proxy2.example;lr>"]
    call.hangup()
    bye = [r for r in net.requests(("10.0.0.7", 5070)) if r.method == "BYE"]
    assert len(bye) == 1 and bye[0].get_header("cseq") == "2 BYE"


def test_cancel_waits_for_a_provisional_response() -> None:
    net = Net()
    call = net.ua.invite("sip:201@10.0.0.5:5062", PHONE, "UDP", from_user="100", sdp="v=0\r\n")
    call.cancel()
    assert not [r for r in net.requests(PHONE) if r.method == "CANCEL"]
    invite = net.requests(PHONE)[0]
    reply(net, invite, 180)
    cancels = [r for r in net.requests(PHONE) if r.method == "CANCEL"]
    assert len(cancels) == 1 and cancels[0].headers.get("via")[0] == invite.headers.get("via")[0]


def register(net: Net, registrar: Registrar, auth: str | None = None, expires: str = "300") -> SipResponse:
    req = SipRequest(method="REGISTER", uri="sip:127.0.0.1:5060")
    req.headers.append("Via", "SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK" + str(len(net.peer(PHONE).sent)))
    req.headers.append("From", "<sip:201@127.0.0.1>;tag=r1")
    req.headers.append("To", "<sip:201@127.0.0.1>")
    req.headers.append("Call-ID", "reg1")
    req.headers.append("CSeq", f"{len(net.peer(PHONE).sent) + 1} REGISTER")
    req.headers.append("Contact", "<sip:201@10.0.0.5:5062>")
    req.headers.append("Expires", expires)
    if auth:
        req.headers.append("Authorization", auth)
    net.stack.receive(bytes(req), net.peer(PHONE))
    return [m for m in (parse_message(d) for d in net.peer(PHONE).sent) if isinstance(m, SipResponse)][-1]


def test_registrar_challenges_then_binds_and_rejects_a_wrong_password() -> None:
    net = Net()
    changes: list[tuple[str, object]] = []
    registrar = Registrar(net.clock, {"201": "s3cret"}, on_change=lambda u, b: changes.append((u, b)))
    net.ua.registrar = registrar
    challenge = register(net, registrar)
    assert challenge.status_code == 401 and "nonce=" in (challenge.get_header("www-authenticate") or "")
    wrong = answer_challenge(SipDigestAuth("201", "nope"), challenge, 401, "REGISTER", "sip:127.0.0.1:5060")
    assert wrong is not None
    assert register(net, registrar, wrong[1]).status_code == 401
    assert registrar.lookup("201") is None
    right = answer_challenge(SipDigestAuth("201", "s3cret"), challenge, 401, "REGISTER", "sip:127.0.0.1:5060")
    assert right is not None
    ok = register(net, registrar, right[1])
    assert ok.status_code == 200 and "expires=300" in (ok.get_header("contact") or "")
    binding = registrar.lookup("201")
    assert binding is not None and binding.contact == "sip:201@10.0.0.5:5062"
    assert changes and changes[-1][0] == "201"
    net.clock.run(until=net.clock.now() + 301)
    assert registrar.lookup("201") is None  # expired
    assert register(net, registrar, right[1], expires="10").status_code == 423


def test_sdp_answer_keeps_offer_codec_order_and_dtmf_payload_type() -> None:
    offer = (
        "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 8 0 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:96 telephone-event/8000\r\n"
    )
    params = answer_params(offer)
    assert (params.codec, params.payload_type, params.dtmf_payload_type) == ("PCMA", 8, 96)
    assert (params.remote_host, params.remote_port) == ("10.0.0.5", 4000)
    answer = build_answer("127.0.0.1", 7000, params)
    assert "m=audio 7000 RTP/AVP 8 96" in answer and "a=rtpmap:96 telephone-event/8000" in answer


def test_sdp_without_g711_is_refused_naming_the_codecs() -> None:
    offer = "v=0\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
    try:
        answer_params(offer)
    except SdpError as exc:
        assert "OPUS" in exc.message and "PCMU" in exc.message
    else:
        raise AssertionError("expected SdpError")


def test_expired_registration_is_swept_and_reported() -> None:
    net = Net()
    changes: list[tuple[str, object]] = []
    registrar = Registrar(net.clock, {"201": "s3cret"}, on_change=lambda u, b: changes.append((u, b)))
    net.ua.registrar = registrar
    challenge = register(net, registrar)
    auth = answer_challenge(SipDigestAuth("201", "s3cret"), challenge, 401, "REGISTER", "sip:127.0.0.1:5060")
    assert auth is not None and register(net, registrar, auth[1], expires="60").status_code == 200
    net.clock.run(until=net.clock.now() + 61)
    registrar.sweep()
    assert changes[-1] == ("201", None) and not registrar.bindings


def test_trunk_digest_challenge_is_answered_once_with_the_next_cseq() -> None:
    from alur.telephony.sip.digest import DigestChallenger

    net = Net()
    trunk = DigestChallenger("carrier")
    failed: list[int] = []
    call = net.ua.invite(
        "sip:5551234@10.0.0.5:5062",
        PHONE,
        "UDP",
        from_user="100",
        sdp="v=0\r\n",
        credentials=("acme", "trunk-pw"),
    )
    call.on_failed = failed.append
    first = net.requests(PHONE)[0]
    reply(net, first, 407, headers={"Proxy-Authenticate": trunk.challenge()})
    invites = [r for r in net.requests(PHONE) if r.method == "INVITE"]
    acks = [r for r in net.requests(PHONE) if r.method == "ACK"]
    assert len(invites) == 2 and len(acks) == 1  # the 407 was ACKed, the INVITE re-sent
    retry = invites[1]
    assert retry.get_header("cseq") == "2 INVITE" and retry.call_id == first.call_id
    assert retry.headers.get("via")[0] != first.headers.get("via")[0]  # a new transaction
    status, user = trunk.check(retry.get_header("proxy-authorization"), "INVITE", {"acme": "trunk-pw"})
    assert (status, user) == ("ok", "acme")
    reply(net, retry, 407, headers={"Proxy-Authenticate": trunk.challenge()})  # wrong password: give up
    assert failed == [407]
