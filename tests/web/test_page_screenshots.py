"""Every page at a laptop's 1366×768 and a wall screen's 1920×1080: nothing spills sideways (no
horizontal scroll bar), every form field has a label, and a screenshot of each is kept ($ALUR_SCREENSHOTS;
the pictures in docs/ come from here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apikit import Api
from playwright.async_api import expect
from webkit import LAPTOP, TV, logged_in, shot

PAGES = [("agent", "agent"), ("supervisor", "supervisor"), ("wallboard", "supervisor"), ("designer", "admin")]
#: form fields wider than the card they are in
SPILLING = """() => [...document.querySelectorAll("section.card")].flatMap((card) => {
  const edge = card.getBoundingClientRect().right;
  return [...card.querySelectorAll("input, select, button")]
    .filter((e) => e.getBoundingClientRect().right > edge + 1).map((e) => e.id || e.outerHTML.slice(0, 60));
})"""
UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter((e) => e.offsetParent !== null && !e.labels?.length && !e.getAttribute("aria-label"))
  .map((e) => e.id || e.outerHTML)"""


async def check_and_shoot(page: Any, tmp_path: Path, name: str, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"
    assert await page.evaluate(SPILLING) == [], f"{name} has fields wider than their card"
    assert await page.evaluate(UNLABELLED) == [], f"{name} has fields without a label"
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    await page.screenshot(path=str(tmp_path / "x.png"))  # settle fonts before the kept one
    await shot(page, tmp_path, f"{name}-{width}")


@pytest.mark.parametrize("size", [LAPTOP, TV], ids=["1366", "1920"])
async def test_every_page_fits_and_is_labelled(
    browser: Any, api: Api, tmp_path: Path, size: dict[str, int]
) -> None:
    width = size["width"]
    login = await (await browser.new_context(viewport=size)).new_page()
    await login.goto(f"{api.url}/ui/")
    await expect(login.locator("#name")).to_be_visible()
    await check_and_shoot(login, tmp_path, "login", width)

    await api.call("agent", "POST", "/agents/ayu/login")
    api.place_call("p1")
    for name, who in PAGES:
        page = await logged_in(browser, api, who, size)
        if name != "agent" and name != "supervisor":
            await page.goto(f"{api.url}/ui/{name}.html")
        ready = {"agent": "#offer", "supervisor": "[data-agent=ayu]", "wallboard": "[data-queue=billing]",
                 "designer": "#diagram svg"}[name]  # fmt: skip
        await expect(page.locator(ready)).to_be_visible()
        await check_and_shoot(page, tmp_path, name, width)
        await page.context.close()
