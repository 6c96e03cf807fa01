"""Outbound legs: ring an agent's phone, a SIP URI or an external number (through the trunk), bridge it
with the caller, and follow the conversation to its end (including an agent's blind transfer, REFER).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from alur.core.channel import ConnectOutcome
from alur.core.clock import Clock
from alur.core.errors import AlurError
from alur.core.events import CallHeld, CallResumed, CallTransferred, Event
from alur.media.clock import MediaClock
from alur.media.rtp import RtpStream, bridge, unbridge
from alur.service.commands import Command, DirectCallAnswered, DirectCallEnd, DirectCallStart
from alur.telephony.consult import Consultation, ConsultControl, on_hold
from alur.telephony.recording import Recordings
from alur.telephony.sip.client_call import ClientCall
from alur.telephony.sip.message import parse_uri
from alur.telephony.sip.sdp import SdpError, answer_from_offer_reply, build_offer
from alur.telephony.sip.ua import UserAgent

#: asks a phone to pick up by itself: RFC 5373's Answer-Mode, and the Call-Info and Alert-Info forms
#: that desk phones and softphones (Polycom, Yealink, Grandstream, Cisco, baresip...) follow when allowed
AUTO_ANSWER = {
    "Answer-Mode": "Auto",
    "Call-Info": "<sip:auto-answer.invalid>;answer-after=0",
    "Alert-Info": "<http://auto-answer.invalid>;info=alert-autoanswer",
}

#: the requests that hand the talk on: a consultation, a blind transfer, back to a queue
HANDOVERS = ("consult", "blind", "queue")
#: requests that mean nothing during a plain talk (they step a consultation or end a hold)
IDLE = ("complete", "cancel", "conference", "resume")

if TYPE_CHECKING:
    from alur.telephony.browser import BrowserCalls

log = logging.getLogger("alur.connect")
BROWSER = "WEBRTC"  # the transport of an agent's browser phone (alur.telephony.browser)

FAILURES = {486: "busy", 600: "busy", 603: "declined", 408: "no_answer", 480: "no_answer", 487: "no_answer"}


@dataclass(frozen=True, slots=True)
class Target:
    """Where to ring: the Request-URI and the address/transport to send the INVITE to."""

    uri: str
    addr: tuple[str, int]
    transport: str = "UDP"
    label: str = ""
    credentials: tuple[str, str] | None = None  # answers a 401/407 (e.g. a trunk's)
    agent_id: str = ""  # set when this is an agent's phone: the router must know it rings

    @classmethod
    def browser(cls, agent_id: str) -> Target:
        """The agent's browser phone (the agent desktop page acting as their phone)."""
        return cls(f"browser:{agent_id}", ("", 0), BROWSER, f"{agent_id} (browser)", agent_id=agent_id)

    @classmethod
    def from_uri(cls, uri: str, label: str = "", *, agent_id: str = "") -> Target:
        u = parse_uri(uri)
        transport = str(u.params.get("transport") or "udp").upper()
        return cls(uri, (u.host, u.port or 5060), transport, label or uri, agent_id=agent_id)


class AgentLeg(Protocol):
    """What queues, consultations, recording and supervision use of a rung leg: a SIP `OutboundLeg`
    or an agent's browser phone (`alur.telephony.browser.BrowserLeg`)."""

    target: Target
    media: RtpStream
    result: asyncio.Future[str]
    ended: asyncio.Event
    refer_to: str | None
    refer_event: asyncio.Event
    on_ringing: Callable[[], None]
    on_end: Callable[[], None]

    def no_answer(self) -> None: ...

    def hangup(self) -> None: ...


class OutboundLeg:
    """A ringing or answered SIP leg with its own RTP stream."""

    def __init__(self, call: ClientCall, media: RtpStream, target: Target) -> None:
        self.call = call
        self.media = media
        self.target = target
        self.result: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.ended = asyncio.Event()
        self.refer_to: str | None = None
        self.refer_event = asyncio.Event()
        call.on_ringing = self._ringing
        call.on_answered = self._answered
        call.on_failed = self._failed
        call.on_ended = lambda why: self._end()
        call.on_refer = self._refer
        call.on_reoffer = self._reoffer
        self.on_ringing: Callable[[], None] = lambda: None
        self.on_end: Callable[[], None] = lambda: None

    def _ringing(self) -> None:
        self.on_ringing()

    def _answered(self, sdp: str) -> None:
        try:
            p = answer_from_offer_reply(sdp)
        except SdpError as exc:
            log.info("leg to %s answered with unusable SDP: %s", self.target.label, exc.message)
            self.call.hangup()
            self._settle("failed")
            return
        self.media.agree(p)
        self._settle("answered")

    def _failed(self, status: int) -> None:
        self._settle(FAILURES.get(status, "failed"))
        self._end()

    def _settle(self, result: str) -> None:
        if not self.result.done():
            self.result.set_result(result)

    def _reoffer(self, offer: str) -> str | None:
        from alur.telephony.channel import reoffer

        return reoffer(self.media, offer)

    def _refer(self, target: str) -> bool:
        self.refer_to = target
        self.refer_event.set()
        return True

    def _end(self) -> None:
        if self.ended.is_set():
            return
        self.ended.set()
        self.media.close()
        self.on_end()

    def no_answer(self) -> None:
        """The ring timeout passed."""
        if not self.result.done():
            self._settle("no_answer")
            self.hangup()

    def hangup(self) -> None:
        """Cancel if ringing, BYE if answered."""
        self.call.hangup()
        self._settle("cancelled")
        self._end()


class Connector:
    """Rings targets and bridges them with callers. `resolve(destination)` turns an agent id,
    extension, SIP URI or number into a `Target` (numbers go to the trunk), or None."""

    def __init__(
        self,
        ua: UserAgent,
        media_host: str,
        resolve: Callable[[str], Target | None],
        *,
        clock: Clock,
        emit: Callable[[Event], None],
        bind_host: str | None = None,
        execute: Callable[[Command], None] | None = None,
        media_clock: MediaClock | None = None,
        recordings: Recordings | None = None,
        browsers: BrowserCalls | None = None,
    ) -> None:
        self.browsers = browsers  # agents' browser phones (Target.transport == "WEBRTC")
        self.execute = execute
        self.media_clock = media_clock
        self.recordings = recordings
        self.talks: dict[str, tuple[object, AgentLeg]] = {}  # agent id -> (caller, leg) while bridged
        self.held: set[str] = set()  # agent ids whose caller is on hold now
        self.ua = ua
        self.media_host = media_host
        self.bind_host = bind_host or media_host
        self.resolve = resolve
        self.clock = clock
        self.emit = emit

    async def ring(
        self,
        target: Target,
        *,
        caller_id: str,
        timeout: float | None,
        call_id: str = "",
        kind: str = "",
        headers: dict[str, str] | None = None,
    ) -> AgentLeg:
        """Start ringing; await `leg.result` for 'answered' | 'busy' | 'no_answer' | 'declined' | 'failed'.
        With `kind` ("agent_blind", "ring_group"), an agent's phone rung outside the queues is reported
        to the router, so it offers that agent nothing else until this call is over."""
        leg: AgentLeg
        if target.transport == BROWSER:
            assert self.browsers is not None, "a browser target without browser phones"
            leg = await self.browsers.ring(target, caller_id=caller_id)
        else:
            leg = await self._ring_sip(target, caller_id, headers)
        if kind and target.agent_id:
            self._direct_call(leg, target.agent_id, call_id, kind)
        if timeout is not None:
            asyncio.get_running_loop().call_later(timeout, leg.no_answer)
        return leg

    async def _ring_sip(self, target: Target, caller_id: str, headers: dict[str, str] | None) -> OutboundLeg:
        host, sip_port = target.addr
        address = await self.ua.names.resolve(host)
        if address is None:
            log.warning("cannot ring %s: no address for host %r", target.label, host)
            address = host  # the INVITE is lost and times out: the leg ends as no answer
        media = RtpStream(self.bind_host, self.media_host, self.media_clock)
        port = await media.open()
        call = self.ua.invite(
            target.uri,
            (address, sip_port),
            target.transport,
            from_user=caller_id or "anonymous",
            sdp=build_offer(self.media_host, port),
            headers=headers,
            credentials=target.credentials,
        )
        return OutboundLeg(call, media, target)

    def _direct_call(self, leg: AgentLeg, agent_id: str, call_id: str, kind: str) -> None:
        self._tell(DirectCallStart(agent_id, call_id, kind))

        def settled(result: asyncio.Future[str]) -> None:
            if not result.cancelled() and result.result() == "answered":
                self._tell(DirectCallAnswered(agent_id, call_id))

        leg.result.add_done_callback(settled)
        leg.on_end = lambda: self._tell(DirectCallEnd(agent_id, call_id))

    def _tell(self, command: Command) -> None:
        if self.execute is None:
            return
        try:
            self.execute(command)
        except AlurError as exc:
            log.info("%s: %s", type(command).__name__, exc.message)

    async def talk(
        self,
        channel: object,
        leg: AgentLeg,
        *,
        on_transfer: Callable[[], None] | None = None,
        control: ConsultControl | None = None,
    ) -> str:
        """Bridge caller and leg until one side hangs up or goes silent; follow REFER blind transfers
        (`on_transfer` is told when the agent hands the call on). Returns who ended it: 'caller',
        'agent' or 'transfer'."""
        from alur.telephony.channel import SipChannel

        assert isinstance(channel, SipChannel)
        transferred = False
        while True:
            bridge(channel.media, leg.media)
            channel.connected_to = leg.target.label
            talker = leg.target.agent_id or leg.target.label
            self.talks[talker] = (channel, leg)
            recording = (
                self.recordings.begin(channel.call_id, channel.media, leg.media, mode=channel.recording_mode)
                if self.recordings
                else None
            )
            silent = False
            waits: set[asyncio.Future[Any]] = {
                asyncio.ensure_future(channel.hung_up.wait()),
                asyncio.ensure_future(leg.ended.wait()),
                asyncio.ensure_future(leg.refer_event.wait()),
            }
            keys = leg.media.on_dtmf
            asked: asyncio.Future[tuple[str, str]] | None = None
            if control is not None:
                leg.media.on_dtmf = control.keypad(keys)
                asked = asyncio.ensure_future(control.requests.get())
                waits.add(asked)
            try:
                while not any(w.done() for w in waits):
                    await asyncio.wait(waits, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                    if (
                        asked is not None
                        and control is not None
                        and asked.done()
                        and asked.result()[0] in IDLE
                    ):
                        waits.discard(asked)  # a step with nothing to act on: keep talking, keep listening
                        asked = asyncio.ensure_future(control.requests.get())
                        waits.add(asked)
                    if leg.media.silent_for() > channel.silence_timeout and not leg.ended.is_set():
                        log.info(
                            "call %s: no RTP from %s for %.0f s, ending that leg",
                            channel.call_id,
                            leg.target.label,
                            channel.silence_timeout,
                        )
                        silent = True
                        break
            finally:
                for w in waits:
                    w.cancel()
                leg.media.on_dtmf = keys
                if self.talks.get(talker, (None, None))[1] is leg:
                    del self.talks[talker]
                if recording is not None and self.recordings is not None:
                    await self.recordings.end(recording)
            unbridge(channel.media, leg.media)
            channel.connected_to = None
            channel.stats["agent_rtp_in"] += leg.media.packets_in
            channel.stats["agent_rtp_out"] += leg.media.packets_out
            request = asked.result() if asked is not None and asked.done() and not asked.cancelled() else None
            blind_to: str | None = None
            if request is not None and control is not None and request[0] == "hold":
                if not (channel.hung_up.is_set() or leg.ended.is_set()):
                    await self._hold(channel, leg, control)
                continue  # bridged again (or a hang-up, seen at once)
            if request is not None and control is not None:
                action, destination = request
                if channel.hung_up.is_set() or leg.ended.is_set() or action not in HANDOVERS:
                    continue  # complete/cancel/conference outside a consultation: nothing to do
                if action == "queue":  # the caller goes back to waiting, in that queue
                    leg.hangup()
                    if not transferred and on_transfer is not None:
                        on_transfer()
                    control.to_queue = destination
                    self.emit(CallTransferred(self.clock.now(), channel.call_id, destination, "queue"))
                    return "transfer"
                if action == "blind":
                    blind_to = destination
                else:
                    after = await self._consult(channel, leg, destination, control)
                    if after is None:
                        leg.hangup()
                        return "transfer" if transferred else "caller"
                    if after is not leg:
                        if not transferred and on_transfer is not None:
                            on_transfer()
                        transferred = True
                        self.emit(
                            CallTransferred(self.clock.now(), channel.call_id, destination, "agent_warm")
                        )
                        leg = after
                    continue
            if channel.hung_up.is_set():
                leg.hangup()
                return "transfer" if transferred else "caller"
            if blind_to is None and (silent or leg.refer_to is None or not leg.refer_event.is_set()):
                leg.hangup()
                return "transfer" if transferred else "agent"
            destination = blind_to or leg.refer_to or ""
            leg.hangup()
            if not transferred and on_transfer is not None:
                on_transfer()
            transferred = True
            self.emit(CallTransferred(self.clock.now(), channel.call_id, destination, "agent_blind"))
            target = self.resolve(destination)
            if target is None:
                log.info("call %s: blind transfer to unknown destination %r", channel.call_id, destination)
                await channel.hangup("transfer_failed")
                return "transfer"
            leg = await self.ring(
                target, caller_id=channel.caller_id, timeout=60.0, call_id=channel.call_id, kind="agent_blind"
            )
            result = await channel.race(_guard(leg))
            if result != "answered":
                await channel.hangup("transfer_failed")
                return "transfer"

    async def _hold(self, channel: Any, leg: AgentLeg, control: ConsultControl) -> None:
        """The caller on hold with music until the agent resumes (or either hangs up)."""
        agent_id = leg.target.agent_id or leg.target.label
        self.emit(CallHeld(self.clock.now(), channel.call_id, agent_id))
        self.held.add(agent_id)
        try:
            outcome = await on_hold(channel, leg, control)
        finally:
            self.held.discard(agent_id)
        self.emit(CallResumed(self.clock.now(), channel.call_id, agent_id, outcome))

    async def _consult(
        self, channel: Any, leg: AgentLeg, destination: str, control: ConsultControl
    ) -> AgentLeg | None:
        """The caller on hold while the agent consults `destination` (see alur.telephony.consult)."""

        async def ring() -> AgentLeg | None:
            target = self.resolve(destination)
            if target is None:
                log.info("call %s: consultation with unknown destination %r", channel.call_id, destination)
                return None
            return await self.ring(
                target, caller_id=channel.caller_id, timeout=30.0, call_id=channel.call_id, kind="consult"
            )

        consultation = Consultation(channel, leg, destination, control, self.emit, self.clock.now)
        keys = leg.media.on_dtmf
        leg.media.on_dtmf = control.keypad(keys)  # the agent's keys step the consultation on
        talker = leg.target.agent_id or leg.target.label
        self.talks[talker] = (channel, leg)  # still the agent's call (a supervisor may listen in)
        try:
            after: AgentLeg | None = await consultation.run(ring)
        finally:
            leg.media.on_dtmf = keys
            if self.talks.get(talker, (None, None))[1] is leg:
                del self.talks[talker]
        return after

    async def connect(
        self, channel: object, destinations: list[str], *, timeout: float, strategy: str = "ring_all"
    ) -> ConnectOutcome:
        """Ring destinations (all at once, or one after another), bridge the first to answer, and
        return when that conversation ends."""
        from alur.core.errors import CallerHungUp
        from alur.telephony.channel import SipChannel

        assert isinstance(channel, SipChannel)
        targets = [(d, self.resolve(d)) for d in destinations]
        usable = [(d, t) for d, t in targets if t is not None]
        if not usable:
            return ConnectOutcome("failed")
        groups = [usable] if strategy == "ring_all" else [[dt] for dt in usable]
        last = "no_answer"
        deadline = asyncio.get_running_loop().time() + timeout  # the timeout is for the whole attempt
        for group in groups:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0.5:
                break
            legs = [
                (
                    d,
                    await self.ring(
                        t,
                        caller_id=channel.caller_id,
                        timeout=left,
                        call_id=channel.call_id,
                        kind="ring_group",
                    ),
                )
                for d, t in group
            ]
            try:
                winner = await channel.race(_first_answer([leg for _, leg in legs]))
            except CallerHungUp:
                for _, leg in legs:
                    leg.hangup()
                raise
            for _, leg in legs:
                if leg is not winner:
                    leg.hangup()
            if winner is None:
                results = [leg.result.result() for _, leg in legs if leg.result.done()]
                last = "busy" if results and all(r == "busy" for r in results) else "no_answer"
                continue
            name = next(d for d, leg in legs if leg is winner)
            await self.talk(channel, winner)
            return ConnectOutcome("answered", answered_by=name)
        return ConnectOutcome(last)


async def _guard(leg: AgentLeg) -> str:
    return await leg.result


async def _first_answer(legs: list[AgentLeg]) -> AgentLeg | None:
    pending = {asyncio.ensure_future(_tagged(leg)) for leg in legs}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for d in done:
                leg, result = d.result()
                if result == "answered":
                    return leg
        return None
    finally:
        for p in pending:
            p.cancel()


async def _tagged(leg: AgentLeg) -> tuple[AgentLeg, str]:
    return leg, await leg.result
