"""An agent answers in the browser: a sipp caller reaches the queue, carol's agent desktop (headless
Chromium, its fake microphone playing a 1 kHz tone) rings, she answers there; the caller's 440 Hz tone is
heard in the page, her 1 kHz tone reaches the caller, a keypad digit reaches the caller as RFC 4733, she
hangs up in the page and finishes the wrap-up."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import MIC_TONE, PhoneSite, agent_page
from playwright.async_api import expect
from rtpcapture import Capture, Captured, can_capture, tone_power
from sipp import audio_and_dtmf_pcap, free_port, run_sipp

from alur.core.events import Answered, TalkEnded
from alur.media.prompts import CODECS

CALLER_TONE = 440.0


async def start_caller(site: PhoneSite, tmp_path: Path, media_port: int) -> asyncio.Task[Any]:
    """A caller who presses 1 for the queue, then plays a 440 Hz tone until Alur hangs up."""
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=50, digits="1", digit_at=0.1)
    return asyncio.create_task(
        run_sipp(
            "caller_wait_bye.xml",
            f"127.0.0.1:{site.env.sip_port}",
            port=free_port(),
            media_port=media_port,
            workdir=tmp_path,
            keys={"pcap": str(pcap)},
            params={"wait_ms": 1500, "talk_ms": 0},
            timeout=70,
        )
    )


async def ready_phone(page: Any) -> None:
    """Log in to the queues and make this browser the agent's phone."""
    await page.click("#login")
    await expect(page.locator("#state")).to_have_text("Ready")
    await page.check("#phone-use")
    await expect(page.locator("#phone-status")).to_have_attribute("data-state", "ready")


async def hears(page: Any, freq: float, timeout: float = 10.0) -> dict[str, Any]:
    """Wait until the loudest thing the page plays is `freq` (within one analyser bin)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    heard = None
    while loop.time() < deadline:
        heard = await page.evaluate("window.AlurPhone.heard()")
        if heard and abs(heard["freq"] - freq) < 30 and heard["db"] > -60:
            return dict(heard)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the page does not hear {freq:g} Hz (last: {heard})")


def tone_frames(packets: list[Captured], freq: float) -> int:
    """How many 20 ms PCMU frames sent to the caller carry mostly `freq`."""
    found = 0
    for p in packets:
        pcm = np.frombuffer(CODECS["PCMU"].decode(p.payload), "<i2")
        if np.abs(pcm).mean() > 300 and tone_power(pcm, freq) > 0.5:
            found += 1
    return found


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
        await site.sip.until(lambda: tone_frames(cap.to(caller_media, 0), MIC_TONE) >= 50)  # 1 s of her
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
    assert tone_frames(frames, MIC_TONE) >= 50

    state = page.locator("#state")
    await expect(state).to_have_text("Wrap-up")
    await page.click("#wrapup-form button[type=submit]")
    await expect(state).to_have_text("Ready")
    assert site.sip.router.agent_state("carol") == "available"
    await expect(page.locator("#phone-status")).to_have_attribute("data-state", "ready")
