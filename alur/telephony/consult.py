"""Warm (consult) transfer and three-way conference during an agent's talk.

The agent puts the caller on hold (music) and rings a colleague or a number. Once it answers the two
agents talk; the agent then completes (the caller is bridged to the destination, the agent's part
ends as a transfer), cancels (back to the caller) or joins all three (conference). An agent who hangs
up during the consultation completes it, as on a desk phone; a destination that hangs up cancels it.

Requests come from the agent's keypad (feature codes, RFC 4733 DTMF) or from the service (a command
carried by `Devices.consults`): `*7` + destination + `#` consults, `*8` completes, `*9` cancels, `*0`
makes it three-way. The router learns about the destination through the direct-call commands (the
leg is rung with kind `consult`), so an agent consulted is not offered a queue call meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from alur.core.channel import Prompt
from alur.core.events import ConsultEnded, ConsultStarted, Event
from alur.media.prompts import default_music_on_hold
from alur.media.rtp import RtpStream, bridge, unbridge

log = logging.getLogger("alur.consult")

CONSULT, COMPLETE, CANCEL, CONFERENCE = "*7", "*8", "*9", "*0"
ACTIONS = {COMPLETE: "complete", CANCEL: "cancel", CONFERENCE: "conference"}


class ConsultControl:
    """The consultation requests of one talk, from the agent's keypad or the service."""

    def __init__(self) -> None:
        self.requests: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.to_queue: str | None = None  # set when the agent handed the caller back to a queue
        self.music_on_hold: str | None = None  # the file a held caller hears (the queue's), else a tune
        self._keys = ""

    def request(self, action: str, destination: str = "") -> None:
        """`consult`, `blind` (a person or number) or `queue` (with a destination), `complete`,
        `cancel` or `conference` (a consultation's steps), `hold` or `resume`."""
        self.requests.put_nowait((action, destination))

    def keypad(self, passed_on: Callable[[str], None]) -> Callable[[str], None]:
        """A DTMF handler for the agent's leg: feature codes become requests, other keys go on to
        `passed_on` (e.g. the recording's pause code)."""

        def key(digit: str) -> None:
            keys = self._keys + digit
            if keys.startswith(CONSULT):
                if digit == "#":
                    self._keys = ""
                    if keys[2:-1]:
                        self.request("consult", keys[2:-1])
                else:
                    self._keys = keys
                return
            if keys in ACTIONS:
                self._keys = ""
                self.request(ACTIONS[keys])
                return
            if keys == "*":
                self._keys = keys
                return
            self._keys = ""
            for held in keys:
                passed_on(held)

        return key


class Consultation:
    """One consultation: the caller on hold, the agent with the destination, until a decision."""

    def __init__(
        self,
        caller: Any,  # the caller's SipChannel
        agent: Any,  # the agent's OutboundLeg
        destination: str,
        control: ConsultControl,
        emit: Callable[[Event], None],
        now: Callable[[], float],
    ) -> None:
        self.caller, self.agent, self.destination = caller, agent, destination
        self.control, self.emit, self.now = control, emit, now
        self.agent_id = agent.target.agent_id or agent.target.label

    def _ended(self, outcome: str) -> None:
        self.emit(ConsultEnded(self.now(), self.caller.call_id, self.agent_id, self.destination, outcome))

    async def run(self, ring: Callable[[], Any]) -> Any:
        """Returns the leg the caller talks with afterwards (the agent's or the destination's), or
        None when the caller hung up. `ring()` starts the destination's leg (None: unknown)."""
        self.emit(ConsultStarted(self.now(), self.caller.call_id, self.agent_id, self.destination))
        music = asyncio.ensure_future(self._music())
        try:
            other = await ring()
            if other is None:
                self._ended("failed")
                return self.agent
            result = await _first(other.result, self.caller.hung_up, self.agent.ended, self.control)
            if result != "answered":
                other.hangup()
                self._ended(result if result in ("busy", "no_answer") else "cancelled")
                return None if self.caller.hung_up.is_set() else self.agent
            return await self._talk_aside(other, music)
        finally:
            music.cancel()
            await asyncio.gather(music, return_exceptions=True)

    async def _talk_aside(self, other: Any, music: asyncio.Future[Any]) -> Any:
        bridge(self.agent.media, other.media)
        try:
            action = await self._decision(other)
        finally:
            unbridge(self.agent.media, other.media)
        if action == "caller_left":
            other.hangup()
            self._ended("cancelled")
            return None
        if action == "cancel":
            other.hangup()
            self._ended("cancelled")
            return self.agent
        music.cancel()
        if action == "conference":
            self._ended("conference")
            return await self._conference(other)
        self.agent.hangup()  # complete: the agent's part ends, the caller goes to the destination
        self._ended("completed")
        return other

    async def _decision(self, other: Any) -> str:
        """complete, cancel, conference, or what a hang-up means (agent: complete; other: cancel)."""
        while True:
            got = await _first(None, self.caller.hung_up, self.agent.ended, self.control, other.ended)
            if got == "caller":
                return "caller_left"
            if got == "agent":
                return "complete"
            if got == "other":
                return "cancel"
            if got in ("complete", "cancel", "conference"):
                return got

    async def _conference(self, other: Any) -> Any:
        """All three hear each other until one leaves; the two left go on talking."""
        undo = three_way(self.caller.media, self.agent.media, other.media)
        try:
            got = await _first(None, self.caller.hung_up, self.agent.ended, None, other.ended)
        finally:
            undo()
        if got == "caller":
            other.hangup()
            return None
        if got == "agent":
            return other
        return self.agent

    async def _music(self) -> None:
        await play_music(self.caller, self.control.music_on_hold)


async def play_music(caller: Any, file: str | None = None) -> None:
    """Music on hold to the caller (`file`, else a generated tune), looped until cancelled."""
    frames = await caller.frames(Prompt(file=file)) if file else []
    if not frames:
        frames = caller.prompts.tone_frames("moh", default_music_on_hold(), caller.media.codec)
    await caller.media.play(frames or [b"\xff" * 160], loop=True)


async def on_hold(caller: Any, agent: Any, control: ConsultControl) -> str:
    """The caller hears music (the agent hears nothing) until the agent resumes: 'resume', or who
    hung up meanwhile ('caller', 'agent'). Other requests wait for the resume."""
    music = asyncio.ensure_future(play_music(caller, control.music_on_hold))
    try:
        while (outcome := await _first(None, caller.hung_up, agent.ended, control)) not in (
            "resume", "caller", "agent",
        ):  # fmt: skip
            continue
        return outcome
    finally:
        music.cancel()
        await asyncio.gather(music, return_exceptions=True)


def three_way(a: RtpStream, b: RtpStream, c: RtpStream) -> Callable[[], None]:
    """Each stream sends the mix of the other two; returns what undoes it."""
    added: list[tuple[RtpStream, Callable[[RtpStream, bytes], None]]] = []
    streams = (a, b, c)
    for listener in streams:
        mix = listener.start_mix()
        for source in streams:
            if source is listener:
                continue

            def feed(stream: RtpStream, pcm: bytes, mix: Any = mix) -> None:
                mix.feed(stream, pcm)

            source.listeners.append(feed)
            added.append((source, feed))

    def undo() -> None:
        for source, feed in added:
            if feed in source.listeners:
                source.listeners.remove(feed)
        for stream in streams:
            stream.stop_mix()

    return undo


async def _first(
    result: asyncio.Future[str] | None,
    caller_gone: asyncio.Event,
    agent_gone: asyncio.Event,
    control: ConsultControl | None,
    other_gone: asyncio.Event | None = None,
) -> str:
    """Whichever comes first: the leg's result, a hang-up ("caller", "agent", "other") or a request."""
    waits: dict[asyncio.Future[Any], str] = {
        asyncio.ensure_future(caller_gone.wait()): "caller",
        asyncio.ensure_future(agent_gone.wait()): "agent",
    }
    if other_gone is not None:
        waits[asyncio.ensure_future(other_gone.wait())] = "other"
    if control is not None:
        waits[asyncio.ensure_future(control.requests.get())] = "request"
    if result is not None:
        waits[result] = "result"
    try:
        done, _ = await asyncio.wait(set(waits), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w, name in waits.items():
            if name != "result" and not w.done():
                w.cancel()
    if result is not None and result in done:
        return result.result()
    for w in done:
        name = waits[w]
        if name == "request":
            action, _dest = w.result()
            return str(action)
        return name
    return "cancelled"  # pragma: no cover
