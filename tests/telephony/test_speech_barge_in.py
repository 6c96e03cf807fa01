"""Speech barge-in: voice-activity detection on the caller's audio stops a speech menu's prompt, and
the words said over the prompt are what the recogniser hears. A real RTP stream on the loopback with
a phone socket sending espeak-ng speech; the SIP leg is the UA's own, fed from an in-memory peer."""

from __future__ import annotations

import asyncio
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest
from sip_peers import MemPeer

from alur.core.channel import Prompt, SpeechGrammar
from alur.core.clock import VirtualClock
from alur.media.clock import MediaClock
from alur.media.prompts import PromptLibrary
from alur.media.rtp import RtpStream
from alur.telephony.channel import SipChannel
from alur.telephony.listen import END_SILENCE, FRAME, PRE_ROLL, VoiceDetector
from alur.telephony.sip.server_call import ServerCall
from alur.telephony.sip.stack import SipStack
from alur.telephony.sip.ua import UserAgent

INVITE = (
    "INVITE sip:100@127.0.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKinv\r\n"
    "From: <sip:caller@127.0.0.1:5070>;tag=abc\r\n"
    "To: <sip:100@127.0.0.1:5060>\r\n"
    "Call-ID: barge@test\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:caller@127.0.0.1:5070>\r\n"
    "Content-Length: 0\r\n\r\n"
)
LONG_PROMPT = Prompt(
    text="Welcome to the support line. For billing, say billing. For technical support, say technical "
    "support. To speak to an operator, say operator."
)
MENU = SpeechGrammar((("billing", "1"), ("technical support", "2"), ("operator", "0")), "en", 0.3)
needs_tools = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox"
)

QUIET, LOUD = b"\x00\x00" * 160, struct.pack("<h", 3000) * 160


def test_detector_starts_on_three_voiced_frames_and_keeps_a_pre_roll() -> None:
    d = VoiceDetector()
    audio = QUIET * 20 + LOUD * 2 + QUIET  # a click: two frames
    d.feed(audio, 1.0)
    assert not d.speaking
    audio += LOUD * 3
    d.feed(audio, 1.1)
    assert d.speaking and d.start_byte == (23 - PRE_ROLL) * FRAME  # 10 frames before the voice
    assert not d.ended(1.1 + END_SILENCE / 2)
    d.feed(audio + QUIET * 5, 1.2)  # quiet frames do not move the last voice
    assert d.ended(1.1 + END_SILENCE)


def test_detector_cuts_a_long_utterance() -> None:
    d = VoiceDetector(max_utterance=2.0)
    for i in range(10):
        d.feed(LOUD * (i + 3), 1.0 + i * 0.3)
    assert d.ended(3.0)


def speech_ulaw(tmp: Path, text: str) -> bytes:
    wav, ul = tmp / "said.wav", tmp / "said.ul"
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True)
    subprocess.run(["sox", "-D", str(wav), "-t", "ul", "-r", "8000", "-c", "1", str(ul)], check=True)
    return ul.read_bytes()


async def phone_sends(sock: asyncio.DatagramTransport, to: tuple[str, int], audio: bytes) -> None:
    """The caller's phone: `audio` (u-law) as 20 ms RTP packets in real time, then quiet."""
    audio += b"\xff" * 8000 * 3
    start = time.monotonic()
    for i in range(len(audio) // 160):
        sock.sendto(struct.pack("!BBHII", 0x80, 0, i, i * 160, 7) + audio[i * 160 : (i + 1) * 160], to)
        await asyncio.sleep(max(0.0, start + (i + 1) * 0.02 - time.monotonic()))


async def call_channel(tmp_path: Path) -> tuple[SipChannel, asyncio.DatagramTransport]:
    from alur.integrations.speech import PocketSphinxRecognizer

    stack = SipStack(VirtualClock(1000.0), "127.0.0.1", 5060)
    ua = UserAgent(stack, VirtualClock(1000.0), lambda addr, transport: MemPeer(addr=addr))
    legs: list[ServerCall] = []
    ua.on_invite = legs.append
    stack.receive(INVITE.encode(), MemPeer())
    media = RtpStream("127.0.0.1", clock=MediaClock())
    await media.open()
    loop = asyncio.get_running_loop()
    phone, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    media.configure(phone.get_extra_info("sockname"), "PCMU", 0, 101)
    channel = SipChannel(
        legs[0],
        media,
        prompts=PromptLibrary(None, tmp_path / "cache"),
        queues=None,
        connector=None,
        recordings_dir=tmp_path,
        recognizer=PocketSphinxRecognizer(),
    )
    return channel, phone


@needs_tools
async def test_speaking_over_a_speech_menu_prompt_stops_it_and_is_recognised(tmp_path: Path) -> None:
    pytest.importorskip("pocketsphinx")
    channel, phone = await call_channel(tmp_path)
    prompt_seconds = len(await channel.frames(LONG_PROMPT)) * 0.02
    said = b"\xff" * 4000 + speech_ulaw(tmp_path, "billing")  # half a second into the prompt
    sending = asyncio.create_task(phone_sends(phone, ("127.0.0.1", channel.media.local_port), said))
    started = time.monotonic()
    await channel.play(LONG_PROMPT, listen=True)
    stopped_after = time.monotonic() - started
    heard = await channel.collect_digits(1, timeout=3, inter_digit_timeout=1, terminator=None, speech=MENU)
    sending.cancel()
    phone.close()
    channel.media.close()
    assert prompt_seconds > 6 and stopped_after < 1.5, (prompt_seconds, stopped_after)
    assert (heard.digits, heard.ended_by, heard.speech) == ("1", "speech", "billing"), heard


@needs_tools
async def test_a_quiet_caller_hears_the_whole_prompt_and_a_prompt_without_listen_is_not_cut(
    tmp_path: Path,
) -> None:
    pytest.importorskip("pocketsphinx")
    channel, phone = await call_channel(tmp_path)
    short = Prompt(text="For billing, say billing.")
    prompt_seconds = len(await channel.frames(short)) * 0.02
    quiet = asyncio.create_task(phone_sends(phone, ("127.0.0.1", channel.media.local_port), b""))
    started = time.monotonic()
    await channel.play(short, listen=True)
    assert time.monotonic() - started >= prompt_seconds - 0.1  # nothing to stop it
    heard = await channel.collect_digits(1, timeout=0.5, inter_digit_timeout=1, terminator=None, speech=MENU)
    assert heard.ended_by == "timeout"
    quiet.cancel()
    said = speech_ulaw(tmp_path, "billing")
    talking = asyncio.create_task(phone_sends(phone, ("127.0.0.1", channel.media.local_port), said))
    started = time.monotonic()
    await channel.play(short)  # not a speech menu's prompt: speech does not stop it
    assert time.monotonic() - started >= prompt_seconds - 0.1
    assert channel.listening is None and channel.media.recorded_bytes() == b""
    talking.cancel()
    phone.close()
    channel.media.close()
