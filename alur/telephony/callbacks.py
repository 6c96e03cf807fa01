"""Callbacks on the phone: the caller confirms or keys the number, and the agent and the customer are
dialled in the queue's order, each try reported to the contact center.

`ask_number` is the caller's side (while waiting): the caller ID is read back for a one-key
confirmation, or the caller keys another number. `CallbackDialer.call_back` is the agent's side: with
`ring_first: agent` the agent's phone rings, then the customer is dialled through the trunk; with
`ring_first: customer` the agent is taken out of routing at once, the customer is dialled, and the
agent's phone rings only once the customer answered. Every try ends with a `CallbackAttempt`
command; the router decides about the next try.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from alur.core.announcements import Announcements
from alur.core.errors import AlurError
from alur.core.events import Offered, PromptPlayed
from alur.media.rtp import bridge
from alur.routing.model import CallbackSettings
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.telephony.channel import SipChannel
from alur.telephony.connect import AgentLeg, Connector, Target

log = logging.getLogger("alur.callbacks")

MIN_DIGITS = 3  # a keyed number shorter than this is taken for a slip
MAX_DIGITS = 16


def dialable(caller_id: str) -> str:
    """The caller ID as digits to call back ('' when withheld or not a number)."""
    number = caller_id.lstrip("+")
    return caller_id if number.isdigit() and len(number) >= MIN_DIGITS else ""


async def ask_number(
    center: ContactCenter, announcements: Announcements, channel: SipChannel, language: str
) -> str | None:
    """The number to call back: the caller ID once confirmed with 1, or one keyed after 2 (ended
    by #). A caller who keys nothing keeps the caller ID; None when there is no usable number."""

    async def say(announcement: str, **values: int | str) -> None:
        await _say(center, announcements, channel, language, announcement, values)

    number = dialable(channel.caller_id)
    if number:
        for asked in (1, 2):
            await say("callback.confirm_number", number=number)
            got = await channel.collect_digits(1, timeout=6.0, inter_digit_timeout=3.0, terminator=None)
            if got.digits == "1" or (got.digits == "" and asked == 2):
                return number
            if got.digits == "2":
                break
    for _ in range(2):
        await say("callback.enter_number")
        got = await channel.collect_digits(MAX_DIGITS, timeout=10.0, inter_digit_timeout=5.0)
        if len(got.digits) >= MIN_DIGITS and got.digits.isdigit():
            return got.digits
        await say("system.invalid")
    return None


async def tell_window(
    center: ContactCenter, announcements: Announcements, channel: SipChannel, language: str, queue: str
) -> float | None:
    """When the queue's callback hours are closed, tell the caller when the callback will be made
    (the opening's local time) and return it; None when it can be made at once."""
    opens = center.callback_opens(queue)
    if opens is None:
        return None
    config = center.project.queues[queue]
    calendar = center.project.calendars[config.callback.calendar or ""]
    local = datetime.fromtimestamp(opens, ZoneInfo(calendar.timezone))
    when = {"time": local.strftime("%H:%M")}
    await _say(center, announcements, channel, language, "callback.closed_window", when, barge_in=False)
    return opens


async def _say(
    center: ContactCenter,
    announcements: Announcements,
    channel: SipChannel,
    language: str,
    announcement: str,
    values: Mapping[str, int | str],
    *,
    barge_in: bool = True,
) -> None:
    prompt = announcements.prompt(announcement, language, **values)
    now = center.clock.now()
    center.publish(
        PromptPlayed(now, channel.call_id, "queue", prompt.describe(), prompt.language, announcement)
    )
    await channel.play(prompt, barge_in=barge_in)


class CallbackDialer:
    """Dials a callback's two sides for an `Offered` that carries a callback number."""

    def __init__(
        self,
        center: ContactCenter,
        connector: Connector,
        agent_target: Callable[[str], Target | None],
        ring_agent: Callable[[Offered, Target, str], Awaitable[AgentLeg | None]],
    ) -> None:
        self.center = center
        self.connector = connector
        self.agent_target = agent_target
        self.ring_agent = ring_agent

    def _do(self, command: cmd.Command) -> bool:
        try:
            self.center.execute(command)
            return True
        except AlurError as exc:
            log.info("%s: %s", type(command).__name__, exc.message)
            return False

    def settings(self, queue: str) -> CallbackSettings:
        config = self.center.project.queues.get(queue)
        return config.callback if config is not None else CallbackSettings()

    async def call_back(self, offer: Offered) -> None:
        target = self.agent_target(offer.agent_id)
        if target is None:
            self._do(cmd.Decline(offer.reservation_id, "no_answer"))
            return
        settings = self.settings(offer.queue)
        if settings.ring_first == "customer":
            await self._customer_first(offer, target, settings)
        else:
            await self._agent_first(offer, target, settings)

    async def _agent_first(self, offer: Offered, target: Target, settings: CallbackSettings) -> None:
        number = offer.callback_number or ""
        agent = await self.ring_agent(offer, target, number)
        if agent is None:
            return
        if not self._do(cmd.Answer(offer.reservation_id)):
            agent.hangup()
            return
        customer, outcome = await self._ring_customer(number, settings, agent)
        if customer is None:
            agent.hangup()
            self._do(cmd.CallbackAttempt(offer.call_id, False, outcome))
            return
        await self._talk(offer, agent, customer)

    async def _customer_first(self, offer: Offered, target: Target, settings: CallbackSettings) -> None:
        number = offer.callback_number or ""
        if not self._do(cmd.Answer(offer.reservation_id)):  # the agent is on this callback from now
            return
        customer, outcome = await self._ring_customer(number, settings, None)
        if customer is None:
            self._do(cmd.CallbackAttempt(offer.call_id, False, outcome))
            return
        ring_for = self.center.router.queues[offer.queue].config.ring_timeout
        agent = await self.connector.ring(target, caller_id=number, timeout=ring_for)
        self.center.devices.ringing[offer.reservation_id] = f"{offer.agent_id}'s SIP phone"
        answered = await _first(agent.result, customer.ended)
        self.center.devices.ringing.pop(offer.reservation_id, None)
        if answered != "answered":
            agent.hangup()
            customer.hangup()
            reason = "customer_hung_up" if customer.ended.is_set() else "agent_no_answer"
            self._do(cmd.CallbackAttempt(offer.call_id, False, reason))
            return
        await self._talk(offer, agent, customer)

    async def _ring_customer(
        self, number: str, settings: CallbackSettings, agent: AgentLeg | None
    ) -> tuple[AgentLeg | None, str]:
        """Dial the customer through the trunk; (the answered leg, "answered") or (None, why not).
        An agent who hangs up while the customer's phone rings ends the try."""
        customer_target = self.connector.resolve(number)
        if customer_target is None:
            return None, "failed"
        if agent is not None and agent.ended.is_set():
            return None, "agent_hung_up"
        timeout = settings.customer_ring_timeout
        customer = await self.connector.ring(customer_target, caller_id="", timeout=timeout)
        result = await (_first(customer.result, agent.ended) if agent is not None else customer.result)
        if result == "answered" and (agent is None or not agent.ended.is_set()):
            return customer, "answered"
        customer.hangup()
        if agent is not None and agent.ended.is_set():
            return None, "agent_hung_up"
        return None, result if result in ("busy", "declined", "failed") else "no_answer"

    async def _talk(self, offer: Offered, agent: AgentLeg, customer: AgentLeg) -> None:
        self._do(cmd.CallbackAttempt(offer.call_id, True, "answered"))
        self.center.devices.hangups[offer.call_id] = agent.hangup  # a desktop's hang-up ends it
        bridge(agent.media, customer.media)
        ends = [asyncio.ensure_future(leg.ended.wait()) for leg in (agent, customer)]
        try:
            await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for e in ends:
                e.cancel()
            self.center.devices.hangups.pop(offer.call_id, None)
        ended_by = "caller" if customer.ended.is_set() else "agent"
        customer.hangup()
        agent.hangup()
        self._do(cmd.Hangup(offer.call_id, ended_by))


async def _first(result: asyncio.Future[str], ended: asyncio.Event) -> str:
    """The leg's result, or "ended" when the other leg ends first."""
    stop: asyncio.Future[Any] = asyncio.ensure_future(ended.wait())
    waits: set[asyncio.Future[Any]] = {result, stop}
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    return result.result() if result.done() and not result.cancelled() else "ended"
