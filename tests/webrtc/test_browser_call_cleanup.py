"""A finished browser call leaves nothing behind: after N calls rung, answered by a real aiortc peer
standing in for the page, talked on and hung up (by the page or by Alur), no task, thread (beyond the
loop's bounded executor pool, where aiortc encodes and decodes) or file descriptor is left over."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import pytest

pytest.importorskip("aiortc")

from aiortc import RTCSessionDescription  # noqa: E402
from test_browser_media import browser, until  # noqa: E402

from alur.config.project import BrowserPhoneSettings  # noqa: E402
from alur.media.clock import MediaClock  # noqa: E402
from alur.service.phones import BrowserPhones  # noqa: E402
from alur.telephony.browser import BrowserCalls  # noqa: E402
from alur.telephony.connect import Target  # noqa: E402

CALLS = 6


def own_threads() -> list[str]:
    """Threads other than the default executor's pool (idle workers stay there by design)."""
    return sorted(t.name for t in threading.enumerate() if not t.name.startswith("asyncio_"))


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_calls_leave_no_task_thread_or_socket_behind() -> None:
    clock = MediaClock()
    phones = BrowserPhones(BrowserPhoneSettings(codecs=("opus", "PCMU")))
    spawned: set[asyncio.Task[Any]] = set()

    def spawn(coro: Any, name: str) -> None:
        task = asyncio.ensure_future(coro)
        spawned.add(task)
        task.add_done_callback(spawned.discard)

    calls = BrowserCalls(phones, clock, spawn, lambda command: None)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    page_socket = phones.attach("carol", inbox.put_nowait)
    assert (await inbox.get())["type"] == "hello"

    async def message(kind: str) -> dict[str, Any]:
        while (m := await asyncio.wait_for(inbox.get(), 10))["type"] != kind:
            pass
        return m

    async def one_call(k: int) -> None:
        leg = await calls.ring(Target.browser("carol"), caller_id="6281234")
        ring = await message("ring")
        page = browser(1000.0, codecs=("opus",) if k % 2 else ("PCMU",))  # both paths: opus and G.711
        phones.deliver(page_socket, {"type": "connect", "leg": ring["leg"], "sdp": await page.offer()})
        sdp = await message("sdp")
        await page.pc.setRemoteDescription(RTCSessionDescription(sdp["sdp"], "answer"))
        assert await asyncio.wait_for(leg.result, 10) == "answered"
        await until(lambda: leg.browser.frames_in >= 10)  # her voice reaches the RTP side
        if k % 2:
            phones.deliver(page_socket, {"type": "hangup", "leg": ring["leg"]})
        else:
            leg.hangup()  # the caller left
        await message("end")
        await page.pc.close()
        for task in page.tasks:
            await task
        await until(lambda: not spawned and not calls.legs)

    try:
        await one_call(0)  # the first call loads codecs and starts the executor's workers
        tasks, threads, open_fds = len(asyncio.all_tasks()), own_threads(), fds()
        for k in range(1, CALLS + 1):
            await one_call(k)
        await until(lambda: len(asyncio.all_tasks()) <= tasks)
        assert own_threads() == threads
        assert fds() <= open_fds
        executor = [t for t in threading.enumerate() if t.name.startswith("asyncio_")]
        assert len(executor) <= min(32, (os.cpu_count() or 1) + 4)  # the pool's bound, reused
    finally:
        await calls.close()
        phones.close()
        clock.close()
