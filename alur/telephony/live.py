"""The SIP side of the queues: callers wait on the line, agents' phones ring for the router's offers.

An adapter of `alur.service`: it sends the contact center commands (enqueue, ringing, answer,
decline, hang up, callback) and reacts to its events on the bus: `Offered` rings the agent's phone,
`OfferDeclined` stops a phone ringing for an offer that was withdrawn, `WaitEnded` ends a caller's
wait. A queued caller hears music on hold with position / estimated-wait announcements; on answer
the two legs are bridged until either side hangs up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

from alur.core.announcements import Announcements
from alur.core.channel import Prompt, QueueOutcome, QueueRequest
from alur.core.envelope import Envelope
from alur.core.errors import AlurError, CallerHungUp
from alur.core.events import GroupOffered, OfferDeclined, Offered, OffersWithdrawn, PromptPlayed, WaitEnded
from alur.media.prompts import default_music_on_hold
from alur.media.rtp import Playout
from alur.routing.engine import Router
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.telephony.callbacks import CallbackDialer, ask_number, tell_window
from alur.telephony.channel import SipChannel
from alur.telephony.connect import AUTO_ANSWER, BROWSER, AgentLeg, Connector, Target
from alur.telephony.consult import ConsultControl

log = logging.getLogger("alur.live")

Spawn = Callable[[Coroutine[Any, Any, Any], str], object]


class LiveQueues:
    def __init__(
        self,
        center: ContactCenter,
        connector: Connector,
        agent_target: Callable[[str], Target | None],
        spawn: Spawn,
        announcements: Announcements | None = None,
    ) -> None:
        self.center = center
        self.announcements = announcements or Announcements()
        self.connector = connector
        self.agent_target = agent_target
        self.spawn = spawn
        self.waiting: dict[str, tuple[SipChannel, asyncio.Future[QueueOutcome]]] = {}
        self.ringing: dict[str, AgentLeg] = {}  # reservation id -> leg
        self.picking_up: set[str] = set()  # reservation ids accepted on a desktop while ringing
        self.answered: dict[str, AgentLeg] = {}  # call id -> leg
        self.dialer = CallbackDialer(center, connector, agent_target, self._ring_agent)
        center.bus.subscribe("sip-queues", self.handle)

    def _do(self, command: cmd.Command) -> bool:
        """Carry out a command whose refusal only means the world moved on (the offer expired...)."""
        try:
            self.center.execute(command)
            return True
        except AlurError as exc:
            log.info("%s: %s", type(command).__name__, exc.message)
            return False

    async def handle(self, batch: list[Envelope]) -> None:
        for envelope in batch:
            event = envelope.event
            if isinstance(event, Offered):
                self.spawn(self._ring(event), f"ring {event.agent_id} for {event.call_id}")
            elif isinstance(event, GroupOffered):  # ring_all: every phone of the group rings
                for offer in event.offers():
                    self.spawn(self._ring(offer), f"ring {offer.agent_id} for {offer.call_id}")
            elif isinstance(event, OfferDeclined):
                leg = self._stop_ringing(event.reservation_id)
                if leg is not None:
                    leg.hangup()  # withdrawn (caller left, lost race, agent paused...): stop ringing
            elif isinstance(event, OffersWithdrawn):  # the other phones of a ring_all group
                for rid in event.reservation_ids:
                    leg = self._stop_ringing(rid)
                    if leg is not None:
                        leg.hangup()
            elif isinstance(event, WaitEnded):
                entry = self.waiting.get(event.call_id)
                if entry is not None and not entry[1].done():
                    outcome = QueueOutcome(event.result, event.agent_id, event.wait, event.target)
                    entry[1].set_result(outcome)

    # --- the caller's side -------------------------------------------------------------------------

    async def wait(self, channel: SipChannel, request: QueueRequest) -> QueueOutcome:
        """Queue the caller until the wait ends; after an answer, until the talk ends. The outcome
        says who ended the talk: a caller who hung up still lets the flow run its post-call steps.
        An agent who hands the caller to another queue starts a new wait there."""
        while True:
            control = ConsultControl()
            outcome = await self._wait_and_talk(channel, request, control)
            if control.to_queue is None:
                return outcome
            request = replace(request, queue=control.to_queue)

    async def _wait_and_talk(
        self, channel: SipChannel, request: QueueRequest, control: ConsultControl
    ) -> QueueOutcome:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[QueueOutcome] = loop.create_future()
        call_id = channel.call_id
        self.waiting[call_id] = (channel, future)
        try:
            self.center.execute(cmd.Enqueue(call_id, request))
            if not future.done():
                await channel.race(self._hold_and_offer(channel, request, future))
            outcome = await channel.race(future)
        except CallerHungUp:
            self._abandon(call_id)
            raise
        finally:
            self.waiting.pop(call_id, None)
        if outcome.result != "answered":
            return outcome
        leg = self.answered.pop(call_id, None)
        if leg is None:  # pragma: no cover - answered without a leg would be a router bug
            return QueueOutcome("no_agents")
        done = False

        def talk_ended(ended_by: str) -> None:
            nonlocal done
            if not done:
                done = True
                self._do(cmd.Hangup(call_id, ended_by))

        queue = self.center.project.queues.get(request.queue)
        control.music_on_hold = request.music_on_hold or (queue.music_on_hold if queue is not None else None)
        self.center.devices.consults[call_id] = control.request
        try:
            ended_by = await self.connector.talk(
                channel, leg, on_transfer=lambda: talk_ended("transfer"), control=control
            )
        finally:
            self.center.devices.hangups.pop(call_id, None)
            self.center.devices.consults.pop(call_id, None)
        talk_ended(ended_by)
        return QueueOutcome(outcome.result, outcome.agent_id, outcome.wait, outcome.target, ended_by)

    def _abandon(self, call_id: str) -> None:
        leg = self.answered.pop(call_id, None)
        if leg is not None:
            leg.hangup()
        self._do(cmd.Hangup(call_id, "caller"))

    async def _hold(
        self, channel: SipChannel, request: QueueRequest, done: asyncio.Future[QueueOutcome]
    ) -> None:
        """Music on hold (the flow's file, else the queue's, else a generated tune), interrupted every
        `announce_every` seconds by position / wait news; the music resumes where it stopped."""
        queue = self.center.project.queues.get(request.queue)
        file = request.music_on_hold or (queue.music_on_hold if queue is not None else None)
        if file:
            frames = await channel.frames(Prompt(file=file))
        else:
            frames = channel.prompts.tone_frames("moh", default_music_on_hold(), channel.media.codec)
        music = Playout(frames or [b"\xff" * 160], loop=True)
        first = True
        while not done.done():
            announces = request.announce_position or request.announce_wait or request.offer_callback
            if announces and not first:
                for announcement, prompt in self._announcements(channel.call_id, request):
                    if done.done():
                        break
                    now = self.center.clock.now()
                    said = prompt.describe()
                    self.center.publish(
                        PromptPlayed(now, channel.call_id, "queue", said, prompt.language, announcement)
                    )
                    await _until(channel.play_frames(await channel.frames(prompt)), done)
            first = False
            if done.done():
                break
            await _until(channel.play_frames(music), done, timeout=request.announce_every)

    async def _hold_and_offer(
        self, channel: SipChannel, request: QueueRequest, done: asyncio.Future[QueueOutcome]
    ) -> None:
        """The hold, and with a callback offer, a watch for 1: the music stops while the caller
        confirms or keys the number; the call keeps its place, the caller may then go. A caller who
        gives no usable number goes back to the music."""
        while not done.done():
            hold = asyncio.ensure_future(self._hold(channel, request, done))
            if not request.offer_callback:
                await hold
                return
            pressed = asyncio.ensure_future(self._pressed_one(channel, done))
            try:
                await asyncio.wait({hold, pressed}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (hold, pressed):
                    task.cancel()
                await asyncio.gather(hold, pressed, return_exceptions=True)
            if channel.hung_up.is_set():
                raise CallerHungUp()
            if done.done() or not pressed.done() or pressed.cancelled() or not pressed.result():
                continue
            language = request.caller_language
            number = await ask_number(self.center, self.announcements, channel, language)
            if number and not done.done():
                opens = await tell_window(self.center, self.announcements, channel, language, request.queue)
                self._do(cmd.RequestCallback(channel.call_id, number, opens))

    @staticmethod
    async def _pressed_one(channel: SipChannel, done: asyncio.Future[QueueOutcome]) -> bool:
        """True once the waiting caller pressed 1 (asking for a callback)."""
        while not done.done() and not channel.hung_up.is_set():
            if "1" in channel.digits:
                channel.digits.clear()
                return True
            await channel.next_digit()
        return False

    def _announcements(self, call_id: str, request: QueueRequest) -> list[tuple[str, Prompt]]:
        return queue_announcements(self.center.router, self.announcements, call_id, request)

    # --- the agents' side --------------------------------------------------------------------------

    def _still_offered(self, reservation_id: str) -> bool:
        return reservation_id in self.center.router.reservations

    async def _ring(self, offer: Offered) -> None:
        if not self._still_offered(offer.reservation_id):
            return  # withdrawn before we got to it
        if offer.callback_number is not None:
            await self.dialer.call_back(offer)
            return
        entry = self.waiting.get(offer.call_id)
        target = self.agent_target(offer.agent_id)
        if entry is None or target is None:
            self._do(cmd.Decline(offer.reservation_id, "no_answer"))
            return
        channel = entry[0]
        leg = await self._ring_agent(offer, target, channel.caller_id)
        if leg is None:
            return
        if offer.call_id not in self.waiting or not self._still_offered(offer.reservation_id):
            leg.hangup()  # the caller left, or the offer expired, while the phone was answering
            return
        self.answered[offer.call_id] = leg
        if not self._do(cmd.Answer(offer.reservation_id)):
            self.answered.pop(offer.call_id, None)
            leg.hangup()
            return
        self.center.devices.hangups[offer.call_id] = leg.hangup  # a desktop's hang-up ends this leg

    async def _ring_agent(self, offer: Offered, target: Target, caller_id: str) -> AgentLeg | None:
        """Ring the agent's phone for `offer` until it answers (the leg, not yet connected) or not
        (None: withdrawn, or missed and declined to the router, which puts the call back in line).
        Accepted on the desktop meanwhile, the ringing stops and the phone is rung to pick up itself."""
        headers: dict[str, str] | None = None
        while True:
            leg = await self._start_ringing(offer, target, caller_id, headers)
            if leg is None:
                return None
            if headers is None:
                leg.on_ringing = lambda: self._do(cmd.Ringing(offer.reservation_id))
            result = await leg.result
            self._stop_ringing(offer.reservation_id)
            if result == "cancelled" and offer.reservation_id in self.picking_up and headers is None:
                self.picking_up.discard(offer.reservation_id)
                headers = AUTO_ANSWER
                continue
            self.picking_up.discard(offer.reservation_id)
            if result == "cancelled":
                return None
            if result != "answered":
                self._do(cmd.Decline(offer.reservation_id, _miss(result)))
                return None
            return leg

    async def _start_ringing(
        self, offer: Offered, target: Target, caller_id: str, headers: dict[str, str] | None = None
    ) -> AgentLeg | None:
        """Ring the phone; if the offer was withdrawn while the leg was being set up (its RTP port
        opening), stop at once instead of leaving the phone ringing for nobody."""
        timeout = max(1.0, offer.expires_at - self.center.clock.now()) + 2.0  # the router expires first
        leg = await self.connector.ring(target, caller_id=caller_id, timeout=timeout, headers=headers)
        if not self._still_offered(offer.reservation_id):
            leg.hangup()
            return None
        rid = offer.reservation_id
        self.ringing[rid] = leg
        device = "browser phone" if target.transport == BROWSER else "SIP phone"
        self.center.devices.ringing[rid] = f"{offer.agent_id}'s {device}"
        if headers is None and target.transport != BROWSER:  # a browser is answered in its own page
            self.center.devices.pick_ups[rid] = lambda: self._pick_up(rid)
        return leg

    def _pick_up(self, reservation_id: str) -> None:
        """Stop the ringing; `_ring_agent` rings again asking the phone to answer by itself."""
        leg = self.ringing.get(reservation_id)
        if leg is not None:
            self.picking_up.add(reservation_id)
            leg.hangup()

    def _stop_ringing(self, reservation_id: str) -> AgentLeg | None:
        self.center.devices.ringing.pop(reservation_id, None)
        self.center.devices.pick_ups.pop(reservation_id, None)
        return self.ringing.pop(reservation_id, None)

    def hang_up_all(self) -> None:
        """Shutdown: stop every phone still ringing."""
        for leg in list(self.ringing.values()):
            leg.hangup()
        for reservation_id in self.ringing:
            self.center.devices.ringing.pop(reservation_id, None)
        self.ringing.clear()


def queue_announcements(
    router: Router, announcements: Announcements, call_id: str, request: QueueRequest
) -> list[tuple[str, Prompt]]:
    """The news a waiting caller hears between the music, in their language, as (announcement id,
    prompt) pairs: place in line, expected wait (only when there is an estimate: nobody staffed
    means none), the callback offer."""
    try:
        position = router.position(call_id)
        wait = router.estimated_wait(call_id)
    except AlurError:
        return []
    language = request.caller_language
    say = announcements.prompt
    out = []
    if request.announce_position:
        out.append(("queue.position", say("queue.position", language, position=position)))
    if request.announce_wait and wait is not None and wait > 0:
        minutes = max(1, round(wait / 60))
        out.append(("queue.wait", say("queue.wait", language, minutes=minutes)))
    if request.offer_callback:
        out.append(("queue.callback_offer", say("queue.callback_offer", language)))
    return out


def _miss(result: str) -> str:
    return result if result in ("busy", "declined") else "no_answer"


async def _until(
    aw: Awaitable[None], done: asyncio.Future[QueueOutcome], timeout: float | None = None
) -> None:
    """Run `aw` until it finishes, `done` resolves, or `timeout` passes."""
    task: asyncio.Future[Any] = asyncio.ensure_future(aw)
    waiter: asyncio.Future[Any] = asyncio.ensure_future(asyncio.shield(done))
    try:
        await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: a hang-up here is handled by the caller's race
        if not task.done():
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, CallerHungUp):
                pass
