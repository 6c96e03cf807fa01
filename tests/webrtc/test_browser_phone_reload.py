"""A browser agent's page comes and goes during a call: a reload re-attaches the audio while the caller
stays on the line; a page that does not come back within the grace ends the call and the agent gets no
more offers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from phonekit import (
    CALLER_TONE,
    MIC_TONE,
    Cuttable,
    PhoneSite,
    agent_page,
    answered_call,
    hears,
    ready_phone,
    start_caller,
    tone_frames,
)
from playwright.async_api import expect
from rtpcapture import Capture, can_capture
from sipp import free_port

from alur.config.project import BrowserPhoneSettings
from alur.core.events import AgentStateChanged, CallQueued, Offered, TalkEnded

pytestmark = pytest.mark.skipif(not can_capture(), reason="capturing RTP needs CAP_NET_RAW")


async def test_a_reload_during_a_call_reattaches_the_audio(
    site: PhoneSite, chromium: Any, tmp_path: Path
) -> None:
    caller_media = free_port()
    cap = Capture({caller_media})
    try:
        page, caller = await answered_call(site, chromium, tmp_path, caller_media)
        await hears(page, CALLER_TONE)
        asked = time.time()
        await page.reload()
        reloaded = time.time()
        status = page.locator("#phone-status")
        await expect(status).to_have_attribute("data-state", "talking", timeout=10_000)  # re-attached
        print(f"re-attached {time.time() - asked:.2f} s after the reload began")
        assert (await page.locator("#phone-use").is_checked()) is True
        await hears(page, CALLER_TONE)  # the caller again, in the new page

        def her_tone_since_reload() -> int:
            return tone_frames([p for p in cap.to(caller_media, 0) if p.at > reloaded], MIC_TONE)

        await site.sip.until(lambda: her_tone_since_reload() >= 50)  # and she reaches the caller again
        first = min(p.at for p in cap.to(caller_media, 0) if p.at > reloaded and tone_frames([p], MIC_TONE))
        print(f"her voice reached the caller again {first - asked:.2f} s after the reload began")
        assert first - asked < 5  # within a few seconds
        assert not [e for e in site.sip.events if isinstance(e, TalkEnded)]  # never dropped
        assert site.sip.router.agent_state("carol") == "busy"
        await page.click("#phone-hangup")
        result = await caller
    finally:
        cap.stop()
    assert result.ok, result.errors or result.stderr
    await site.sip.settle()
    assert [e.ended_by for e in site.sip.events if isinstance(e, TalkEnded)] == ["agent"]


async def test_a_network_drop_during_a_call_reattaches_the_audio(
    site: PhoneSite, chromium: Any, tmp_path: Path
) -> None:
    network = Cuttable(site.url)
    await network.start()
    caller_media = free_port()
    cap = Capture({caller_media})
    phones = site.sip.center.phones
    try:
        page, caller = await answered_call(site, chromium, tmp_path, caller_media, url=network.url)
        await hears(page, CALLER_TONE)
        network.cut()
        status = page.locator("#phone-status")
        await expect(status).to_have_attribute("data-state", "reconnecting")
        await site.sip.until(lambda: not phones.attached("carol"))  # Alur saw the page go
        network.mend()
        mended = time.time()
        await expect(status).to_have_attribute("data-state", "talking", timeout=10_000)
        await site.sip.until(
            lambda: tone_frames([p for p in cap.to(caller_media, 0) if p.at > mended], MIC_TONE) >= 50
        )
        first = min(p.at for p in cap.to(caller_media, 0) if p.at > mended and tone_frames([p], MIC_TONE))
        print(f"her voice reached the caller again {first - mended:.2f} s after the network came back")
        assert first - mended < 8  # the page retries after 0.5, 1, 2, 4 s
        await hears(page, CALLER_TONE)
        assert not [e for e in site.sip.events if isinstance(e, TalkEnded)]  # the caller stayed
        await page.click("#phone-hangup")
        result = await caller
    finally:
        cap.stop()
        await network.close()
    assert result.ok, result.errors or result.stderr


async def test_a_page_gone_past_the_grace_ends_the_call_and_pauses_the_agent(
    site: PhoneSite, chromium: Any, tmp_path: Path
) -> None:
    site.sip.center.phones.settings = BrowserPhoneSettings(reconnect_grace=1.5)
    caller_media = free_port()
    cap = Capture({caller_media})
    try:
        page, caller = await answered_call(site, chromium, tmp_path, caller_media)
        await page.context.close()
        closed = time.monotonic()
        result = await caller  # Alur ends the call: the caller gets BYE
        assert result.ok, result.errors or result.stderr
        await site.sip.until(lambda: site.sip.router.agent_state("carol") in ("wrap_up", "paused"))
    finally:
        cap.stop()
    assert time.monotonic() - closed < 15
    assert [e.ended_by for e in site.sip.events if isinstance(e, TalkEnded)] == ["agent"]
    agent = site.sip.router.agents["carol"]
    assert site.sip.agent_target("carol") is None  # no phone: offers cannot reach her

    def unavailable() -> bool:  # paused now, or (still on the call when the grace ran out) right after it
        if site.sip.router.agent_state("carol") == "paused":
            return bool(agent.pause_reason == "phone_offline")
        return bool(agent.pending_pause == "phone_offline")

    await site.sip.until(unavailable)


async def test_an_idle_agent_whose_page_closes_gets_no_offers_at_once(
    site: PhoneSite, chromium: Any, tmp_path: Path
) -> None:
    router = site.sip.router
    page = await agent_page(chromium, site)
    await ready_phone(page)
    await page.reload()  # a reload: paused for a moment, ready again once the page is back
    await expect(page.locator("#phone-status")).to_have_attribute("data-state", "ready", timeout=10_000)
    await site.sip.until(lambda: router.agent_state("carol") == "available")
    changes = [(e.new, e.reason) for e in site.sip.events if isinstance(e, AgentStateChanged)]
    assert changes[-2:] == [("paused", "phone_offline"), ("available", "")]

    await page.context.close()  # gone: unavailable now, not after the grace (10 s)
    closed = time.monotonic()
    await site.sip.until(lambda: router.agent_state("carol") == "paused", timeout=5)
    assert time.monotonic() - closed < 3
    assert router.agents["carol"].pause_reason == "phone_offline"
    caller = await start_caller(site, tmp_path, free_port())
    await site.sip.until(lambda: any(isinstance(e, CallQueued) for e in site.sip.events))
    assert not [e for e in site.sip.events if isinstance(e, Offered)]  # nothing rings a page that is gone
    again = await agent_page(chromium, site)  # back within the grace: ready, and offered the waiting call
    await again.check("#phone-use")
    await expect(again.locator("#phone-ring")).to_be_visible(timeout=20_000)
    assert router.agent_state("carol") == "ringing"
    await again.click("#phone-answer")
    await expect(again.locator("#phone-status")).to_have_attribute("data-state", "talking")
    await again.click("#phone-hangup")
    result = await caller
    assert result.ok, result.errors or result.stderr
    assert [e.agent_id for e in site.sip.events if isinstance(e, Offered)] == ["carol"]
