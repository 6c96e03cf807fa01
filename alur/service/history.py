"""One customer's history over every channel: calls, chats, SMS and e-mails on one timeline.

A customer is named by a key: `phone:+62812...`, `email:dewi@example.com` or `id:C100` (the
directory's id). The built-in directory widens the key to the customer's other identities (an id
brings its phone and e-mail; a phone brings the id it belongs to). The log is read through its indexes:
the start of each conversation and the arrival of each call are matched, then each matched task's
events are read by its id. Blocking: run it with `asyncio.to_thread`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from alur.core import events as ev
from alur.core.errors import AlurError
from alur.store.event_store import EventStore


class BadCustomerKey(AlurError):
    code = "bad_value"


@dataclass(slots=True)
class Identity:
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)

    def matches(self, phone: str = "", email: str = "", customer_id: str = "") -> bool:
        return bool(
            (phone and digits(phone) in self.phones)
            or (email and email.strip().lower() in self.emails)
            or (customer_id and customer_id in self.ids)
        )


def digits(phone: str) -> str:
    """A phone number compared by its digits, a national 0 read as Indonesia's +62 (0812 = +62812)."""
    d = re.sub(r"\D", "", phone)
    return "62" + d[1:] if d.startswith("0") else d


def identity(key: str, customers: dict[str, dict[str, Any]]) -> Identity:
    kind, _, value = key.partition(":")
    if kind not in ("phone", "email", "id") or not value:
        raise BadCustomerKey(
            f"customer key must be phone:NUMBER, email:ADDRESS or id:DIRECTORY_ID (got {key!r})", value=key
        )
    who = Identity()
    if kind == "phone":
        who.phones.add(digits(value))
    elif kind == "email":
        who.emails.add(value.strip().lower())
    else:
        who.ids.add(value)
    for cid, record in customers.items():  # the directory links the identities of one customer
        phone, email = str(record.get("phone", "")), str(record.get("email", ""))
        if who.matches(phone, email, cid):
            who.ids.add(cid)
            if phone:
                who.phones.add(digits(phone))
            if email:
                who.emails.add(email.lower())
    return who


def history(store: EventStore, who: Identity, limit: int = 200) -> list[dict[str, Any]]:
    """The customer's calls and conversations, newest first, at most `limit`."""
    found: dict[str, tuple[float, str]] = {}  # task id -> (started at, channel)
    for e in of_kind(store, "conversation.started"):
        if isinstance(e, ev.ConversationStarted) and who.matches(e.phone, e.email, e.customer_id):
            found[e.conversation_id] = (e.at, e.channel)
    for e in of_kind(store, "call.arrived"):
        if isinstance(e, ev.CallArrived) and who.matches(phone=e.caller_id):
            found.setdefault(e.call_id, (e.at, "voice"))
    if who.ids:
        for e in of_kind(store, "ivr.caller_authenticated"):
            if isinstance(e, ev.CallerAuthenticated) and e.success and e.customer_id in who.ids:
                found.setdefault(e.call_id, (e.at, "voice"))
    newest = sorted(found.items(), key=lambda item: -item[1][0])[:limit]
    return [item(task, at, channel, list(store.events(call_id=task))) for task, (at, channel) in newest]


def of_kind(store: EventStore, kind: str) -> Iterator[ev.Event]:
    return (envelope.event for _row, envelope in store.envelopes(kinds=[kind]))


def item(task: str, at: float, channel: str, events: list[ev.Event]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": task, "channel": channel, "at": at, "agents": [], "messages": []}
    talk, how = 0.0, ""
    for e in events:
        if isinstance(e, ev.Answered) and e.agent_id not in out["agents"]:
            out["agents"].append(e.agent_id)
        elif isinstance(e, ev.TalkEnded):
            talk += e.talk_time
        elif isinstance(e, ev.ConversationMessage):
            out["messages"].append({"at": e.at, "sender": e.sender, "text": e.text, "agent_id": e.agent_id})
        elif isinstance(e, ev.ConversationStarted):
            out.update(name=e.name, subject=e.subject)
        elif isinstance(e, ev.Disposition):
            out.update(disposition=e.code, resolved=e.resolved, notes=e.notes)
        elif isinstance(e, (ev.CallEnded, ev.ConversationClosed, ev.Abandoned)):
            how = getattr(e, "how", "") or getattr(e, "closed_by", "") or "abandoned"
    out["handle_time"] = talk
    out["ended"] = how
    outcome = f"; {out['disposition']}" if out.get("disposition") else ""
    first = next((m["text"] for m in out["messages"] if m["sender"] == "customer"), "")
    by = ", ".join(out["agents"]) or "-"
    if channel == "voice":
        out["summary"] = f"{by}; {talk:.0f}s; {how or 'open'}{outcome}"
    else:
        said = len(out["messages"])
        out["summary"] = f"{out.get('subject') or first[:80]} ({said} messages; {by}{outcome})"
    return out
