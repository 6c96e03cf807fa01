"""Supervision and recording of a browser agent's call, as of a phone agent's: a supervisor whispers
(only the browser agent hears them), then barges (the caller hears them too); the call's stereo
recording has the caller on the left and the browser agent's own voice, without the supervisor, on the
right."""

from __future__ import annotations

import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from phonekit import (
    CALLER_LINE,
    CALLER_TONE,
    MIC_TONE,
    SUP_TONE,
    PhoneSite,
    after,
    answered_call,
    hears,
    level_at,
    register_supervisor,
    supervise,
    tone_frames,
    tone_pcap,
)
from rtpcapture import Capture, Captured, can_capture, tone_power
from sipp import free_port

from alur.core.events import RecordingSaved, SupervisionEnded, SupervisionStarted
from alur.media.prompts import CODECS

pytestmark = pytest.mark.skipif(not can_capture(), reason="capturing RTP needs CAP_NET_RAW")
SETTLE = 0.3  # s: packets already on their way when the mix changes


def share(packets: list[Captured], freq: float) -> float:
    """The share of `freq` in the audio of these PCMU packets."""
    pcm = np.frombuffer(b"".join(CODECS["PCMU"].decode(p.payload) for p in packets), "<i2")
    return tone_power(pcm, freq)


async def test_whisper_and_barge_on_a_browser_agent_and_the_recording(
    site: PhoneSite, chromium: Any, tmp_path: Path
) -> None:
    await register_supervisor(site, tmp_path)
    caller_media, whisper_media, barge_media = free_port(), free_port(), free_port()
    cap = Capture({caller_media, whisper_media, barge_media})
    to_caller = lambda: cap.to(caller_media, 0)  # noqa: E731
    sup_says = tone_pcap(tmp_path / "supervisor.pcap", SUP_TONE, seconds=4)
    events = site.sip.events

    def started(mode: str) -> bool:
        return any(isinstance(e, SupervisionStarted) and e.mode == mode for e in events)

    def ended(mode: str) -> bool:
        return any(isinstance(e, SupervisionEnded) and e.mode == mode for e in events)

    try:
        page, caller = await answered_call(site, chromium, tmp_path, caller_media)
        await hears(page, CALLER_TONE)
        await level_at(page, SUP_TONE, below=-75)  # nobody says it yet

        whisper = supervise(site, tmp_path, "*52", whisper_media, sup_says, talk_ms=4000)
        await site.sip.until(lambda: started("whisper"))
        whispering = time.time() + SETTLE
        await level_at(page, SUP_TONE, above=-60)  # she hears the supervisor...
        await site.sip.until(lambda: ended("whisper"), timeout=20)
        whispered = time.time()
        assert (await whisper).ok
        during = after(to_caller(), whispering, whispered)
        assert len(during) > 50
        assert share(during, SUP_TONE) < 0.01  # ...the caller does not
        assert tone_frames(during, MIC_TONE) > 25  # and still hears her

        barge = supervise(site, tmp_path, "*53", barge_media, sup_says, talk_ms=4000)
        await site.sip.until(lambda: started("barge"))
        barging = time.time() + SETTLE
        await site.sip.until(
            lambda: share(after(to_caller(), barging), SUP_TONE) > 0.1
        )  # the caller hears them
        await level_at(page, SUP_TONE, above=-60)  # and so does she
        await site.sip.until(lambda: ended("barge"), timeout=20)
        assert (await barge).ok
        await page.click("#phone-hangup")
        result = await caller
    finally:
        cap.stop()
    assert result.ok, result.errors or result.stderr
    for port in (whisper_media, barge_media):  # the supervisor heard the caller and the agent both times
        heard = cap.to(port, 0)[50:]
        assert share(heard, CALLER_LINE) > 0.05 and share(heard, MIC_TONE) > 0.01

    await site.sip.until(lambda: any(isinstance(e, RecordingSaved) for e in events))
    saved = next(e for e in events if isinstance(e, RecordingSaved))
    assert (saved.mode, saved.agent_id) == ("stereo", "carol")
    with wave.open(saved.path) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2)
    halves = [pcm[i : i + 4000] for i in range(0, len(pcm) - 4000, 4000)]
    assert sum(tone_power(h[:, 0], CALLER_LINE) > 0.5 for h in halves) > len(halves) / 2  # the caller, left
    assert (
        sum(tone_power(h[:, 1], MIC_TONE) > 0.5 for h in halves) > len(halves) / 2
    )  # carol's browser, right
    assert max(tone_power(h[:, 1], SUP_TONE) for h in halves) < 0.01  # her voice only, not what she heard
