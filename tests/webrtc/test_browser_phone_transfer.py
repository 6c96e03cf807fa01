"""A browser agent hands the caller on from the desktop's transfer form: the caller ends up bridged to a
colleague's desk phone, the browser call ends in the page, and the browser agent goes to wrap-up."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from phonekit import PhoneSite, answered_call
from playwright.async_api import expect
from sipp import audio_and_dtmf_pcap, free_port, run_sipp

from alur.core.events import CallTransferred, TalkEnded
from alur.service.commands import Login


async def test_blind_transfer_from_the_page_to_a_colleagues_phone(
    site: PhoneSite, chromium: Any, tmp_path: Path
) -> None:
    sip = site.sip
    alice_phone = asyncio.create_task(
        run_sipp(
            "agent_answer.xml", "", port=site.env.alice, media_port=free_port(), workdir=tmp_path,
            keys={"pcap": str(audio_and_dtmf_pcap(tmp_path / "alice.pcap", audio_seconds=4, ssrc=9))},
            timeout=60,
        )
    )  # fmt: skip
    page, caller = await answered_call(site, chromium, tmp_path, free_port())
    sip.center.execute(Login("alice"))  # logged in is ready

    await page.select_option("#transfer-kind", "agent")
    await page.fill("#transfer-to", "alice")
    await page.select_option("#transfer-mode", "blind")
    await page.click("#transfer-go")

    await sip.until(lambda: "alice" in sip.connector.talks)
    channel, leg = sip.connector.talks["alice"]
    assert channel.media.peer is leg.media  # the caller now talks with alice's phone
    await expect(page.locator("#state")).to_have_text("Wrap-up")
    await expect(page.locator("#phone-status")).not_to_have_attribute("data-state", "talking")
    await sip.until(lambda: not sip.browsers.legs)  # carol's browser leg is closed in Alur
    assert sip.router.agent_state("alice").value == "busy"
    events = sip.events
    transfers = [(e.destination, e.kind) for e in events if isinstance(e, CallTransferred)]
    assert transfers == [("agent:alice", "agent_blind")]
    assert [(t.agent_id, t.ended_by) for t in events if isinstance(t, TalkEnded)] == [("carol", "transfer")]
    a, c = await alice_phone, await caller
    assert a.ok, a.errors or a.stderr
    assert c.ok, c.errors or c.stderr
