"""Reject in the page declines the offer as a desk phone's decline does: the router logs the decline
(offer.declined, reason declined) and offers the call to the next agent, who answers in their own
browser."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from phonekit import CALLER_TONE, PhoneSite, agent_page, hears, ready_phone, start_caller
from playwright.async_api import expect
from sipp import free_port

from alur.core.events import Answered, OfferDeclined, Offered, TalkEnded


async def ringing_page(pages: dict[str, Any], timeout: float = 20.0) -> str:
    """The agent whose page rings first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for agent, page in pages.items():
            if await page.locator("#phone-ring").is_visible():
                return agent
        await asyncio.sleep(0.05)
    raise AssertionError("no page rings")


async def test_a_rejected_offer_goes_to_the_next_agent(
    site: PhoneSite, chromium: Any, tmp_path: Path
) -> None:
    carol, bob = await agent_page(chromium, site), await agent_page(chromium, site, site.bob_token)
    pages = {"carol": carol, "bob": bob}
    for page in pages.values():
        await ready_phone(page)
    caller = await start_caller(site, tmp_path, free_port())
    first = await ringing_page(pages)
    second = next(a for a in pages if a != first)
    assert site.sip.router.agent_state(first) == "ringing"
    await pages[first].click("#phone-reject")
    await expect(pages[first].locator("#phone-status")).to_have_attribute("data-state", "ready")
    await expect(pages[second].locator("#phone-ring")).to_be_visible(timeout=10_000)
    declined = [e for e in site.sip.events if isinstance(e, OfferDeclined)]
    assert [(e.agent_id, e.reason) for e in declined] == [(first, "declined")]
    await pages[second].click("#phone-answer")
    await site.sip.until(lambda: any(isinstance(e, Answered) for e in site.sip.events))
    await hears(pages[second], CALLER_TONE)
    assert site.sip.router.agent_state(first) == "available"  # a decline is not a missed offer: no pause
    await pages[second].click("#phone-hangup")
    result = await caller
    assert result.ok, result.errors or result.stderr
    await site.sip.settle()
    assert [e.agent_id for e in site.sip.events if isinstance(e, Offered)] == [first, second]
    assert [e.agent_id for e in site.sip.events if isinstance(e, Answered)] == [second]
    assert [e.ended_by for e in site.sip.events if isinstance(e, TalkEnded)] == ["agent"]
