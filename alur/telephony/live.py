"""The live queue service: joins the routing engine (`alur.routing.Router`, pure) to real calls.

A queued caller hears music on hold with position / estimated-wait announcements; each offer the
router makes rings the agent's phone (UAC) until the router's ring timeout; busy, no answer and decline
go back to the router, which returns the call to its place. On answer the two legs are bridged until
either side hangs up, then `talk_ended` tells the router.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from alur.core.channel import Prompt, QueueOutcome, QueueRequest
from alur.core.errors import CallerHungUp
from alur.core.events import CallbackAttempted, PromptPlayed
from alur.media.prompts import default_music_on_hold
from alur.media.rtp import bridge
from alur.routing.calls import Offer
from alur.routing.engine import Router
from alur.routing.errors import RoutingError
from alur.telephony.channel import SipChannel
from alur.telephony.connect import Connector, OutboundLeg, Target

log = logging.getLogger("alur.live")


class LiveQueues:
    def __init__(
        self,
        router: Router,
        connector: Connector,
        agent_target: Callable[[str], Target | None],
    ) -> None:
        self.router = router
        self.connector = connector
        self.agent_target = agent_target
        self.waiting: dict[str, tuple[SipChannel, asyncio.Future[QueueOutcome]]] = {}
        self.ringing: dict[str, OutboundLeg] = {}  # reservation id -> leg
        self.answered: dict[str, OutboundLeg] = {}  # call id -> leg
        self._tasks: set[asyncio.Task[None]] = set()
        router.on_offer = self._offer
        router.on_cancel = self._cancel
        router.on_outcome = self._outcome

    # --- the caller's side -------------------------------------------------------------------------

    async def wait(self, channel: SipChannel, request: QueueRequest) -> QueueOutcome:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[QueueOutcome] = loop.create_future()
        self.waiting[channel.call_id] = (channel, future)
        try:
            self.router.enqueue(channel.call_id, request)
            watcher = None
            if request.offer_callback:
                watcher = asyncio.ensure_future(self._watch_callback(channel, future))
            try:
                if not future.done():
                    await channel.race(self._hold(channel, request, future))
                outcome = await channel.race(future)
            finally:
                if watcher is not None:
                    watcher.cancel()
        except CallerHungUp:
            self._abandon(channel.call_id)
            raise
        finally:
            self.waiting.pop(channel.call_id, None)
        if outcome.result != "answered":
            return outcome
        leg = self.answered.pop(channel.call_id, None)
        if leg is None:  # pragma: no cover - answered without a leg would be a router bug
            return QueueOutcome("no_agents")
        done = False

        def talk_ended(ended_by: str) -> None:
            nonlocal done
            if done:
                return
            done = True
            try:
                self.router.talk_ended(channel.call_id, ended_by=ended_by)
            except RoutingError as exc:
                log.warning("call %s: %s", channel.call_id, exc.message)

        ended_by = await self.connector.talk(channel, leg, on_transfer=lambda: talk_ended("transfer"))
        talk_ended(ended_by)
        if channel.hung_up.is_set():
            raise CallerHungUp()
        return outcome

    def _abandon(self, call_id: str) -> None:
        leg = self.answered.pop(call_id, None)
        if leg is not None:
            leg.hangup()
            try:
                self.router.talk_ended(call_id, ended_by="caller")
            except RoutingError:
                pass
            return
        try:
            self.router.abandon(call_id)
        except RoutingError:
            pass

    async def _hold(
        self, channel: SipChannel, request: QueueRequest, done: asyncio.Future[QueueOutcome]
    ) -> None:
        """Music on hold, interrupted every `announce_every` seconds by position / wait news."""
        if request.music_on_hold:
            music = await channel.frames(Prompt(file=request.music_on_hold))
        else:
            music = channel.prompts.tone_frames("moh", default_music_on_hold(), channel.media.codec)
        first = True
        while not done.done():
            announces = request.announce_position or request.announce_wait or request.offer_callback
            if announces and not first:
                text = self._announcement(channel.call_id, request)
                if text and not done.done():
                    self.connector.emit(PromptPlayed(self.router.clock.now(), channel.call_id, "queue", text))
                    frames = await channel.frames(Prompt(text=text))
                    await _until(channel.play_frames(frames), done)
            first = False
            if done.done():
                break
            await _until(
                channel.play_frames(music or [b"\xff" * 160], loop=True), done, timeout=request.announce_every
            )

    async def _watch_callback(self, channel: SipChannel, done: asyncio.Future[QueueOutcome]) -> None:
        """Pressing 1 while waiting asks for a callback: the call keeps its place, the caller may go."""
        while not done.done() and not channel.hung_up.is_set():
            if "1" in channel.digits:
                channel.digits.clear()
                try:
                    self.router.request_callback(channel.call_id, channel.caller_id)
                except RoutingError as exc:
                    log.info("call %s: no callback: %s", channel.call_id, exc.message)
                return
            channel._digit_event.clear()
            await channel._digit_event.wait()

    def _announcement(self, call_id: str, request: QueueRequest) -> str:
        try:
            position = self.router.position(call_id)
            wait = self.router.estimated_wait(call_id)
        except RoutingError:
            return ""
        parts = []
        if request.announce_position:
            parts.append(f"You are number {position} in line.")
        if request.announce_wait and wait is not None and wait > 0:
            minutes = max(1, round(wait / 60))
            parts.append(f"Your expected wait is about {minutes} minute{'s' if minutes > 1 else ''}.")
        if request.offer_callback:
            parts.append("To be called back instead, press 1.")
        return " ".join(parts)

    def _outcome(self, call_id: str, outcome: QueueOutcome) -> None:
        entry = self.waiting.get(call_id)
        if entry is not None and not entry[1].done():
            entry[1].set_result(outcome)

    # --- the agents' side --------------------------------------------------------------------------

    def _offer(self, offer: Offer) -> None:
        task = asyncio.get_running_loop().create_task(self._ring(offer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ring(self, offer: Offer) -> None:
        if offer.callback_number is not None:
            await self._call_back(offer)
            return
        entry = self.waiting.get(offer.call_id)
        target = self.agent_target(offer.agent_id)
        if entry is None or target is None:
            self._decline(offer, "no_answer")
            return
        channel = entry[0]
        timeout = max(1.0, offer.expires_at - self.router.clock.now()) + 2.0  # the router expires first
        leg = await self.connector.ring(target, caller_id=channel.caller_id, timeout=timeout)
        self.ringing[offer.reservation_id] = leg

        def ringing() -> None:
            try:
                self.router.ringing(offer.reservation_id)
            except RoutingError:
                pass

        leg.on_ringing = ringing
        result = await leg.result
        self.ringing.pop(offer.reservation_id, None)
        if result == "cancelled":
            return
        if result != "answered":
            self._decline(
                offer, "declined" if result == "declined" else "busy" if result == "busy" else "no_answer"
            )
            return
        if offer.call_id not in self.waiting or offer.reservation_id not in self.router.reservations:
            leg.hangup()  # the caller left, or the offer expired, while the phone was answering
            return
        self.answered[offer.call_id] = leg
        try:
            self.router.answer(offer.reservation_id)
        except RoutingError:
            self.answered.pop(offer.call_id, None)
            leg.hangup()

    async def _call_back(self, offer: Offer) -> None:
        """A callback's turn: ring the agent, then the customer (through the trunk), and bridge them."""
        target = self.agent_target(offer.agent_id)
        if target is None:
            self._decline(offer, "no_answer")
            return
        number = offer.callback_number or ""
        timeout = max(1.0, offer.expires_at - self.router.clock.now()) + 2.0
        agent = await self.connector.ring(target, caller_id=number, timeout=timeout)
        self.ringing[offer.reservation_id] = agent
        result = await agent.result
        self.ringing.pop(offer.reservation_id, None)
        if result == "cancelled":
            return
        if result != "answered":
            self._decline(offer, result if result in ("busy", "declined") else "no_answer")
            return
        try:
            self.router.answer(offer.reservation_id)
        except RoutingError:
            agent.hangup()
            return
        customer_target = self.connector.resolve(number)
        reached = False
        ended_by = "agent"
        if customer_target is not None and not agent.ended.is_set():
            customer = await self.connector.ring(customer_target, caller_id="", timeout=30.0)
            reached = await customer.result == "answered"
            if reached:
                bridge(agent.media, customer.media)
                ends = {asyncio.ensure_future(leg.ended.wait()) for leg in (agent, customer)}
                try:
                    await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for e in ends:
                        e.cancel()
                ended_by = "caller" if customer.ended.is_set() else "agent"
            customer.hangup()
        agent.hangup()
        self.connector.emit(
            CallbackAttempted(self.router.clock.now(), offer.call_id, offer.queue, offer.agent_id, reached)
        )
        try:
            self.router.talk_ended(offer.call_id, ended_by=ended_by)
        except RoutingError as exc:
            log.warning("callback %s: %s", offer.call_id, exc.message)

    def _decline(self, offer: Offer, reason: str) -> None:
        try:
            self.router.decline(offer.reservation_id, reason)
        except RoutingError:
            pass

    def _cancel(self, offer: Offer, reason: str) -> None:
        leg = self.ringing.pop(offer.reservation_id, None)
        if leg is not None:
            leg.hangup()


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
