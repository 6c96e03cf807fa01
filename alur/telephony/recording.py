"""Recording of answered queue calls, as each queue's `recording:` setting asks (or the flow's queue
node, whose `recording:` mode overrides the queue's for the calls it queues), and its retention.

`begin(call_id, caller, agent)` starts recording a bridged conversation (when the call's queue records)
and returns a handle whose `end()` closes the file and logs `RecordingSaved` with the call, so the
recording is found with the call in the store. The agent dials the queue's pause code to pause and
resume (the caller's card number stays out of the file). `cleanup()` deletes recordings older than
their queue's `retention_days`; the server runs it at start and every few hours.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from alur.core.events import RecordingSaved
from alur.media.recorder import AGENT, CALLER, CallRecorder
from alur.media.rtp import RtpStream
from alur.routing.model import RecordingSettings
from alur.service.center import ContactCenter

log = logging.getLogger("alur.recording")


class ActiveRecording:
    def __init__(
        self, owner: Recordings, call_id: str, queue: str, agent_id: str, settings: RecordingSettings,
        caller: RtpStream, agent: RtpStream, path: Path,
    ) -> None:  # fmt: skip
        self.owner = owner
        self.call_id = call_id
        self.queue = queue
        self.agent_id = agent_id
        self.mode = settings.mode
        self.recorder = CallRecorder(path, stereo=settings.mode == "stereo")
        self.caller = caller
        self.agent = agent
        self._code = settings.pause_code or ""
        self._typed = ""
        self._listeners = (
            lambda s, pcm: self.recorder.feed(CALLER, pcm),
            lambda s, pcm: self.recorder.feed(AGENT, pcm),
        )
        caller.listeners.append(self._listeners[0])
        agent.listeners.append(self._listeners[1])
        self._agent_dtmf = agent.on_dtmf
        agent.on_dtmf = self._digit
        self.recorder.start()

    def _digit(self, digit: str) -> None:
        self._agent_dtmf(digit)
        if not self._code:
            return
        self._typed = (self._typed + digit)[-len(self._code) :]
        if self._typed == self._code:
            self._typed = ""
            self.recorder.toggle()
            log.info("call %s: recording %s", self.call_id, "paused" if self.recorder.paused else "resumed")

    async def end(self) -> None:
        for stream, listener in zip((self.caller, self.agent), self._listeners, strict=False):
            if listener in stream.listeners:
                stream.listeners.remove(listener)
        self.agent.on_dtmf = self._agent_dtmf
        seconds = await self.recorder.finish()
        center = self.owner.center
        center.publish(
            RecordingSaved(
                center.clock.now(), self.call_id, str(self.recorder.path), round(seconds, 2), self.mode,
                self.queue, self.agent_id, round(self.recorder.paused_seconds, 2),
            )
        )  # fmt: skip


class Recordings:
    def __init__(self, center: ContactCenter, directory: Path) -> None:
        self.center = center
        self.directory = directory
        self.active: dict[str, ActiveRecording] = {}

    def settings_for(self, queue: str, mode: str | None = None) -> RecordingSettings | None:
        """The queue's recording settings, with the flow's `mode` in place of the queue's when the
        flow's queue node set one (its pause code and retention stay the queue's)."""
        config = self.center.project.queues.get(queue)
        if config is None:
            return None
        settings = config.recording if mode is None else config.recording.model_copy(update={"mode": mode})
        return None if settings.mode == "off" else settings

    def begin(
        self, call_id: str, caller: RtpStream, agent: RtpStream, *, mode: str | None = None
    ) -> ActiveRecording | None:
        connected = self.center.router.connected.get(call_id)
        if connected is None:
            return None
        agent_id, queue = connected[0], connected[1]
        settings = self.settings_for(queue, mode)
        if settings is None:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.directory / queue / f"{stamp}-{call_id.split('@')[0][:32]}-{agent_id}.wav"
        active = ActiveRecording(self, call_id, queue, agent_id, settings, caller, agent, path)
        self.active[call_id] = active
        return active

    async def end(self, active: ActiveRecording) -> None:
        self.active.pop(active.call_id, None)
        await active.end()

    def pause(self, call_id: str, paused: bool = True) -> bool:
        """For the API: pause (or resume) a call's recording; False when it is not being recorded."""
        active = self.active.get(call_id)
        if active is None:
            return False
        active.recorder.pause() if paused else active.recorder.resume()
        return True

    async def cleanup(self) -> int:
        """Delete recordings past their queue's retention; returns how many were deleted."""
        limits = {
            name: q.recording.retention_days
            for name, q in self.center.project.queues.items()
            if q.recording.retention_days is not None
        }
        if not limits:
            return 0
        return await asyncio.to_thread(_delete_old, self.directory, limits, time.time())


def _delete_old(directory: Path, limits: dict[str, int], now: float) -> int:
    deleted = 0
    for queue, days in limits.items():
        folder = directory / queue
        if not folder.is_dir():
            continue
        for path in folder.glob("*.wav"):
            try:
                if now - path.stat().st_mtime > days * 86400:
                    path.unlink()
                    deleted += 1
            except OSError as exc:
                log.warning("recording %s could not be deleted: %s", path, exc)
    return deleted
