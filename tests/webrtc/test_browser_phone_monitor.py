"""A supervisor listens in on a browser agent's call exactly as on a phone agent's: dialling *51 and the
agent's extension from a registered phone, they hear both the caller and the agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from phonekit import CALLER_LINE, MIC_TONE, PhoneSite, agent_page, ready_phone, start_caller
from playwright.async_api import expect
from rtpcapture import Capture, can_capture, tone_power
from sipp import audio_and_dtmf_pcap, free_port, run_sipp

from alur.core.events import SupervisionStarted
from alur.media.prompts import CODECS


@pytest.mark.skipif(not can_capture(), reason="capturing RTP needs CAP_NET_RAW")
async def test_a_supervisor_hears_the_caller_and_the_browser_agent(
    site: PhoneSite, chromium: Any, tmp_path: Path
) -> None:
    reg = await run_sipp(
        "register.xml",
        f"127.0.0.1:{site.env.sip_port}",
        port=free_port(),
        media_port=free_port(),
        workdir=tmp_path,
        service="3001",
        params={"contact_port": free_port(), "user": "3001", "password": "secret3001"},
        timeout=10,
    )
    assert reg.ok, reg.errors or reg.stderr
    page = await agent_page(chromium, site)
    await ready_phone(page)
    caller_media, sup_media = free_port(), free_port()
    cap = Capture({sup_media})
    try:
        caller = await start_caller(site, tmp_path, caller_media)
        await expect(page.locator("#phone-ring")).to_be_visible(timeout=20_000)
        await page.click("#phone-answer")
        await site.sip.until(lambda: "carol" in site.sip.connector.talks)
        quiet = audio_and_dtmf_pcap(tmp_path / "s.pcap", audio_seconds=0.1)
        sup = await run_sipp(
            "supervisor.xml",
            f"127.0.0.1:{site.env.sip_port}",
            port=free_port(),
            media_port=sup_media,
            workdir=tmp_path,
            service="*512001",  # monitor carol (extension 2001)
            keys={"pcap": str(quiet)},
            params={"wait_ms": 0, "talk_ms": 3000, "user": "3001"},
            timeout=20,
        )
        await page.click("#phone-hangup")
        result = await caller
    finally:
        cap.stop()
    assert sup.ok, sup.errors or sup.stderr
    assert result.ok, result.errors or result.stderr
    started = [e for e in site.sip.events if isinstance(e, SupervisionStarted)]
    assert [(e.supervisor, e.agent_id, e.mode) for e in started] == [("3001", "carol", "monitor")]
    heard = b"".join(CODECS["PCMU"].decode(p.payload) for p in cap.to(sup_media, 0))
    pcm = np.frombuffer(heard, "<i2")[8000:]  # past the first second (set-up)
    assert len(pcm) > 8000
    # both in the mix (carol quieter: the browser's noise suppression damps her steady tone), against a
    # tone nobody plays
    assert tone_power(pcm, CALLER_LINE) > 0.1 and tone_power(pcm, MIC_TONE) > 0.02
    assert tone_power(pcm, 1700) < 0.005
