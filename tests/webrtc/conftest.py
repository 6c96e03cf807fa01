"""Fixtures of the browser phone tests: the e2e contact center (SIP server, sipp callers) with its HTTP
API and pages on the same contact center, an agent token for carol (who has no SIP phone), and a
headless Debian Chromium whose fake microphone plays a known tone."""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import struct
import sys
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "e2e"))

from e2e_env import Env, Running  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
MIC_TONE = 1000.0  # Hz: what the agent's fake microphone says


def _missing() -> str | None:
    tools = [t for t in ("sipp", "espeak-ng", "sox") if shutil.which(t) is None]
    if tools:
        return f"browser phone tests need {', '.join(tools)} (see .ci/run)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import aiortc  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def phone_prompt_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prompt-cache")


def tone_wav(path: Path, freq: float, seconds: float = 4.0, rate: int = 48000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        n = int(seconds * rate)
        w.writeframes(
            b"".join(struct.pack("<h", int(9000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n))
        )
    return path


@dataclass
class PhoneSite:
    env: Env
    sip: Running
    url: str
    token: str  # carol's (an agent without a SIP phone)


@pytest.fixture
async def site(tmp_path: Path, phone_prompt_cache: Path) -> AsyncIterator[PhoneSite]:
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    from alur.api.server import ApiServer
    from alur.service.commands import Logout
    from alur.store.event_store import EventStore
    from alur.store.tokens import TokenStore

    store = await asyncio.to_thread(EventStore, f"sqlite:///{tmp_path / 'alur.db'}")
    env = Env(tmp_path, phone_prompt_cache)
    running = await env.start(store=store, wrap_up=60, silence=20)
    for agent in ("alice", "bob"):  # their sipp phones are not up: only carol's browser answers
        running.center.execute(Logout(agent))
    token = TokenStore(store.engine).create("agent", agent_id="carol")[0]
    api = ApiServer(running.center, "127.0.0.1", 0)
    await api.start()
    try:
        yield PhoneSite(env, running, api.url, token)
    finally:
        await api.stop()
        await running.stop()
        env.server = None
        store.close()


@pytest.fixture
async def chromium(tmp_path: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    wav = tone_wav(tmp_path / "mic.wav", MIC_TONE)
    args = [
        "--no-sandbox",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield browser
        finally:
            await browser.close()


async def agent_page(browser: Any, site: PhoneSite) -> Any:
    """Carol's agent desktop, logged in through the log-in page."""
    import re

    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = await context.new_page()
    page.on("console", lambda m: print(f"browser console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: print(f"browser error: {e}"))
    await page.goto(f"{site.url}/ui/")
    await page.fill("#token", site.token)
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r"/ui/agent\.html$"))
    return page
