"""The agent desktop in a real browser: log in to the queues, pause with a reason and get ready; an offer
pops with the caller's number, customer record and queue; accept, hang up, and the wrap-up form (its
disposition is required) ends in Ready with a follow-up listed as due."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from apikit import Api
from playwright.async_api import expect
from webkit import logged_in, shot


async def test_an_agent_takes_a_call_from_offer_to_wrap_up(browser: Any, api: Api, tmp_path: Path) -> None:
    page = await logged_in(browser, api, "agent")
    await expect(page).to_have_url(f"{api.url}/ui/agent.html")
    state = page.locator("#state")
    await expect(state).to_have_text("Offline")
    await page.click("#login")
    await expect(state).to_have_text("Ready")
    await page.select_option("#reason", "lunch")
    await page.click("#pause")
    await expect(state).to_have_text("Paused (lunch)")
    await expect(page.locator("#in-state")).to_have_text(re.compile(r"in this state for \d+:\d\d"))
    assert api.center.router.agent_state("ayu") == "paused"
    await page.click("#ready")
    await expect(state).to_have_text("Ready")

    api.place_call("c1", caller_id="+6281100000001")
    offer = page.locator("#offer")
    await expect(offer).to_be_visible()
    await expect(offer).to_contain_text("+6281100000001")
    await expect(offer).to_contain_text("Budi Santoso")
    await expect(offer).to_contain_text("billing")
    await shot(page, tmp_path, "agent-offer-1366")
    await page.click("#accept")
    await expect(state).to_have_text("On a call")
    await expect(offer).to_be_hidden()
    await page.click("#hangup")

    await expect(state).to_have_text("Wrap-up")
    await expect(page.locator("#wrapup-timer")).to_have_text(re.compile(r"\d+:\d\d"))
    await page.click("#wrapup-form button[type=submit]")  # no disposition: the form does not go
    assert api.center.router.agent_state("ayu") == "wrap_up"
    await page.select_option("#disposition", "refund")
    await page.fill("#notes", "card expired")
    await page.fill("#summary", "refund issued")
    await page.fill("#follow-up", "2020-01-01T09:00")  # already due
    await page.fill("#follow-up-note", "check the refund arrived")
    await shot(page, tmp_path, "agent-wrap-up-1366")
    await page.click("#wrapup-form button[type=submit]")
    await expect(state).to_have_text("Ready")
    await expect(page.locator("#follow-ups")).to_contain_text("check the refund arrived")
    await expect(page.locator("#calls-today")).to_have_text("1")
    await shot(page, tmp_path, "agent-ready-1366")
