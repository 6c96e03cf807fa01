"""The browser phone's in-call controls with a real caller: Mute (the caller hears silence, then the agent
again) and Hold (the caller hears the queue's music on hold and the page hears nothing, as with the
desktop's Hold for any phone: call.held / call.resumed; Resume brings both directions back)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from phonekit import (
    CALLER_LINE,
    CALLER_TONE,
    MIC_TONE,
    MOH_TONE,
    PhoneSite,
    after,
    answered_call,
    hears,
    level_at,
    tone_frames,
)
from playwright.async_api import expect
from rtpcapture import Capture, can_capture

from alur.core.events import CallHeld, CallResumed, TalkEnded

pytestmark = pytest.mark.skipif(not can_capture(), reason="capturing RTP needs CAP_NET_RAW")
SETTLE = 0.3  # s: packets already on their way when a button is pressed


async def test_mute_then_hold_with_music_then_resume(site: PhoneSite, chromium: Any, tmp_path: Path) -> None:
    from sipp import free_port

    caller_media = free_port()
    cap = Capture({caller_media})
    to_caller = lambda: cap.to(caller_media, 0)  # noqa: E731
    try:
        page, caller = await answered_call(site, chromium, tmp_path, caller_media)
        await hears(page, CALLER_TONE)
        await site.sip.until(lambda: tone_frames(to_caller(), MIC_TONE) >= 25)

        mute = page.locator("#phone-mute")
        await mute.click()
        await expect(mute).to_have_attribute("aria-pressed", "true")
        muted = time.time() + SETTLE
        await site.sip.until(lambda: len(after(to_caller(), muted)) >= 50)
        assert tone_frames(after(to_caller(), muted), MIC_TONE) == 0  # nothing of her reaches the caller
        await mute.click()
        await expect(mute).to_have_text("Mute")
        unmuted = time.time()
        await site.sip.until(lambda: tone_frames(after(to_caller(), unmuted), MIC_TONE) >= 50)
        assert tone_frames(after(to_caller(), muted, unmuted), MIC_TONE) == 0

        hold = page.locator("#phone-hold")
        await hold.click()
        await site.sip.until(lambda: any(isinstance(e, CallHeld) for e in site.sip.events))
        held = time.time() + SETTLE
        await expect(page.locator("#phone-status")).to_have_attribute("data-state", "held")
        await expect(hold).to_have_text("Resume")
        await expect(page.locator("#hold")).to_have_attribute("aria-pressed", "true")  # the desktop's too
        # the caller hears the queue's music, not her; she hears nothing of the caller
        await site.sip.until(lambda: tone_frames(after(to_caller(), held), MOH_TONE) >= 50)
        assert tone_frames(after(to_caller(), held), MIC_TONE) == 0
        await level_at(page, CALLER_LINE, below=-80)

        await hold.click()
        await site.sip.until(lambda: any(isinstance(e, CallResumed) for e in site.sip.events))
        resumed = time.time()
        await expect(page.locator("#phone-status")).to_have_attribute("data-state", "talking")
        await expect(page.locator("#hold")).to_have_attribute("aria-pressed", "false")
        await hears(page, CALLER_TONE)  # the caller again
        await site.sip.until(lambda: tone_frames(after(to_caller(), resumed), MIC_TONE) >= 50)
        assert tone_frames(after(to_caller(), resumed + SETTLE), MOH_TONE) == 0
        assert site.sip.router.agent_state("carol") == "busy"

        await page.click("#phone-hangup")
        result = await caller
    finally:
        cap.stop()
    assert result.ok, result.errors or result.stderr
    await site.sip.settle()
    resumed_events = [e for e in site.sip.events if isinstance(e, CallResumed)]
    assert [(e.agent_id, e.how) for e in resumed_events] == [("carol", "resume")]
    assert [e.ended_by for e in site.sip.events if isinstance(e, TalkEnded)] == ["agent"]


async def test_a_reload_while_on_hold_shows_the_hold_and_resume_works(
    site: PhoneSite, chromium: Any, tmp_path: Path
) -> None:
    from sipp import free_port

    caller_media = free_port()
    cap = Capture({caller_media})
    to_caller = lambda: cap.to(caller_media, 0)  # noqa: E731
    try:
        page, caller = await answered_call(site, chromium, tmp_path, caller_media)
        await page.click("#phone-hold")
        await site.sip.until(lambda: any(isinstance(e, CallHeld) for e in site.sip.events))
        await page.reload()
        status = page.locator("#phone-status")
        await expect(status).to_have_attribute("data-state", "held", timeout=10_000)  # not "talking"
        await expect(page.locator("#phone-hold")).to_have_text("Resume")
        await expect(page.locator("#hold")).to_have_attribute("aria-pressed", "true")
        reloaded = time.time() + SETTLE
        await site.sip.until(lambda: tone_frames(after(to_caller(), reloaded), MOH_TONE) >= 25)  # still music
        await page.click("#phone-hold")
        await site.sip.until(lambda: any(isinstance(e, CallResumed) for e in site.sip.events))
        resumed = time.time()
        await expect(status).to_have_attribute("data-state", "talking")
        await hears(page, CALLER_TONE)
        await site.sip.until(lambda: tone_frames(after(to_caller(), resumed), MIC_TONE) >= 50)
        await page.click("#phone-hangup")
        result = await caller
    finally:
        cap.stop()
    assert result.ok, result.errors or result.stderr
