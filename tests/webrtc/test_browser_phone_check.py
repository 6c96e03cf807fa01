"""The browser phone's device check: the microphone level moves with the (fake) microphone, and the echo
test call plays the agent's own voice back to them through Alur's echo extension, over the same
gateway and RTP a real call takes; the page tells desk-phone users the extension's number."""

from __future__ import annotations

import asyncio
from typing import Any

from phonekit import MIC_TONE, PhoneSite, agent_page, hears, ready_phone
from playwright.async_api import expect


async def test_microphone_level_and_echo_call(site: PhoneSite, chromium: Any) -> None:
    page = await agent_page(chromium, site)
    await ready_phone(page)
    await page.click("#phone-check summary")
    await page.wait_for_function("window.AlurPhone.micLevel > 0.05")  # the tone moves the meter
    echo = page.locator("#phone-echo")
    await echo.click()
    await expect(echo).to_have_text("End test call")
    await hears(page, MIC_TONE)  # her microphone, back from Alur
    await expect(page.locator("#phone-echo-extension")).to_have_text(
        "A desk phone makes the same test by dialling *43."
    )
    echoes = site.sip.browsers.echoes
    assert list(echoes) == ["carol"]
    rtp, _ = echoes["carol"]
    assert rtp.packets_in > 0 and rtp.packets_out > 0  # through the echo extension's RTP, not a shortcut
    await echo.click()
    await expect(echo).to_have_text("Test call (hear yourself)")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while echoes:
        assert loop.time() < deadline, "the echo call is still open in Alur"
        await asyncio.sleep(0.05)
