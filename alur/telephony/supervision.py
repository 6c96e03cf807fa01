"""Supervisor monitor, whisper and barge, started from a supervisor's registered phone.

The supervisor dials a feature code and the agent's extension (`*51` + `2001` listens to agent 2001's
call, `*52` whispers, `*53` barges; codes set in `server.features`). Only users listed in
`server.supervisors` whose phone is registered may do so. The supervisor's leg hears a mix of caller
and agent; in whisper the agent's stream is mixed from caller + supervisor (the caller still hears
only the agent); in barge the caller's stream is mixed from agent + supervisor as well. When the
supervisor hangs up, or the conversation ends, the legs go back to plain packet relay. Each start
and end is a `SupervisionStarted` / `SupervisionEnded` event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from alur.core.events import SupervisionEnded, SupervisionStarted
from alur.media.rtp import Listener, RtpStream
from alur.service.center import ContactCenter
from alur.telephony.sip.sdp import build_answer
from alur.telephony.sip.server_call import ServerCall

log = logging.getLogger("alur.supervision")

DEFAULT_FEATURES = {"monitor": "*51", "whisper": "*52", "barge": "*53"}


class Supervision:
    def __init__(
        self,
        center: ContactCenter,
        talks: dict[str, tuple[Any, Any]],
        *,
        features: dict[str, str],
        supervisors: set[str],
        agent_for_extension: Callable[[str], str | None],
        new_stream: Callable[[], RtpStream],
    ) -> None:
        self.center = center
        self.talks = talks  # agent id -> (caller channel, agent leg) while they talk (the Connector's)
        self.codes = sorted(((code, mode) for mode, code in features.items()), key=lambda cm: -len(cm[0]))
        self.supervisors = supervisors
        self.agent_for_extension = agent_for_extension
        self.new_stream = new_stream

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
        return None

    async def serve(self, call: ServerCall, params: Any, mode: str, extension: str, host: str) -> None:
        """Answer the supervisor's call and join the agent's conversation until either ends."""
        agent_id = self.agent_for_extension(extension) or ""
        channel, leg = self.talks[agent_id]
        sup = self.new_stream()
        try:
            port = await sup.open()
        except OSError as exc:
            log.error("supervisor %s: no RTP port: %s", call.caller, exc)
            call.reject(503)
            return
        sup.configure((params.remote_host, params.remote_port), params.codec, params.payload_type, None)
        ended = asyncio.Event()
        call.on_ended = lambda why: ended.set()
        call.answer(build_answer(host, port, params))
        caller, agent = channel.media, leg.media
        undo = _join(mode, caller, agent, sup)
        now = self.center.clock.now
        self.center.publish(SupervisionStarted(now(), channel.call_id, call.caller, agent_id, mode))
        waits = [asyncio.ensure_future(e.wait()) for e in (ended, channel.hung_up, leg.ended)]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
            undo()
            sup.close()
            if not ended.is_set():
                call.hangup()
            self.center.publish(SupervisionEnded(now(), channel.call_id, call.caller, agent_id, mode))


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
