"""Web chat end to end in Chromium: a visitor on a shop's own site (another origin, no cookie of
ours) chats through the one-tag widget, picks a menu button, an agent in another browser accepts the
chat in the agent desktop and they talk; the transcript is in the customer's history. An agent with a
chat capacity of 2 is never offered a third chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from apikit import Api, start_api
from chatkit import chat_project
from webkit import logged_in, shot

from alur.core.channel import QueueRequest
from alur.core.events import Offered
from alur.service import commands as cmd


@dataclass
class Shop:
    """The business's own web site: another origin (localhost:PORT, the API is on 127.0.0.1)."""

    origin: str = ""
    page: bytes = b""


async def shop_site(shop: Shop, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(shop.page)}\r\n"
    writer.write(head.encode() + b"Connection: close\r\n\r\n" + shop.page)
    await writer.drain()
    writer.close()


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    site = Shop()
    server = await asyncio.start_server(partial(shop_site, site), "127.0.0.1", 0)
    site.origin = f"http://localhost:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield site


@pytest.fixture
async def chat_api(tmp_path: Path, shop: Shop) -> AsyncIterator[Api]:
    settings = (
        f"name: shop\ndefault_flow: main\nchannels:\n  chat: {{flow: webchat, origins: ['{shop.origin}']}}\n"
    )
    web = "name: web\nchannel: chat\ncapacity: 2\nresponse_target: 600\ndispositions: [solved, callback]\n"
    chat_project(tmp_path / "p", **{"alur.yaml": settings, "queues/web.yaml": web})
    async for running in start_api(tmp_path / "p", f"sqlite:///{tmp_path / 'a.db'}"):
        tag = f'<script src="{running.url}/ui/chat-widget.js" async></script>'
        shop.page = f"<!doctype html><title>Shop</title><h1>Shop</h1>{tag}".encode()
        yield running


async def visitor(browser: Any, shop: Shop) -> Any:
    """The shop's home page with the widget's one script tag, in a browser of its own."""
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    page.on("console", lambda m: print(f"visitor console {m.type}: {m.text}"))
    await page.goto(f"{shop.origin}/")
    return page


async def test_a_visitor_and_an_agent_chat_in_two_browsers(
    browser: Any, chat_api: Api, shop: Shop, tmp_path: Path
) -> None:
    api = chat_api
    agent = await logged_in(browser, api, "agent")
    await agent.click("#login")
    await agent.wait_for_selector("#chats:not([hidden])")
    site = await visitor(browser, shop)
    widget = site.locator("#alur-chat")
    await widget.locator(".launch").click()
    await widget.locator("input[name=name]").fill("Dewi")
    await widget.locator("input[name=phone]").fill("+6281200001")
    await widget.locator("form.start button").click()
    await widget.locator(".msg.bot", has_text="Hello! Welcome to the shop.").wait_for()
    await widget.locator(".choices button", has_text="Orders").click()
    await widget.locator(".status", has_text="number 1 in line").wait_for()
    chat = agent.locator("article.chat")
    await chat.locator(".chat-msg.customer", has_text="Orders").wait_for()
    await chat.locator(".chat-accept").click()
    await widget.locator(".note", has_text="You are chatting with Ayu").wait_for()
    await widget.locator("textarea").fill("Where is my parcel?")
    await widget.locator("textarea").press("Enter")
    await chat.locator(".chat-msg.customer", has_text="Where is my parcel?").wait_for()
    assert (await chat.locator(".chat-due").text_content() or "").startswith(
        "Reply due in 9:"
    )  # 10 min target
    await widget.locator("textarea").fill("It was ord")  # typing, not sent yet: the agent sees it
    await chat.locator(".chat-typing", has_text="Dewi is typing").wait_for()
    await chat.locator(".chat-text").fill("It ships today.")
    await chat.locator(".chat-form button").click()
    await widget.locator(".msg.agent", has_text="It ships today.").wait_for()
    await widget.locator(".status", has_text="Read").wait_for(timeout=10_000)  # the agent's desk read it
    await chat.locator(".chat-seen", has_text="Seen").wait_for()  # and the visitor's widget read the reply
    assert await chat.locator(".chat-due").count() == 0  # replied: the target is met
    await chat.locator(".chat-history").click()
    await agent.locator(".chat-timeline li[data-channel=chat]").wait_for()
    await shot(site, tmp_path, "visitor")
    await shot(agent, tmp_path, "agent")
    stored = await site.evaluate("Object.keys(localStorage)")
    assert stored == [f"alur.chat.{api.url}"]  # the chat's token lives on the shop's site, no cookie
    assert await site.context.cookies() == []
    await site.reload()  # the visitor comes back to the same chat
    await site.locator("#alur-chat .msg.agent", has_text="It ships today.").wait_for()
    await chat.locator(".chat-close").click()  # the wrap-up form: the queue's dispositions and notes
    await chat.locator(".chat-disposition").select_option("solved")
    await chat.locator(".chat-notes").fill("Tracking link sent")
    await chat.locator(".chat-close-done").click()
    await site.locator("#alur-chat .note", has_text="The chat has ended.").wait_for()
    timeline = (await api.call("supervisor", "GET", "/customers/phone:+6281200001/history")).json()["items"]
    texts = [(m["sender"], m["text"]) for m in timeline[0]["messages"]]
    assert ("customer", "Where is my parcel?") in texts and ("agent", "It ships today.") in texts
    assert (timeline[0]["disposition"], timeline[0]["notes"]) == ("solved", "Tracking link sent")


async def test_an_agent_with_capacity_two_never_gets_a_third_chat(chat_api: Api) -> None:
    center = chat_api.center
    center.execute(cmd.Login("ayu"))
    chats = [center.conversations.start("chat", name=f"v{i}") for i in range(3)]
    for conv in chats:
        center.conversations.route(conv, "web")
    await chat_api.settle()
    for conv in chats[:2]:
        reply = await chat_api.call("agent", "POST", f"/agents/ayu/conversations/{conv.id}/accept")
        assert reply.status_code == 200
    await chat_api.settle()
    held = (await chat_api.call("agent", "GET", "/agents/ayu/conversations")).json()
    assert len(held["conversations"]) == 2
    assert {"channel": "chat", "held": 2, "capacity": 2} in held["load"]
    assert center.router.waiting("web") == [chats[2].id]
    offered = [e.call_id for e in chat_api.store.events() if isinstance(e, Offered)]
    assert chats[2].id not in offered
    center.execute(cmd.Enqueue("call-1", QueueRequest(queue="calls")))  # voice is exclusive: not to ayu
    assert center.router.waiting("calls") == ["call-1"]
