"""A chat runs through a flow (greeting, a menu as buttons, hours, queue), waits as a task, is
answered by an agent with chat capacity, and its whole transcript is in the event log."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chatkit import chat_project

from alur.api.reports import channel_report
from alur.core import events as ev
from alur.core.channel import QueueRequest
from alur.core.clock import RealClock
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.service.rebuild import LOST
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


def offer_of(center: ContactCenter, task_id: str) -> str:
    return next(r.id for r in center.router.reservations.values() if r.call.call_id == task_id)


async def test_a_restart_keeps_open_conversations_with_their_agent_or_in_line(
    tmp_path: Path, open_store: Callable[[], EventStore]
) -> None:
    settings = (
        "name: shop\ndefault_flow: main\nchannels:\n  voice_exclusive: false\n  chat: {flow: webchat}\n"
    )
    project = chat_project(tmp_path, **{"alur.yaml": settings})
    loop = asyncio.get_running_loop()
    async with ContactCenter(project, clock=RealClock(loop), store=open_store()) as first:
        chats = first.conversations
        first.execute(cmd.Login("ayu"))
        first.execute(cmd.Enqueue("call-1", QueueRequest(queue="calls")))
        first.execute(cmd.Answer(offer_of(first, "call-1")))
        held = [chats.start("chat", name=n) for n in ("Eko", "Fitri")]
        for conv in held:  # ayu holds two chats (her capacity) beside the call
            chats.route(conv, "web")
            await first.settle()
            first.execute(cmd.Answer(offer_of(first, conv.id)))
        chats.from_customer(held[0].id, "Where is my parcel?")
        await chats.from_agent(held[0].id, "ayu", "On its way")
        waiting = chats.start("chat", name="Gita")  # no slot left: waits in line
        chats.route(waiting, "web")
        mail = chats.inbound("email", "<m1@x>", "Invoice?", queue="mail", source="help@shop", email="h@x")
        in_flow = chats.start("chat", name="Hadi")
        seen = chats.watch(in_flow)
        chats.run_flow(in_flow, "webchat")
        await next_item(seen, "message")
        await first.settle()
        old_offer = offer_of(first, mail.id)  # offered to ayu, not answered before the crash
        token = held[0].token
    for round_ in (1, 2):  # the second start reads the snapshot the first one saved
        store = open_store()
        async with ContactCenter(project, clock=RealClock(loop), store=store) as again:
            await again.settle()
            chats, agent = again.conversations, again.router.agents["ayu"]
            assert agent.tasks == {held[0].id, held[1].id}
            assert agent.load["chat"] == 2
            eko = chats.get(held[0].id)
            assert (eko.state, eko.agent_id, eko.queue) == ("assigned", "ayu", "web")
            assert [(m["sender"], m["text"]) for m in eko.messages] == [
                ("customer", "Where is my parcel?"),
                ("agent", "On its way"),
            ]
            assert eko.admits(token) and not eko.admits("guess")
            assert again.router.waiting("web") == [waiting.id]
            assert chats.get(waiting.id).state == "waiting"
            assert chats.get(mail.id).state == "waiting"
            assert offer_of(again, mail.id) != old_offer  # offered again to ayu, who has e-mail room
            assert in_flow.id not in chats.open
            assert agent.state.value == "available"  # the call ended as server_lost (no wrap-up in `calls`)
            if round_ == 2:
                chats.close(held[1].id, "agent")  # a slot frees: the chat in line is offered
                await again.settle()
                again.execute(cmd.Answer(offer_of(again, waiting.id)))
                assert chats.get(waiting.id).agent_id == "ayu"
                await again.settle()
    events = list(store.events())
    closed = [(e.conversation_id, e.closed_by) for e in events if isinstance(e, ev.ConversationClosed)]
    assert closed == [(in_flow.id, LOST), (held[1].id, "agent")]
    lost = [
        (e.call_id, e.reservation_id) for e in events if isinstance(e, ev.OfferDeclined) and e.reason == LOST
    ]
    assert lost[0] == (mail.id, old_offer)  # each start releases the offer the one before made
    assert {task for task, _ in lost} == {mail.id}
    ended = [e for e in events if isinstance(e, ev.TalkEnded) and e.call_id == "call-1"]
    assert [e.ended_by for e in ended] == ["server_lost"]  # the call, not the chats, ended with the process
    queued = [e for e in events if isinstance(e, ev.CallQueued) and e.call_id == waiting.id]
    assert len(queued) == 1  # back in line, not queued again


async def test_an_email_past_its_response_target_is_logged_once_and_counted_in_the_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mail = "name: mail\nchannel: email\nring_timeout: 60\nresponse_target: 0.5\n"
    project = chat_project(tmp_path, **{"queues/mail.yaml": mail})
    store = EventStore(f"sqlite:///{tmp_path / 'log.db'}")
    loop = asyncio.get_running_loop()
    async with ContactCenter(project, clock=RealClock(loop), store=store) as center:
        chats = center.conversations
        center.execute(cmd.Login("ayu"))
        late = chats.inbound("email", "<a@x>", "Invoice?", queue="mail", source="help@shop", email="a@x")
        quick = chats.inbound("email", "<b@x>", "Refund?", queue="mail", source="help@shop", email="b@x")
        await center.settle()
        assert quick.due_at == pytest.approx(quick.started_at + 0.5)
        center.execute(cmd.Answer(offer_of(center, quick.id)))
        await chats.from_agent(quick.id, "ayu", "Refunded today")
        async with asyncio.timeout(5):
            while not late.overdue:  # the target passes with no reply
                await asyncio.sleep(0.02)
        assert not quick.overdue and chats.get(late.id).view()["overdue"]
        center.execute(cmd.Answer(offer_of(center, late.id)))
        await chats.from_agent(late.id, "ayu", "Sorry for the wait")  # too late: still one breach
        await center.settle()
    overdue = [e for e in store.events() if isinstance(e, ev.ResponseOverdue)]
    assert [(e.conversation_id, e.queue, e.due_at) for e in overdue] == [(late.id, "mail", late.due_at)]
    assert [r.getMessage() for r in caplog.records if "response target" in r.getMessage()] == [
        f"conversation {late.id} (email, queue mail, no agent yet) missed its response target:"
        " no reply within 0.5 s"
    ]
    since, until = datetime.fromtimestamp(0, UTC), datetime.now(UTC) + timedelta(minutes=1)
    report = channel_report(store, since, until, {"mail": "email"}, until.timestamp(), {"mail": 0.5})
    [row] = [r for r in report["rows"] if r["channel"] == "email"]
    assert (row["response_target_measured"], row["response_target_met"], row["within_target"]) == (2, 1, 0.5)
