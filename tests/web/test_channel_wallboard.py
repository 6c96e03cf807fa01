"""Chats and e-mails on the wallboard and the supervisor console in a real browser: a chat queue's tile
counts the chats waiting, an e-mail queue's the replies overdue; the console shows the agent's chat
load next to its voice state, in English and Indonesian."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from apikit import Api
from chatkit import channel_board
from playwright.async_api import expect
from webkit import logged_in, shot


@pytest.fixture
async def board(tmp_path: Path) -> AsyncIterator[Api]:
    async for running in channel_board(tmp_path):
        yield running


async def test_waiting_chats_overdue_mail_and_an_agents_chat_load(
    browser: Any, board: Api, tmp_path: Path
) -> None:
    api, chats = board, board.center.conversations
    dewi = chats.start("chat", name="Dewi")
    chats.route(dewi, "web")
    mail = chats.inbound("email", "<a@x>", "Invoice?", queue="mail", source="help@shop", email="a@x")
    async with asyncio.timeout(5):
        while not mail.overdue:
            await asyncio.sleep(0.02)

    wall = await logged_in(browser, api, "admin")
    await wall.goto(f"{api.url}/ui/wallboard.html")
    web = wall.locator("[data-queue=web]")
    await expect(web.locator("[data-figure=waiting]")).to_have_text("1")
    await expect(web).to_contain_text("Chats waiting")
    await expect(wall.locator("[data-queue=mail] [data-figure=overdue]")).to_have_text("1")
    await shot(wall, tmp_path, "wallboard-channels")

    console = await logged_in(browser, api, "admin")
    row = console.locator(f"[data-call={dewi.id}]")
    await expect(row).to_contain_text("Dewi")
    await expect(row.locator("[data-col=channel]")).to_have_text("Chat")
    assert (await api.call("agent", "POST", "/agents/ayu/login")).status_code == 200
    accepted = await api.call("agent", "POST", f"/agents/ayu/conversations/{dewi.id}/accept")
    assert accepted.status_code == 200
    await expect(console.locator("[data-agent=ayu] [data-col=load]")).to_contain_text("1/3 chats")
    await expect(console.locator("[data-agent=ayu] [data-col=state]")).to_have_text("Ready")
    await expect(console.locator(f"[data-call={dewi.id}]")).to_have_count(0)  # no longer waiting
    await expect(web.locator("[data-figure=handling]")).to_have_text("1")
    await expect(web.locator("[data-figure=waiting]")).to_have_text("0")

    await console.select_option("#lang", "id")
    await expect(console.locator("[data-agent=ayu] [data-col=load]")).to_contain_text("1/3 chat")
    await expect(console.locator("[data-agent=ayu] [data-col=load]")).to_contain_text("1/2 e-mail")
