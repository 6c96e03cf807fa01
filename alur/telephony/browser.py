"""Agents' browser phones as agent legs: an offer rings the agent's desktop page, which answers over WebRTC.

A `BrowserLeg` has the face of a SIP phone's `OutboundLeg` (`result`, `ended`, `media`, `hangup()`...),
and its `media` is an ordinary `RtpStream` (fed by `alur.webrtc`'s gateway over loopback), so the queues,
consultations, recording and supervision treat a browser agent as they treat a phone agent.

The page's messages (see `alur.service.phones`): `connect` {leg, sdp} answers a ringing leg (or
re-attaches an answered one after a reload) with the page's offer; `reject`, `hangup`, `dtmf` {digit};
`echo` {sdp} / `echo_end` for the device check. Hold is not a message: the page asks the HTTP API
(`POST /agents/{id}/hold`, `/resume`), as the desktop does for any phone, so the caller hears the
queue's music on hold and the talk is unbridged meanwhile. Alur sends `ring`, `sdp`, `talking`
{codec, held}, `resume` (a call waiting for the reloaded page to offer again) and `end`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from alur.core.errors import AlurError
from alur.media.clock import MediaClock
from alur.media.rtp import RtpStream, echo
from alur.service.commands import Command, Pause, Ready
from alur.service.phones import BrowserPhones, Message
from alur.webrtc.gateway import DTMF_EVENTS, BrowserMedia

if TYPE_CHECKING:
    from alur.telephony.connect import Target

log = logging.getLogger("alur.browser")

Spawn = Callable[[Coroutine[Any, Any, Any], str], object]
CONNECT_TIMEOUT = 15.0  # seconds for the page's media path to come up once it answered
PAUSE_REASON = "phone_offline"


class BrowserLeg:
    """A ringing or answered browser phone, behind the same interface as a SIP agent leg."""

    call = None  # no SIP dialog

    def __init__(self, leg_id: str, target: Target, caller_id: str, media: RtpStream, browser: BrowserMedia):
        self.id = leg_id
        self.target = target
        self.agent_id: str = target.agent_id
        self.caller_id = caller_id
        self.media = media
        self.browser = browser
        self.result: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.ended = asyncio.Event()
        self.refer_to: str | None = None
        self.refer_event = asyncio.Event()  # a browser does not REFER; consult/transfer go through the API
        self.on_ringing: Callable[[], None] = lambda: None
        self.on_end: Callable[[], None] = lambda: None
        self.on_close: Callable[[BrowserLeg], None] = lambda leg: None

    @property
    def answered(self) -> bool:
        return self.result.done() and not self.result.cancelled() and self.result.result() == "answered"

    def _settle(self, result: str) -> None:
        if not self.result.done():
            self.result.set_result(result)

    def no_answer(self) -> None:
        """The ring timeout passed: a leg still ringing stops (an answered one goes on)."""
        if not self.result.done():
            self._settle("no_answer")
            self.hangup()

    def reject(self) -> None:
        self._settle("declined")
        self.hangup()

    def hangup(self) -> None:
        """Stop ringing, or end the call (the page is told either way)."""
        self._settle("cancelled")
        if self.ended.is_set():
            return
        self.ended.set()
        self.media.close()
        self.on_close(self)
        self.on_end()


class BrowserCalls:
    """Rings agents' browser phones and carries their calls' media through `alur.webrtc`."""

    def __init__(
        self,
        phones: BrowserPhones,
        media_clock: MediaClock,
        spawn: Spawn,
        execute: Callable[[Command], None],
        other_phone: Callable[[str], bool] = lambda agent_id: False,
        presence: Callable[[str], tuple[str, str | None]] = lambda agent_id: ("", None),
        held: Callable[[str], bool] = lambda agent_id: False,
    ) -> None:
        self.phones = phones
        self.media_clock = media_clock
        self.spawn = spawn
        self.execute = execute
        self.other_phone = other_phone
        self.presence = presence  # agent id -> (routing state, pause reason)
        self.held = held  # whether the agent's caller is on hold now (a reloaded page shows it)
        self.away: set[str] = set()  # idle agents paused when their page closed, until it comes back
        self.legs: dict[str, BrowserLeg] = {}
        self.echoes: dict[str, tuple[RtpStream, BrowserMedia]] = {}  # agent id -> device-check echo call
        self._ids = itertools.count(1)
        phones.on_message = self.handle
        phones.on_attach = self.attached
        phones.on_detach = self.detached
        phones.on_gone = self.gone

    def ice_servers(self) -> list[dict[str, Any]]:
        return list(self.phones.hello()["ice_servers"])

    async def ring(self, target: Target, *, caller_id: str) -> BrowserLeg:
        """Ring `target.agent_id`'s page; await `leg.result` as for a SIP leg."""
        media, browser = await self._gateway()
        leg = BrowserLeg(f"b{next(self._ids)}", target, caller_id, media, browser)
        leg.on_close = self._closed
        self.legs[leg.id] = leg
        if self.phones.send(leg.agent_id, self._ring_message(leg)):
            asyncio.get_running_loop().call_soon(lambda: leg.result.done() or leg.on_ringing())
        else:
            asyncio.get_running_loop().call_soon(leg.no_answer)  # the page closed just now
        return leg

    async def _gateway(self) -> tuple[RtpStream, BrowserMedia]:
        """A local RTP stream joined to a WebRTC gateway: the page's audio as any phone leg's."""
        media = RtpStream("127.0.0.1", clock=self.media_clock)
        rtp_port = await media.open()
        browser = BrowserMedia(self.media_clock, self.ice_servers(), self.phones.settings.codecs)
        try:
            port = await browser.open()
        except OSError:
            media.close()
            raise
        media.configure(("127.0.0.1", port), "PCMU", 0, 101)
        browser.plug(rtp_port)
        return media, browser

    @staticmethod
    def _ring_message(leg: BrowserLeg) -> Message:
        return {"type": "ring", "leg": leg.id, "caller": leg.caller_id}

    def _closed(self, leg: BrowserLeg) -> None:
        self.legs.pop(leg.id, None)
        self.phones.send(leg.agent_id, {"type": "end", "leg": leg.id})
        self.spawn(leg.browser.close(), f"close browser media {leg.id}")

    # --- what the page says ----------------------------------------------------------------------------

    def handle(self, agent_id: str, message: Message) -> None:
        kind = message.get("type")
        if kind == "echo":
            self.spawn(self._echo(agent_id, str(message.get("sdp") or "")), f"echo test {agent_id}")
            return
        if kind == "echo_end":
            self.spawn(self._end_echo(agent_id), f"echo test end {agent_id}")
            return
        leg = self.legs.get(str(message.get("leg")))
        if leg is None or leg.agent_id != agent_id:
            self.phones.send(agent_id, {"type": "end", "leg": message.get("leg")})  # over, or never was
            return
        if kind == "connect":
            self.spawn(self._connect(leg, str(message.get("sdp") or "")), f"connect browser {leg.id}")
        elif kind == "reject" and not leg.result.done():
            leg.reject()
        elif kind == "hangup":
            leg.hangup()
        elif kind == "dtmf" and str(message.get("digit", "")).upper() in DTMF_EVENTS:
            leg.browser.send_digit(str(message["digit"]))

    async def _connect(self, leg: BrowserLeg, offer: str) -> None:
        try:
            answer = await leg.browser.accept(offer)
        except Exception as exc:  # a page's unusable offer ends this attempt, not the server
            log.info("browser phone %s: offer refused: %s", leg.agent_id, exc)
            refused = {"type": "error", "leg": leg.id, "message": f"offer refused: {exc}"}
            self.phones.send(leg.agent_id, refused)
            if not leg.result.done():
                leg.reject()
            return
        if leg.ended.is_set():
            return
        self.phones.send(leg.agent_id, {"type": "sdp", "leg": leg.id, "sdp": answer})
        try:
            await asyncio.wait_for(leg.browser.connected.wait(), CONNECT_TIMEOUT)
        except TimeoutError:
            log.info("browser phone %s: no media path within %.0f s", leg.agent_id, CONNECT_TIMEOUT)
            if not leg.result.done():
                leg._settle("failed")
                leg.hangup()
            return
        leg._settle("answered")
        talking = {"type": "talking", "leg": leg.id, "codec": leg.browser.codec}
        self.phones.send(leg.agent_id, {**talking, "held": self.held(leg.agent_id)})  # reloaded during a hold

    # --- the page comes and goes -----------------------------------------------------------------------

    def attached(self, agent_id: str) -> None:
        """A (reloaded) page: ringing legs ring again there, answered ones wait for its new offer; an
        agent paused when the page closed is ready again."""
        if agent_id in self.away:
            self.away.discard(agent_id)
            if self.presence(agent_id) == ("paused", PAUSE_REASON):
                self._command(Ready(agent_id), f"browser phone of {agent_id} back")
        for leg in list(self.legs.values()):
            if leg.agent_id != agent_id or leg.ended.is_set():
                continue
            if leg.answered:
                self.phones.send(agent_id, {"type": "resume", "leg": leg.id, "caller": leg.caller_id})
            elif not leg.result.done():
                self.phones.send(agent_id, self._ring_message(leg))

    def detached(self, agent_id: str) -> None:
        """The page closed: its media stops until it comes back (the caller stays on the line). An idle
        agent with no other phone is paused at once, so no offer goes to a page that is not there; the
        page's return within the grace (a reload) makes them ready again."""
        for leg in list(self.legs.values()):
            if leg.agent_id == agent_id:
                self.spawn(leg.browser.detach(), f"detach browser {leg.id}")
        self.spawn(self._end_echo(agent_id), f"echo test end {agent_id}")
        if self.presence(agent_id)[0] == "available" and not self.other_phone(agent_id):
            if self._command(Pause(agent_id, PAUSE_REASON), f"browser phone of {agent_id} closed"):
                self.away.add(agent_id)

    def gone(self, agent_id: str) -> None:
        """The page did not come back in time: its calls end and the agent gets no more offers (and
        stays paused when a page comes back later: the agent chooses when to be ready)."""
        self.away.discard(agent_id)
        for leg in list(self.legs.values()):
            if leg.agent_id == agent_id:
                if leg.result.done():
                    leg.hangup()
                else:
                    leg.no_answer()
        if not self.other_phone(agent_id):
            self._command(Pause(agent_id, PAUSE_REASON), f"browser phone of {agent_id} gone")

    def _command(self, command: Command, what: str) -> bool:
        try:
            self.execute(command)
        except AlurError as exc:  # e.g. logged out meanwhile: nothing to do
            log.info("%s: %s", what, exc.message)
            return False
        return True

    # --- device check ------------------------------------------------------------------------------

    async def _echo(self, agent_id: str, offer: str) -> None:
        """The page's test call to the echo extension: through the same gateway and RTP as a real
        call, what the page sends comes straight back, so the agent hears themselves."""
        await self._end_echo(agent_id)
        try:
            media, browser = await self._gateway()
        except OSError as exc:
            self.phones.send(agent_id, {"type": "error", "message": f"echo test refused: {exc}"})
            return
        echo(media)
        self.echoes[agent_id] = (media, browser)
        try:
            answer = await browser.accept(offer)
        except Exception as exc:  # a page's unusable offer ends the test, not the server
            self.phones.send(agent_id, {"type": "error", "message": f"echo test refused: {exc}"})
            await self._end_echo(agent_id)
            return
        self.phones.send(agent_id, {"type": "echo_sdp", "sdp": answer})

    async def _end_echo(self, agent_id: str) -> None:
        gateway = self.echoes.pop(agent_id, None)
        if gateway is not None:
            media, browser = gateway
            media.close()
            await browser.close()

    async def close(self) -> None:
        for leg in list(self.legs.values()):
            leg.hangup()
        for agent_id in list(self.echoes):
            await self._end_echo(agent_id)
