"""Listening for speech on a SIP call: voice-activity detection on the caller's audio, then the
recogniser on the utterance; keys pressed meanwhile win (the caller chose by DTMF).

Listening may start while the menu's prompt plays (`Listening` is made by the channel's `play` with
`listen=True`): a caller who starts speaking then stops the prompt (barge-in), and what they say is
the utterance the recogniser hears, from its first syllable.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from alur.core.channel import DigitsResult, SpeechGrammar
from alur.integrations.speech import Recognition, Recognizer
from alur.media.prompts import level

if TYPE_CHECKING:
    from alur.media.rtp import RtpStream
    from alur.telephony.channel import SipChannel

FRAME = 320  # 20 ms of s16le at 8 kHz
VOICE_LEVEL = 400.0  # mean absolute amplitude above which a frame is voice
SPEECH_STARTS = 3  # voiced frames in a row that start an utterance (60 ms)
PRE_ROLL = 10  # frames kept before the voiced ones (200 ms): the soft start of a word
END_SILENCE = 0.7  # seconds of quiet that end it
MAX_UTTERANCE = 6.0  # a menu choice
MAX_FREE_UTTERANCE = 15.0  # free speech: a name, the reason for the call
POLL = 0.05


class VoiceDetector:
    """Where an utterance starts in a growing buffer of caller audio, and when it has ended.

    Sans-I/O: `feed` takes the whole buffer so far and the time; only the new frames are looked at."""

    def __init__(self, *, max_utterance: float = MAX_UTTERANCE) -> None:
        self.max_utterance = max_utterance
        self.checked = 0  # bytes of the buffer already classified
        self.voiced = 0  # voiced frames in a row
        self.start_byte: int | None = None  # where the utterance starts (with pre-roll)
        self.speech_at: float | None = None
        self.last_voice = 0.0

    @property
    def speaking(self) -> bool:
        return self.speech_at is not None

    def feed(self, data: bytes, now: float) -> None:
        while self.checked + FRAME <= len(data):
            if level(data[self.checked : self.checked + FRAME]) > VOICE_LEVEL:
                self.voiced += 1
                self.last_voice = now
                if self.voiced >= SPEECH_STARTS and self.speech_at is None:
                    self.speech_at = now
                    self.start_byte = max(0, self.checked - FRAME * (SPEECH_STARTS - 1 + PRE_ROLL))
            else:
                self.voiced = 0
            self.checked += FRAME

    def ended(self, now: float) -> bool:
        """The caller spoke and has now been quiet for END_SILENCE (or spoke for too long)."""
        if self.speech_at is None:
            return False
        return now - self.last_voice >= END_SILENCE or now - self.speech_at >= self.max_utterance


class Listening:
    """The caller's audio being recorded and watched for speech, from a prompt into the collect
    that follows it."""

    def __init__(self, media: RtpStream, *, max_utterance: float = MAX_UTTERANCE) -> None:
        self.media = media
        self.detector = VoiceDetector(max_utterance=max_utterance)
        media.start_recording()

    def poll(self) -> bool:
        """Look at the audio that arrived; True once the caller is speaking."""
        self.detector.feed(self.media.recorded_bytes(), time.monotonic())
        return self.detector.speaking

    async def voice(self) -> None:
        """Return when the caller starts speaking (for stopping a prompt)."""
        while not self.poll():
            await asyncio.sleep(POLL)

    def stop(self) -> bytes:
        """Stop recording; the utterance (empty when the caller did not speak)."""
        pcm = self.media.stop_recording()
        start = self.detector.start_byte
        return pcm[start:] if start is not None else b""


async def listen(
    channel: SipChannel,
    grammar: SpeechGrammar,
    recognizer: Recognizer,
    timeout: float,
    listening: Listening | None = None,
) -> DigitsResult | None:
    """An utterance recognised ('speech' / 'no_match'), a timeout with no voice, or None when the
    caller pressed a key instead (the caller reads the digits then). `listening`: the one started
    during the prompt, whose speech may already have begun."""
    longest = MAX_UTTERANCE if grammar.phrases else MAX_FREE_UTTERANCE
    heard = await hear(channel, recognizer, grammar, timeout, listening, max_utterance=longest)
    if heard is None or isinstance(heard, DigitsResult):
        return heard
    option = grammar.option(heard.text) if heard.confidence >= grammar.confidence else None
    if option is None:
        return DigitsResult("", "no_match", heard.text, heard.confidence)
    return DigitsResult(option, "speech", heard.text, heard.confidence)


async def hear(
    channel: SipChannel,
    recognizer: Recognizer,
    grammar: SpeechGrammar,
    timeout: float,
    listening: Listening | None = None,
    *,
    max_utterance: float = MAX_UTTERANCE,
) -> Recognition | DigitsResult | None:
    """What the caller said (the recogniser's answer), a timeout, or None for a key pressed first."""
    listening = listening or Listening(channel.media, max_utterance=max_utterance)
    detector = listening.detector
    detector.max_utterance = max_utterance
    started = time.monotonic()
    try:
        while True:
            speaking = listening.poll()
            now = time.monotonic()
            if channel.digits and not speaking:
                return None
            if not speaking and now - started >= timeout:
                return DigitsResult("", "timeout")
            if detector.ended(now):
                break
            await asyncio.sleep(POLL)
    finally:
        utterance = listening.stop()
    return await asyncio.to_thread(recognizer.recognize, utterance, grammar)
