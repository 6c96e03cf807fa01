"""A chat runs through a flow (greeting, a menu as buttons, hours, queue), waits as a task, is
answered by an agent with chat capacity, and its whole transcript is in the event log."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from chatkit import chat_project

from alur.core import events as ev
from alur.core.channel import QueueRequest
from alur.core.clock import RealClock
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.store.event_store import EventStore


async def next_item(queue: asyncio.Queue[dict[str, Any]], kind: str) -> dict[str, Any]:
    while True:
        item = await asyncio.wait_for(queue.get(), 5)
        if item["type"] == kind:
            return item


async def test_a_chat_goes_through_its_flow_to_an_agent_and_is_logged(tmp_path: Path) -> None:
    project = chat_project(tmp_path)
    store = EventStore(f"sqlite:///{tmp_path / 'log.db'}")
    loop = asyncio.get_running_loop()
    async with ContactCenter(project, clock=RealClock(loop), store=store) as center:
        center.execute(cmd.Login("ayu"))
        chats = center.conversations
        conv = chats.start("chat", name="Dewi", phone="+6281200001")
        seen = chats.watch(conv)
        chats.run_flow(conv, "webchat")
        hello = await next_item(seen, "message")
        assert hello["text"] == "Hello! Welcome to the shop."
        menu = await next_item(seen, "message")
        assert [c["label"] for c in menu["extra"]["choices"]] == ["Orders", "Returns"]
        chats.from_customer(conv.id, "returns")  # a label typed, any case
        await next_item(seen, "position")
        offer = next(r for r in center.router.reservations.values() if r.call.call_id == conv.id)
        center.execute(cmd.Answer(offer.id))
        joined = await next_item(seen, "agent")
        assert joined["name"] == "Ayu"
        assert center.router.agent_state("ayu") == "available"  # a chat leaves the voice state alone
        chats.from_customer(conv.id, "My parcel is late")
        await chats.from_agent(conv.id, "ayu", "Let me check that for you")
        chats.close(conv.id, "agent")
        await next_item(seen, "closed")
        await center.settle()
    kinds = [e for e in store.events() if isinstance(e, (ev.ConversationMessage, ev.ConversationClosed))]
    transcript = [(e.sender, e.text) for e in kinds if isinstance(e, ev.ConversationMessage)]
    assert transcript == [
        ("bot", "Hello! Welcome to the shop."),
        ("bot", "What can we help with?"),
        ("customer", "returns"),
        ("customer", "My parcel is late"),
        ("agent", "Let me check that for you"),
    ]
    closed = [e for e in kinds if isinstance(e, ev.ConversationClosed)]
    assert [(c.closed_by, c.agent_id) for c in closed] == [("agent", "ayu")]
    chosen = [e for e in store.events() if isinstance(e, ev.MenuOptionChosen) and e.call_id == conv.id]
    assert [e.option for e in chosen] == ["2"]
    ended = [e for e in store.events() if isinstance(e, ev.TalkEnded) and e.call_id == conv.id]
    assert ended and ended[0].agent_id == "ayu"


async def test_the_visitor_leaving_in_the_flow_ends_it(tmp_path: Path) -> None:
    project = chat_project(tmp_path)
    loop = asyncio.get_running_loop()
    async with ContactCenter(project, clock=RealClock(loop)) as center:
        chats = center.conversations
        conv = chats.start("chat", name="Eko")
        seen = chats.watch(conv)
        chats.run_flow(conv, "webchat")
        await next_item(seen, "message")
        await next_item(seen, "message")
        chats.close(conv.id, "customer")
        await next_item(seen, "closed")
        await center.settle()
        assert conv.id not in chats.open


async def test_a_restart_closes_open_conversations_and_keeps_the_voice_state(tmp_path: Path) -> None:
    settings = "name: shop\ndefault_flow: main\nchannels:\n  voice_exclusive: false\n  chat: {queue: web}\n"
    project = chat_project(tmp_path, **{"alur.yaml": settings})
    url = f"sqlite:///{tmp_path / 'log.db'}"
    loop = asyncio.get_running_loop()
    async with ContactCenter(project, clock=RealClock(loop), store=EventStore(url)) as first:
        first.execute(cmd.Login("ayu"))
        first.execute(cmd.Enqueue("call-1", QueueRequest(queue="calls")))
        first.execute(cmd.Answer(next(iter(first.router.reservations))))
        conv = first.conversations.start("chat", name="Eko")
        first.conversations.route(conv, "web")
        await first.settle()
        first.execute(cmd.Answer(next(iter(first.router.reservations))))  # a chat beside the call
        assert first.router.agents["ayu"].tasks == {conv.id}
        await first.settle()
    store = EventStore(url)
    async with ContactCenter(project, clock=RealClock(loop), store=store) as second:
        await second.settle()
        agent = second.router.agents["ayu"]
        assert agent.load.get("chat", 0) == 0 and not agent.tasks
        assert agent.state.value == "available"  # the call ended as server_lost (no wrap-up in `calls`)
    closed = [e for e in store.events() if isinstance(e, ev.ConversationClosed)]
    assert [(e.conversation_id, e.closed_by) for e in closed] == [(conv.id, "server_lost")]
    ended = [e for e in store.events() if isinstance(e, ev.TalkEnded) and e.call_id == "call-1"]
    assert [e.ended_by for e in ended] == ["server_lost"]  # the call, not the chat, was the voice call
