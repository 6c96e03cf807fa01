"""Helpers of the browser phone tests: the contact center with its API (carol, an agent without a SIP phone,
has a token), her agent desktop in Chromium, a sipp caller, and what the page and the caller hear."""

from __future__ import annotations

import asyncio
import shutil
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
from sipp import audio_and_dtmf_pcap, free_port, run_sipp, tone_pcm  # noqa: E402

from alur.media.prompts import CODECS  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
MIC_TONE = 1000.0  # Hz: what the agent's fake microphone says
MOH_TONE = 700.0  # Hz: the queue's music on hold
SUP_TONE = 1700.0  # Hz: what a supervisor says
RATE = 8000


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
        w.writeframes(tone_pcm(freq, int(seconds * rate), amplitude=9000, rate=rate))
    return path


@dataclass
class PhoneSite:
    env: Env
    sip: Running
    url: str
    token: str  # carol's (an agent without a SIP phone)
    bob_token: str = ""  # bob's (logged out at start; his SIP phone is not up)


async def agent_page(browser: Any, site: PhoneSite, token: str = "", url: str = "") -> Any:
    """Carol's (or `token`'s agent's) agent desktop, logged in through the log-in page (at `url`)."""
    import re

    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = await context.new_page()
    page.on("console", lambda m: print(f"browser console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: print(f"browser error: {e}"))
    await page.goto(f"{url or site.url}/ui/")
    await page.fill("#token", token or site.token)
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
    # a loaded CI machine (browser, sipp and the server on two cores) can take longer than the default
    await expect(page.locator("#state")).to_have_text("Ready", timeout=15_000)
    await page.check("#phone-use")
    await expect(page.locator("#phone-status")).to_have_attribute("data-state", "ready", timeout=15_000)


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


async def answered_call(
    site: PhoneSite, browser: Any, tmp_path: Path, caller_media: int, url: str = ""
) -> tuple[Any, Any]:
    """Carol's page ready, a caller in the queue, answered in the page: (page, the caller's sipp task)."""
    from alur.core.events import Answered

    page = await agent_page(browser, site, url=url)
    await ready_phone(page)
    caller = await start_caller(site, tmp_path, caller_media)
    await expect(page.locator("#phone-ring")).to_be_visible(timeout=20_000)
    await page.click("#phone-answer")
    await expect(page.locator("#phone-status")).to_have_attribute("data-state", "talking")
    await site.sip.until(lambda: any(isinstance(e, Answered) for e in site.sip.events))
    return page, caller


async def level_at(
    page: Any, freq: float, *, above: float | None = None, below: float | None = None, timeout: float = 10.0
) -> float:
    """Wait until the page plays `freq` louder than `above` dB (or quieter than `below`); returns it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    db = None
    while loop.time() < deadline:
        heard = await page.evaluate(f"window.AlurPhone.heard({freq})")
        db = heard["at"] if heard else None
        if db is not None and (above is None or db > above) and (below is None or db < below):
            return float(db)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the page's level at {freq:g} Hz stays at {db} dB (wanted > {above}, < {below})")


def tone_pcap(path: Path, freq: float, seconds: float) -> Path:
    """A phone saying `freq` Hz (PCMU, one packet per 20 ms) for `seconds`."""
    from sipp import _rtp, write_pcap

    n = np.arange(int(seconds * RATE))
    pcm = (6000 * np.sin(2 * np.pi * freq * n / RATE)).astype("<i2").tobytes()
    encode = CODECS["PCMU"].encode
    packets = [
        (k * 0.02, _rtp(0, k + 1, k * 160, encode(pcm[k * 320 : (k + 1) * 320]), marker=int(k == 0)))
        for k in range(len(n) // 160)
    ]
    return write_pcap(path, packets)


async def register_supervisor(site: PhoneSite, tmp_path: Path) -> None:
    """Phone 3001 (a supervisor) registers."""
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


def supervise(site: PhoneSite, tmp_path: Path, code: str, media_port: int, pcap: Path, talk_ms: int) -> Any:
    """The supervisor dials `code` + carol's extension and plays `pcap` (a task: the sipp result)."""
    return asyncio.create_task(
        run_sipp(
            "supervisor.xml",
            f"127.0.0.1:{site.env.sip_port}",
            port=free_port(),
            media_port=media_port,
            workdir=tmp_path,
            service=f"{code}2001",
            keys={"pcap": str(pcap)},
            params={"wait_ms": 0, "talk_ms": talk_ms, "user": "3001"},
            timeout=30,
        )
    )


def after(packets: list[Captured], at: float, until: float = float("inf")) -> list[Captured]:
    """The packets captured between two wall-clock times."""
    return [p for p in packets if at < p.at < until]


class Cuttable:
    """A TCP proxy in front of the API, standing for the agent's network: `cut()` drops every connection
    through it and refuses new ones until `mend()`."""

    def __init__(self, target: str) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.down = False
        self.url = ""
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.WriteTransport] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self.url

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        pair = {writer.transport, up_writer.transport}
        self._transports |= pair

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, RuntimeError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._transports -= pair

    def cut(self) -> None:
        self.down = True
        for transport in list(self._transports):
            transport.abort()

    def mend(self) -> None:
        self.down = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
