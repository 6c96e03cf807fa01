"""Helpers of the browser tests: a page logged in with a role's token, screenshots kept with the test."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from apikit import Api

LAPTOP = {"width": 1366, "height": 768}
TV = {"width": 1920, "height": 1080}


async def logged_in(browser: Any, api: Api, who: str, size: dict[str, int] = LAPTOP, lang: str = "en") -> Any:
    """A new tab that logged in through the log-in page with `who`'s token and landed on its page."""
    context = await browser.new_context(viewport=size, locale="en-US")
    page = await context.new_page()
    page.on("console", lambda m: print(f"browser console {m.type}: {m.text}"))  # shown when a test fails
    page.on("pageerror", lambda e: print(f"browser error: {e}"))
    await page.goto(f"{api.url}/ui/")
    await page.select_option("#lang", lang)
    await page.fill("#token", api.tokens[who])
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r"/ui/\w+\.html$"))  # the token is kept: other pages open
    return page


async def shot(page: Any, folder: Path, name: str) -> Path:
    """A full-page PNG in the test's folder, and in $ALUR_SCREENSHOTS when set (the run's artefacts,
    e.g. for CI to keep, or to refresh the pictures in docs/img/)."""
    path = folder / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("ALUR_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(keep) / path.name)
    return path
