"""After a restart: the chats, SMS and e-mails that were open go on.

A conversation needs no media, so nothing of it died with the old process but its memory. From the
folded log (`LiveState.conversations`): one an agent held is held by the same agent again (one of its
slots), one that waited is back in line with its first arrival time (its offers died: they are logged
as declined `server_lost`), and its recent messages are read back from the log for the desktop. One
that was still in its flow (a chat at a greeting or a menu) cannot resume the flow's step, and one
whose agent is not logged in any more has nobody to answer it: both are closed as `server_lost`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from alur.core import events as ev
from alur.core.errors import AlurError
from alur.service.conversations import KEPT, LOST, Conversation, Conversations

if TYPE_CHECKING:
    from alur.service.state import ConversationView, LiveState

log = logging.getLogger("alur.rebuild")


async def restore_conversations(chats: Conversations, state: LiveState) -> int:
    """Reopen what `state` says was open; returns how many went on (the rest were closed)."""
    center = chats.center
    router, now, publish = center.router, center.clock.now(), center.publish
    views = sorted(state.conversations.values(), key=lambda v: _line_order(state, v))
    kept: list[Conversation] = []
    for view in views:
        call = state.calls.get(view.conversation_id)
        if call is not None:
            for rid, agent_id in call.offers.items():
                publish(ev.OfferDeclined(now, view.conversation_id, agent_id, call.queue, LOST, rid))
        conv = _conversation(view)
        try:
            if view.agent_id:
                router.restore_task(view.agent_id, conv.id, view.queue, view.answered_at)
                conv.state, conv.agent_id, conv.queue = "assigned", view.agent_id, view.queue
                conv.answered_at, conv.wait = view.answered_at, view.wait
                chats._add(conv)
                chats.arm_target(conv)
            elif call is not None and call.waiting:
                chats._add(conv)
                chats._close_unanswered(chats.in_line(conv, call.queue), conv)
                q = call.queued
                router.restore_waiting(
                    conv.id, call.queue, call.first_queued, priority=call.priority,
                    skills=dict(q.skills) if q else None, language=q.language if q else None,
                    vip=q.vip if q else False, call_type=q.call_type if q else "",
                )  # fmt: skip
            else:
                _lost(chats, view, "it was in its flow")
                continue
        except AlurError as exc:
            chats.open.pop(conv.id, None)
            _lost(chats, view, exc.message)
            continue
        kept.append(conv)
    if kept and center.store is not None:
        transcripts = await asyncio.to_thread(_transcripts, center.store, [c.id for c in kept])
        for conv in kept:
            conv.messages.extend(transcripts.get(conv.id, []))
    return len(kept)


def _line_order(state: LiveState, view: ConversationView) -> tuple[int, float]:
    call = state.calls.get(view.conversation_id)
    return (call.order if call is not None else 0, view.started_at)


def _conversation(view: ConversationView) -> Conversation:
    return Conversation(
        view.conversation_id, view.channel, "", view.started_at, view.name, view.phone, view.email,
        view.customer_id, view.subject, view.thread, view.source, token_hash=view.token_hash,
        responded_at=view.responded_at, overdue=view.overdue, read_upto=dict(view.read),
    )  # fmt: skip


def _lost(chats: Conversations, view: ConversationView, why: str) -> None:
    center = chats.center
    now = center.clock.now()
    if view.agent_id and view.queue:
        talk = now - view.answered_at
        center.publish(ev.TalkEnded(now, view.conversation_id, view.agent_id, view.queue, talk, LOST))
    log.info("conversation %s closed after the restart: %s", view.conversation_id, why)
    center.publish(ev.ConversationClosed(now, view.conversation_id, view.channel, LOST, view.agent_id))


def _transcripts(store: Any, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The last messages of each conversation, as the desktop and the widget show them."""
    out: dict[str, list[dict[str, Any]]] = {}
    for conversation_id in ids:
        items = [
            {
                "type": "message",
                "message_id": e.message_id,
                "at": e.at,
                "sender": e.sender,
                "text": e.text,
                "extra": dict(e.extra),
            }  # fmt: skip
            for e in store.events(call_id=conversation_id)
            if isinstance(e, ev.ConversationMessage)
        ]
        out[conversation_id] = items[-KEPT:]
    return out
