"""Fixtures of the browser phone tests: the e2e contact center (SIP server, sipp callers) with its HTTP
API and pages on the same contact center, and a headless Debian Chromium whose fake microphone plays a
known tone (helpers in phonekit.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1] / "e2e")]

from e2e_env import Env  # noqa: E402
from phonekit import CHROMIUM, MIC_TONE, MOH_TONE, PhoneSite, missing, tone_wav  # noqa: E402


@pytest.fixture(scope="session")
def phone_prompt_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prompt-cache")


@pytest.fixture
async def site(tmp_path: Path, phone_prompt_cache: Path) -> AsyncIterator[PhoneSite]:
    why = missing()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    from alur.api.server import ApiServer
    from alur.service.commands import Logout
    from alur.store.event_store import EventStore
    from alur.store.tokens import TokenStore

    store = await asyncio.to_thread(EventStore, f"sqlite:///{tmp_path / 'alur.db'}")
    env = Env(tmp_path, phone_prompt_cache)
    (tmp_path / "project" / "prompts").mkdir(parents=True)
    tone_wav(tmp_path / "project" / "prompts" / "hold.wav", MOH_TONE, seconds=2.0, rate=8000)
    # the browser agent's calls are recorded too; the queue's music on hold is a known tone
    extra = "recording:\n  mode: stereo\nmusic_on_hold: hold.wav\n"
    running = await env.start(store=store, wrap_up=60, silence=20, queue_extra=extra)
    for agent in ("alice", "bob"):  # their sipp phones are not up: only carol's browser answers
        running.center.execute(Logout(agent))
    tokens = TokenStore(store.engine)
    token = tokens.create("agent", agent_id="carol")[0]
    bob = tokens.create("agent", agent_id="bob")[0]
    api = ApiServer(running.center, "127.0.0.1", 0)
    await api.start()
    try:
        yield PhoneSite(env, running, api.url, token, bob)
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
