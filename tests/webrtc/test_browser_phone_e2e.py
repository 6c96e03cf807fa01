"""An agent answers in the browser: a sipp caller reaches the queue, carol's agent desktop (headless
Chromium, its fake microphone playing a 1 kHz tone) rings, she answers there; the caller's 440 Hz tone is
heard in the page, her 1 kHz tone reaches the caller, a keypad digit reaches the caller as RFC 4733, she
hangs up in the page and finishes the wrap-up."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from phonekit import (
    CALLER_LINE,
    CALLER_TONE,
    MIC_TONE,
    PhoneSite,
    agent_page,
    hears,
    ready_phone,
    start_caller,
    tone_frames,
)
from playwright.async_api import expect
from rtpcapture import Capture, can_capture, tone_power
from sipp import free_port

from alur.core.events import Answered, RecordingSaved, TalkEnded


@pytest.mark.skipif(not can_capture(), reason="capturing RTP needs CAP_NET_RAW")
async def test_agent_answers_in_the_browser_and_both_hear_each_other(
    site: PhoneSite, chromium: Any, tmp_path: Path
) -> None:
    page = await agent_page(chromium, site)
    await ready_phone(page)
    caller_media = free_port()
    cap = Capture({caller_media})
    try:
        caller = await start_caller(site, tmp_path, caller_media)
        ring = page.locator("#phone-ring")
        await expect(ring).to_be_visible(timeout=20_000)
        await expect(page.locator("#phone-status")).to_contain_text("6281234")
        assert site.sip.router.agent_state("carol") == "ringing"
        await page.click("#phone-answer")
        await expect(page.locator("#phone-status")).to_have_attribute("data-state", "talking")
        await site.sip.until(lambda: any(isinstance(e, Answered) for e in site.sip.events))
        assert site.sip.router.agent_state("carol") == "busy"

        await hears(page, CALLER_TONE)  # the caller's audio plays in the page
        inbound = await page.evaluate("window.AlurPhone.inbound()")
        assert inbound["packetsReceived"] > 0 and inbound["bytesReceived"] > 0

        await page.click("#phone-keypad [data-digit='5']")
        await site.sip.until(lambda: len(cap.to(caller_media, 101)) >= 4)
        # 7 s of her: the call outlasts the offer's ring timeout (3 s), which must not end an answered call
        await site.sip.until(lambda: tone_frames(cap.to(caller_media, 0), MIC_TONE) >= 350, timeout=20)
        await page.click("#phone-hangup")
        result = await caller
    finally:
        cap.stop()
    assert result.ok, result.errors or result.stderr  # Alur said goodbye and sent BYE to the caller
    await site.sip.settle()
    ended = [e for e in site.sip.events if isinstance(e, TalkEnded)]
    assert [e.ended_by for e in ended] == ["agent"]

    digits = {p.payload[0] for p in cap.to(caller_media, 101)}
    assert digits == {5}  # RFC 4733 event 5, nothing else
    frames = cap.to(caller_media, 0)
    assert tone_frames(frames, MIC_TONE) >= 350

    await site.sip.until(lambda: any(isinstance(e, RecordingSaved) for e in site.sip.events))
    saved = next(e for e in site.sip.events if isinstance(e, RecordingSaved))
    assert (saved.mode, saved.agent_id) == ("stereo", "carol")
    with wave.open(saved.path) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2)
    halves = [pcm[i : i + 4000] for i in range(0, len(pcm) - 4000, 4000)]
    assert any(tone_power(s[:, 0], CALLER_LINE) > 0.5 for s in halves)  # the caller, left
    assert any(tone_power(s[:, 1], MIC_TONE) > 0.5 for s in halves)  # carol, right

    state = page.locator("#state")
    await expect(state).to_have_text("Wrap-up")
    await page.click("#wrapup-form button[type=submit]")
    await expect(state).to_have_text("Ready")
    assert site.sip.router.agent_state("carol") == "available"
    await expect(page.locator("#phone-status")).to_have_attribute("data-state", "ready")
