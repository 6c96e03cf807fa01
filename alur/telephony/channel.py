"""`SipChannel`: the Channel protocol on a real SIP call, so that flows never see SIP.

Every wait races the caller's hang-up: when the caller goes (BYE, CANCEL, or silence for longer than
`silence_timeout`), the pending method raises `CallerHungUp` and the interpreter ends the call.
Digits (RFC 4733 or SIP INFO) are buffered, so digits pressed during a prompt reach the next
`collect_digits` (barge-in). A prompt played with `listen=True` (a menu that takes speech) also
stops when the caller starts speaking, and the next `collect_digits` recognises what they say.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from alur.core.channel import (
    ConnectOutcome,
    DigitsResult,
    Prompt,
    QueueOutcome,
    QueueRequest,
    Recording,
    SpeechGrammar,
)
from alur.core.errors import CallerHungUp
from alur.integrations.speech import Recognizer
from alur.media.prompts import BEEP, PromptError, PromptLibrary, level, write_wav
from alur.media.rtp import Playout, RtpStream
from alur.telephony.listen import Listening, listen
from alur.telephony.sip.sdp import SdpError, answer_params, build_answer
from alur.telephony.sip.server_call import ServerCall

if TYPE_CHECKING:
    from alur.telephony.connect import Connector
    from alur.telephony.live import LiveQueues

log = logging.getLogger("alur.channel")
T = TypeVar("T")


def reoffer(media: RtpStream, offer: str) -> str | None:
    """A re-INVITE's offer (hold, resume, new address): apply it to the stream, return our answer."""
    try:
        p = answer_params(offer)
    except SdpError:
        return None
    media.agree(p)
    media.on_hold = p.direction in ("sendonly", "inactive") or p.remote_host == "0.0.0.0"
    return build_answer(media.announce_host, media.local_port, p)


def _ignore(_: str) -> None:
    """What an ended call's leg and stream call back: nothing is listening any more."""


def _no_answer(_: str) -> str | None:
    return None


class SipChannel:
    """One caller's call. Built by the server once the INVITE is answered and media is set up."""

    def __init__(
        self,
        leg: ServerCall,
        media: RtpStream,
        *,
        prompts: PromptLibrary,
        queues: LiveQueues | None,
        connector: Connector | None,
        recordings_dir: Path,
        silence_timeout: float = 60.0,
        recognizer: Recognizer | None = None,
    ) -> None:
        self.recognizer = recognizer  # for menus that listen for speech
        self.leg = leg
        self.media = media
        self.prompts = prompts
        self.queues = queues
        self.connector = connector
        self.recordings_dir = recordings_dir
        self.silence_timeout = silence_timeout
        self.call_id = leg.call_id
        self.caller_id = leg.caller
        self.dialed = leg.dialed
        self.hung_up = asyncio.Event()
        self.hangup_reason = ""
        self.digits: deque[str] = deque()
        self._digit_event = asyncio.Event()
        self.connected_to: str | None = None  # agent or number while bridged
        self.recording_mode: str | None = None  # the flow's recording mode for its queue, when it set one
        self.listening: Listening | None = None  # speech watched since a prompt, for the next collect
        self._watchdog: asyncio.TimerHandle | None = None
        self.on_finished: Callable[[SipChannel], None] = lambda ch: None
        self.stats: dict[str, int] = {"agent_rtp_in": 0, "agent_rtp_out": 0}
        leg.on_dtmf = self._dtmf
        media.on_dtmf = self._dtmf
        leg.on_ended = self._remote_end
        leg.on_reoffer = lambda offer: reoffer(self.media, offer)

    # --- events from the leg -----------------------------------------------------------------------

    def start(self) -> None:
        self._watchdog = asyncio.get_running_loop().call_later(1.0, self._check_silence)

    def _dtmf(self, digit: str) -> None:
        self.digits.append(digit)
        self._digit_event.set()

    def _remote_end(self, why: str) -> None:
        self._gone(why)

    def _gone(self, why: str) -> None:
        if self.hung_up.is_set():
            return
        self.hangup_reason = why
        self.hung_up.set()
        self._digit_event.set()
        self.stats["caller_rtp_in"] = self.media.packets_in
        self.stats["caller_rtp_out"] = self.media.packets_out
        self.media.close()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._let_go()
        self.on_finished(self)

    def _let_go(self) -> None:
        """The call is over: the leg and the stream stop calling back into this channel, so the three
        are freed as soon as nobody holds them, without waiting for a garbage collection (at hundreds
        of calls a second, each collection would otherwise walk every call that ended since the
        last, and a long one is a pause in everyone's audio)."""
        self.leg.on_dtmf = self.media.on_dtmf = _ignore
        self.leg.on_ended = _ignore
        self.leg.on_reoffer = _no_answer

    def _check_silence(self) -> None:
        """Once a second (a timer, not a task per call): a caller whose RTP stopped is gone."""
        self._watchdog = None
        if self.hung_up.is_set():
            return
        if self.media.silent_for() > self.silence_timeout:
            log.info("call %s: no RTP for %.0f s, ending it", self.call_id, self.silence_timeout)
            self.leg.hangup()
            self._gone("silence")
            return
        self._watchdog = asyncio.get_running_loop().call_later(1.0, self._check_silence)

    # --- helpers -----------------------------------------------------------------------------------

    async def race(self, aw: Awaitable[T]) -> T:
        """Await `aw` unless the caller hangs up first (then raise CallerHungUp)."""
        if self.hung_up.is_set():
            raise CallerHungUp()
        task = asyncio.ensure_future(aw)
        gone = asyncio.ensure_future(self.hung_up.wait())
        try:
            await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
        if task.done():
            return task.result()
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):  # noqa: BLE001 - the caller is gone anyway
            pass
        raise CallerHungUp()

    async def next_digit(self) -> None:
        """Wait until a digit arrives or the caller hangs up."""
        self._digit_event.clear()
        await self._digit_event.wait()

    async def _wait_digit(self, timeout: float) -> bool:
        if self.digits:
            return True
        self._digit_event.clear()
        try:
            await asyncio.wait_for(self._digit_event.wait(), timeout)
        except TimeoutError:
            return False
        if self.hung_up.is_set():
            raise CallerHungUp()
        return bool(self.digits)

    async def frames(self, prompt: Prompt) -> list[bytes]:
        try:
            return await self.prompts.frames(prompt, self.media.codec)
        except PromptError as exc:
            log.error("call %s: %s", self.call_id, exc.message)
            return []

    # --- Channel -----------------------------------------------------------------------------------

    async def play(self, prompt: Prompt, *, barge_in: bool = True, listen: bool = False) -> None:
        if self.hung_up.is_set():
            raise CallerHungUp()
        self._stop_listening()
        if barge_in and self.digits:
            return
        if listen and barge_in and self.recognizer is not None:
            self.listening = Listening(self.media)
        frames = await self.race(self.frames(prompt))
        await self.play_frames(frames, barge_in=barge_in)

    def _stop_listening(self) -> None:
        if self.listening is not None:
            self.listening.stop()
            self.listening = None

    async def play_frames(
        self, frames: list[bytes] | Playout, *, barge_in: bool = False, loop: bool = False
    ) -> None:
        playing = asyncio.ensure_future(self.media.play(frames, loop=loop))
        waits: set[asyncio.Future[Any]] = {playing, asyncio.ensure_future(self.hung_up.wait())}
        if barge_in:
            self._digit_event.clear()
            if self.digits:
                self._digit_event.set()
            waits.add(asyncio.ensure_future(self._digit_event.wait()))
            if self.listening is not None:
                waits.add(asyncio.ensure_future(self.listening.voice()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if self.hung_up.is_set():
            raise CallerHungUp()

    async def collect_digits(
        self,
        max_digits: int,
        *,
        timeout: float,
        inter_digit_timeout: float,
        terminator: str | None = "#",
        speech: SpeechGrammar | None = None,
    ) -> DigitsResult:
        listening, self.listening = self.listening, None
        if speech is not None and self.recognizer is not None and not self.digits:
            heard = await self.race(listen(self, speech, self.recognizer, timeout, listening))
            if heard is not None:
                return heard
        elif listening is not None:
            listening.stop()
        got = ""
        wait = timeout
        while True:
            if not await self.race(self._wait_digit(wait)):
                return DigitsResult(got, "timeout")
            digit = self.digits.popleft()
            if terminator and digit == terminator:
                return DigitsResult(got, "terminator")
            got += digit
            if len(got) >= max_digits:
                return DigitsResult(got, "max_digits")
            wait = inter_digit_timeout

    async def record(self, *, max_seconds: float, silence_timeout: float, beep: bool = True) -> Recording:
        """Record the caller until max_seconds, `silence_timeout` of quiet, '#', or hang-up."""
        if self.hung_up.is_set():
            raise CallerHungUp()
        self._stop_listening()
        if beep:
            await self.play_frames(self.prompts.tone_frames("beep", BEEP, self.media.codec))
        self.digits.clear()
        self.media.start_recording()
        started = time.monotonic()
        quiet_since = started
        checked = 0
        while not self.hung_up.is_set():
            await asyncio.sleep(0.1)
            now = time.monotonic()
            if now - started >= max_seconds or "#" in self.digits:
                break
            data = self.media.recorded_bytes()
            if len(data) > checked:
                if level(data[checked:]) > 300:
                    quiet_since = now
                checked = len(data)
            if now - max(quiet_since, started) >= silence_timeout:
                break
        pcm = self.media.stop_recording()
        self.digits.clear()
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{self.call_id.split('@')[0][:24]}.wav"
        path = self.recordings_dir / name
        await asyncio.to_thread(write_wav, path, pcm)
        return Recording(str(path), len(pcm) / 16000)

    async def enqueue(self, request: QueueRequest) -> QueueOutcome:
        if self.queues is None:
            return QueueOutcome("no_agents")
        self.recording_mode = request.recording
        return await self.queues.wait(self, request)

    async def bridge(
        self, destinations: list[str], *, timeout: float, strategy: str = "ring_all"
    ) -> ConnectOutcome:
        if self.connector is None:
            return ConnectOutcome("failed")
        return await self.connector.connect(self, destinations, timeout=timeout, strategy=strategy)

    async def transfer(self, number: str, *, timeout: float) -> ConnectOutcome:
        if self.connector is None:
            return ConnectOutcome("failed")
        return await self.connector.connect(self, [number], timeout=timeout, strategy="sequential")

    async def hangup(self, reason: str = "normal") -> None:
        if self.hung_up.is_set():
            return
        self.leg.hangup()
        self._gone(f"local:{reason}")
