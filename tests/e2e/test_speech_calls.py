"""Spoken menu choices on real calls: sipp sends espeak-ng speech as the caller's RTP, Alur's
voice-activity detection cuts the utterance out of the live stream and the embedded recogniser
chooses the option; a silent caller and an unknown word take the timeout and invalid paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_env import Env
from sipp import free_port, run_sipp, speech_pcap, spoken

from alur.core.events import (
    CallEnded,
    CallQueued,
    MenuInputRejected,
    PromptPlayed,
    SpeechRecognized,
)  # fmt: skip

pytest.importorskip("pocketsphinx")

SPEAKS_AT = 2.5  # seconds into the call: after the menu prompt ("Say billing or support.")


def kinds(events: list[object], cls: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, cls)]


async def call(
    env: Env, tmp_path: Path, *, number: str, said: list[tuple[float, str, str]], talk_ms: int, wait_bye: bool
) -> Any:
    """One caller on `number` who says each (time, text, voice) of `said`; hangs up after `talk_ms`,
    or waits for Alur to hang up (`wait_bye`)."""
    clips = [(at, spoken(tmp_path, text, voice)) for at, text, voice in said]
    pcap = speech_pcap(tmp_path / "caller.pcap", seconds=(talk_ms - 500) / 1000, speech=clips)
    return await run_sipp(
        "caller_wait_bye.xml" if wait_bye else "caller.xml",
        f"127.0.0.1:{env.sip_port}",
        service=number,
        port=free_port(),
        media_port=free_port(),
        workdir=tmp_path,
        keys={"pcap": str(pcap)},
        params={"wait_ms": 300, "talk_ms": talk_ms},
        timeout=40,
    )


@pytest.mark.parametrize(
    ("number", "text", "voice", "language"), [("400", "billing", "en", "en"), ("401", "tagihan", "id", "id")]
)
async def test_a_spoken_choice_reaches_its_queue_and_the_queue_news_is_in_the_callers_language(
    env: Env, tmp_path: Path, number: str, text: str, voice: str, language: str
) -> None:
    server = await env.start()
    said = [(SPEAKS_AT, text, voice)]
    caller = await call(env, tmp_path, number=number, said=said, talk_ms=9000, wait_bye=False)
    assert caller.ok, caller.errors or caller.stderr
    await server.settle()
    ev = server.events
    (heard,) = kinds(ev, SpeechRecognized)
    assert (heard.text, heard.option) == (text, "1"), heard
    assert [q.queue for q in kinds(ev, CallQueued)] == ["billing"]
    news = {p.announcement: (p.language, p.prompt) for p in kinds(ev, PromptPlayed) if p.announcement}
    expected = {"en": "You are first in line.", "id": "Anda berada di urutan pertama."}[language]
    assert news["queue.position"] == (language, expected)


@pytest.mark.parametrize(
    ("said", "reason", "goodbye"),
    [([], "timeout", "Nothing heard."), ([(SPEAKS_AT, "pizza", "en")], "invalid", "Not understood.")],
    ids=["silent", "unknown-word"],
)
async def test_silence_and_an_unknown_word_take_the_timeout_and_invalid_paths(
    env: Env, tmp_path: Path, said: list[tuple[float, str, str]], reason: str, goodbye: str
) -> None:
    server = await env.start()
    caller = await call(env, tmp_path, number="400", said=said, talk_ms=9000, wait_bye=True)
    assert caller.ok, caller.errors or caller.stderr  # Alur said goodbye and hung up
    await server.settle()
    ev = server.events
    assert [r.reason for r in kinds(ev, MenuInputRejected)] == [reason]
    assert [s.option for s in kinds(ev, SpeechRecognized)] == ([None] if said else [])
    assert goodbye in [p.prompt for p in kinds(ev, PromptPlayed)]
    assert not kinds(ev, CallQueued)
    assert kinds(ev, CallEnded)[0].how != "caller_hangup"


async def test_speaking_over_the_menu_prompt_stops_it_and_chooses(env: Env, tmp_path: Path) -> None:
    long_prompt = (
        "Welcome to the support line. For billing, say billing. For technical support, say technical "
        "support. You may also press a key at any time."
    )
    prompt_seconds = len(spoken(tmp_path, long_prompt)) / 8000
    server = await env.start(speech_prompt=long_prompt)
    said = [(0.8, "billing", "en")]  # while the prompt plays
    caller = await call(env, tmp_path, number="400", said=said, talk_ms=6000, wait_bye=False)
    assert caller.ok, caller.errors or caller.stderr
    await server.settle()
    ev = server.events
    (heard,) = kinds(ev, SpeechRecognized)
    assert (heard.text, heard.option) == ("billing", "1"), heard
    assert [q.queue for q in kinds(ev, CallQueued)] == ["billing"]
    (menu_prompt,) = [p for p in kinds(ev, PromptPlayed) if p.prompt == long_prompt]
    assert prompt_seconds > 7
    assert heard.at - menu_prompt.at < 4.0  # the prompt stopped: speech ended ~2 s in, not after it
