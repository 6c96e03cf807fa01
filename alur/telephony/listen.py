"""Listening for a spoken menu choice on a SIP call: voice-activity detection on the caller's audio,
then the recogniser on the utterance; keys pressed meanwhile win (the caller chose by DTMF)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from alur.core.channel import DigitsResult, SpeechGrammar
from alur.integrations.speech import Recognizer
from alur.media.prompts import level

if TYPE_CHECKING:
    from alur.telephony.channel import SipChannel

FRAME = 320  # 20 ms of s16le at 8 kHz
VOICE_LEVEL = 400.0  # mean absolute amplitude above which a frame is voice
SPEECH_STARTS = 3  # voiced frames in a row that start an utterance (60 ms)
END_SILENCE = 0.7  # seconds of quiet that end it
MAX_UTTERANCE = 6.0


async def listen(
    channel: SipChannel, grammar: SpeechGrammar, recognizer: Recognizer, timeout: float
) -> DigitsResult | None:
    """An utterance recognised ('speech' / 'no_match'), a timeout with no voice, or None when the
    caller pressed a key instead (the caller reads the digits then)."""
    media = channel.media
    media.start_recording()
    started = time.monotonic()
    checked = 0
    voiced = 0
    speech_at: float | None = None
    start_byte = 0
    last_voice = 0.0
    try:
        while True:
            await asyncio.sleep(0.05)
            if channel.digits and speech_at is None:
                return None
            now = time.monotonic()
            data = media.recorded_bytes()
            while checked + FRAME <= len(data):
                if level(data[checked : checked + FRAME]) > VOICE_LEVEL:
                    voiced += 1
                    last_voice = now
                    if voiced >= SPEECH_STARTS and speech_at is None:
                        speech_at = now
                        start_byte = max(0, checked - FRAME * (SPEECH_STARTS + 10))
                else:
                    voiced = 0
                checked += FRAME
            if speech_at is None:
                if now - started >= timeout:
                    return DigitsResult("", "timeout")
            elif now - last_voice >= END_SILENCE or now - speech_at >= MAX_UTTERANCE:
                break
    finally:
        pcm = media.stop_recording()
    utterance = pcm[start_byte:]
    heard = await asyncio.to_thread(recognizer.recognize, utterance, grammar)
    option = grammar.option(heard.text) if heard.confidence >= grammar.confidence else None
    if option is None:
        return DigitsResult("", "no_match", heard.text, heard.confidence)
    return DigitsResult(option, "speech", heard.text, heard.confidence)
