"""Helpers of the browser phone tests: the contact center with its API (carol, an agent without a SIP phone,
has a token), her agent desktop in Chromium, a sipp caller, and what the page and the caller hear."""

from __future__ import annotations

import asyncio
import math
import shutil
import struct
import sys
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "e2e"))

import numpy as np  # noqa: E402
from e2e_env import Env, Running  # noqa: E402
from playwright.async_api import expect  # noqa: E402
from rtpcapture import Captured, tone_power  # noqa: E402
from sipp import audio_and_dtmf_pcap, free_port, run_sipp  # noqa: E402

from alur.media.prompts import CODECS  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
MIC_TONE = 1000.0  # Hz: what the agent's fake microphone says


def missing() -> str | None:
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


CALLER_TONE = 440.0
CALLER_LINE = 450.0  # the pcap repeats one 20 ms frame of 440 Hz: its energy sits on the 50 Hz line at 450


async def start_caller(site: PhoneSite, tmp_path: Path, media_port: int) -> asyncio.Task[Any]:
    """A caller who presses 1 for the queue, then plays a 440 Hz tone until Alur hangs up."""
    pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=50, digits="1", digit_at=0.1)
    return asyncio.create_task(
        run_sipp(
            "caller_wait_bye.xml",
            f"127.0.0.1:{site.env.sip_port}",
            port=free_port(),
            media_port=media_port,
            workdir=tmp_path,
            keys={"pcap": str(pcap)},
            params={"wait_ms": 1500, "talk_ms": 0},
            timeout=70,
        )
    )


async def ready_phone(page: Any) -> None:
    """Log in to the queues and make this browser the agent's phone."""
    await page.click("#login")
    await expect(page.locator("#state")).to_have_text("Ready")
    await page.check("#phone-use")
    await expect(page.locator("#phone-status")).to_have_attribute("data-state", "ready")


async def hears(page: Any, freq: float, timeout: float = 10.0) -> dict[str, Any]:
    """Wait until the loudest thing the page plays is `freq` (within one analyser bin)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    heard = None
    while loop.time() < deadline:
        heard = await page.evaluate("window.AlurPhone.heard()")
        if heard and abs(heard["freq"] - freq) < 30 and heard["db"] > -60:
            return dict(heard)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the page does not hear {freq:g} Hz (last: {heard})")


def tone_frames(packets: list[Captured], freq: float) -> int:
    """How many 20 ms PCMU frames sent to the caller carry mostly `freq`."""
    found = 0
    for p in packets:
        pcm = np.frombuffer(CODECS["PCMU"].decode(p.payload), "<i2")
        if np.abs(pcm).mean() > 300 and tone_power(pcm, freq) > 0.5:
            found += 1
    return found
