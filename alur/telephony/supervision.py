"""Supervisor monitor, whisper and barge, started from a supervisor's registered phone.

The supervisor dials a feature code and the agent's extension (`*51` + `2001` listens to agent 2001's
call, `*52` whispers, `*53` barges; codes set in `server.features`). Only users listed in
`server.supervisors` whose phone is registered may do so. From the API (`Supervise` command) Alur
rings the supervisor's phone instead, and the mode can change while the supervisor stays on.

The supervisor's leg hears a mix of caller and agent; in whisper the agent's stream is mixed from
caller + supervisor (the caller still hears only the agent); in barge the caller's stream is mixed
from agent + supervisor as well. When the supervisor hangs up or leaves, or the conversation ends,
the legs go back to plain packet relay. Each start and end is a `SupervisionStarted` /
`SupervisionEnded` event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from alur.core.errors import AlurError
from alur.core.events import SupervisionEnded, SupervisionStarted
from alur.media.rtp import Listener, RtpStream
from alur.service.center import ContactCenter
from alur.telephony.connect import AgentLeg, Connector, Target
from alur.telephony.sip.sdp import build_answer
from alur.telephony.sip.server_call import ServerCall

log = logging.getLogger("alur.supervision")

SUPERVISION_MODES = ("monitor", "whisper", "barge")
# Feature codes: supervision's are followed by the agent's extension; `echo` (the echo extension, for
# checking a phone or headset: you hear yourself) is dialled alone.
DEFAULT_FEATURES = {"monitor": "*51", "whisper": "*52", "barge": "*53", "echo": "*43"}


class Supervision:
    def __init__(
        self,
        center: ContactCenter,
        connector: Connector,
        *,
        features: dict[str, str],
        supervisors: set[str],
        agent_for_extension: Callable[[str], str | None],
        new_stream: Callable[[], RtpStream],
        ring_timeout: float = 30.0,
    ) -> None:
        self.center = center
        self.connector = connector
        self.talks = connector.talks  # agent id -> (caller channel, agent leg) while they talk
        codes = ((code, mode) for mode, code in features.items() if mode in SUPERVISION_MODES and code)
        self.codes = sorted(codes, key=lambda cm: -len(cm[0]))
        self.supervisors = supervisors
        self.agent_for_extension = agent_for_extension
        self.new_stream = new_stream
        self.ring_timeout = ring_timeout
        self.active: dict[str, Attendance] = {}  # agent id -> the supervisor on that agent's call
        # agent id -> the supervisor's phone being rung for it (None until its INVITE is out)
        self.ringing: dict[str, AgentLeg | None] = {}

    def feature(self, dialed: str) -> tuple[str, str] | None:
        """(mode, agent extension) when `dialed` is a supervision feature code, else None."""
        for code, mode in self.codes:
            if dialed.startswith(code) and len(dialed) > len(code):
                return mode, dialed[len(code) :]
        return None

    def refusal(self, user: str, registered: bool, extension: str) -> tuple[int, str] | None:
        """Why this supervisor may not join this agent's call now (SIP status, reason), or None."""
        if user not in self.supervisors or not registered:
            return 403, "Forbidden (not a registered supervisor)"
        agent_id = self.agent_for_extension(extension)
        if agent_id is None or agent_id not in self.talks:
            return 404, f"Not Found (agent {extension} is not on a call)"
        if agent_id in self.active or agent_id in self.ringing:
            return 486, "Busy Here (a supervisor is already on that call)"
        return None

    async def serve(self, call: ServerCall, params: Any, mode: str, extension: str, host: str) -> None:
        """Answer the supervisor's call and join the agent's conversation until either ends."""
        agent_id = self.agent_for_extension(extension) or ""
        sup = self.new_stream()
        port = await call.open_media(sup)
        if port is None:
            return
        sup.agree(params, dtmf=False)
        ended = asyncio.Event()
        call.on_ended = lambda why: ended.set()
        call.answer(build_answer(host, port, params))
        try:
            await self._attend(agent_id, call.caller, mode, sup, ended)
        finally:
            sup.close()
            if not ended.is_set():
                call.hangup()

    # --- from the API: ring the supervisor's phone, change mode, leave ---------------------------

    def request(self, agent_id: str, mode: str, phone: str, supervisor: str) -> None:
        """Ring `phone` and join the agent's call in `mode` once it answers; a supervision already on
        that call changes to `mode` at once instead."""
        if agent_id not in self.talks:
            raise NotSupervisable(f"agent {agent_id!r} is not on a call", value=agent_id)
        active = self.active.get(agent_id)
        if active is not None:
            active.switch(mode)
            return
        if agent_id in self.ringing:
            raise NotSupervisable(f"a supervisor's phone is already ringing for {agent_id!r}", value=agent_id)
        target = self.connector.resolve(phone)
        if target is None:
            raise BadPhone(f"phone: cannot ring {phone!r} (an extension, a SIP URI or a number)", value=phone)
        self.ringing[agent_id] = None
        self.center.spawn(self._ring_and_attend(agent_id, mode, target, supervisor), f"supervise {agent_id}")

    def leave(self, agent_id: str) -> None:
        """The supervisor leaves (or their phone stops ringing)."""
        active = self.active.get(agent_id)
        if active is not None:
            active.left.set()
            return
        if agent_id not in self.ringing:
            raise NotSupervisable(f"no supervisor is on {agent_id!r}'s call", value=agent_id)
        leg = self.ringing.pop(agent_id)
        if leg is not None:
            leg.hangup()

    async def _ring_and_attend(self, agent_id: str, mode: str, target: Target, supervisor: str) -> None:
        try:
            leg = await self.connector.ring(target, caller_id=agent_id, timeout=self.ring_timeout)
        except Exception:
            self.ringing.pop(agent_id, None)
            raise
        if agent_id not in self.ringing:  # left before the leg existed
            leg.hangup()
            return
        self.ringing[agent_id] = leg
        result = await leg.result
        left = agent_id not in self.ringing
        self.ringing.pop(agent_id, None)
        if left or result != "answered":
            log.info("supervisor %s for %s: %s", supervisor, agent_id, result)
            leg.hangup()
            return
        try:
            if agent_id in self.talks:
                await self._attend(agent_id, supervisor, mode, leg.media, leg.ended)
        finally:
            leg.hangup()

    async def _attend(
        self, agent_id: str, supervisor: str, mode: str, sup: RtpStream, gone: asyncio.Event
    ) -> None:
        """Join until the supervisor's leg ends, they leave, or the conversation ends."""
        channel: Any = self.talks[agent_id][0]  # the caller's SipChannel
        leg = self.talks[agent_id][1]
        attendance = Attendance(self.center, channel, leg, sup, supervisor, agent_id, mode)
        self.active[agent_id] = attendance
        waits = [asyncio.ensure_future(e.wait()) for e in (gone, channel.hung_up, leg.ended, attendance.left)]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
            if self.active.get(agent_id) is attendance:
                del self.active[agent_id]
            attendance.end()


class Attendance:
    """One supervisor on one agent's call: the mixes of its mode, which can change while it lasts.
    Each mode's start and end is an event, so a change is an end and a start."""

    def __init__(
        self, center: ContactCenter, channel: Any, leg: AgentLeg, sup: RtpStream, supervisor: str,
        agent_id: str, mode: str,
    ) -> None:  # fmt: skip
        self.center = center
        self.call_id = channel.call_id
        self.streams = (channel.media, leg.media, sup)
        self.supervisor = supervisor
        self.agent_id = agent_id
        self.left = asyncio.Event()
        self.mode = mode
        self._undo = self._start(mode)

    def _start(self, mode: str) -> Callable[[], None]:
        undo = _join(mode, *self.streams)
        now = self.center.clock.now()
        self.center.publish(SupervisionStarted(now, self.call_id, self.supervisor, self.agent_id, mode))
        return undo

    def _stop(self) -> None:
        self._undo()
        now = self.center.clock.now()
        self.center.publish(SupervisionEnded(now, self.call_id, self.supervisor, self.agent_id, self.mode))

    def switch(self, mode: str) -> None:
        if mode != self.mode:
            self._stop()
            self.mode = mode
            self._undo = self._start(mode)

    def end(self) -> None:
        self._stop()


class NotSupervisable(AlurError):
    code = "not_supervisable"


class BadPhone(AlurError):
    code = "bad_phone"


def _join(mode: str, caller: RtpStream, agent: RtpStream, sup: RtpStream) -> Callable[[], None]:
    """Wire the listeners and mixes of `mode`; returns what undoes them."""
    added: list[tuple[RtpStream, Listener]] = []

    def hear(listener: RtpStream, source: RtpStream) -> None:
        mix = listener.start_mix()

        def feed(stream: RtpStream, pcm: bytes) -> None:
            mix.feed(stream, pcm)

        source.listeners.append(feed)
        added.append((source, feed))

    hear(sup, caller)
    hear(sup, agent)
    mixed = [sup]
    if mode in ("whisper", "barge"):
        hear(agent, caller)
        hear(agent, sup)
        mixed.append(agent)
    if mode == "barge":
        hear(caller, agent)
        hear(caller, sup)
        mixed.append(caller)

    def undo() -> None:
        for source, feed in added:
            if feed in source.listeners:
                source.listeners.remove(feed)
        for stream in mixed:
            stream.stop_mix()

    return undo
