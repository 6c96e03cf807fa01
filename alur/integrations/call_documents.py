"""The call record a CRM webhook receives: one JSON document folded from the call's events in the log.

It is built only from the event log (never from live memory), and only from the events up to the one
that caused it (plus the follow-up the wrap-up scheduled), so building it again after a restart gives
the same document. See docs/api.md, "CRM webhooks", for its fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alur.core import events as ev
from alur.core.envelope import Envelope
from alur.core.jsonvalues import encode_value

ENDED = "call.ended"
WRAPPED_UP = "call.wrapped_up"
#: which event makes which document
TRIGGERS: dict[type[ev.Event], str] = {ev.CallEnded: ENDED, ev.Disposition: WRAPPED_UP}
#: the names a webhook's `calls` setting uses
CALL_DOCUMENTS = {"ended": ENDED, "wrapped_up": WRAPPED_UP}


def call_document(kind: str, trigger: Envelope, history: Iterable[Envelope]) -> dict[str, Any]:
    """The `kind` document (call.ended / call.wrapped_up) of the trigger's call, from its logged
    envelopes in log order; later events are left out, except the wrap-up's own follow-up."""
    call_id = str(getattr(trigger.event, "call_id", ""))
    fold = _Fold(call_id)
    after_trigger = False
    for envelope in history:
        if after_trigger:  # the wrap-up's follow-up is published right after it (and its end of wrap-up)
            if isinstance(envelope.event, ev.FollowUpScheduled) and kind == WRAPPED_UP:
                fold.follow_up(envelope.event)
            elif not isinstance(envelope.event, ev.WrapUpDone):
                break
            continue
        fold.apply(envelope.event)
        after_trigger = envelope.seq == trigger.seq and envelope.server == trigger.server
    return {
        "type": kind,
        "server": trigger.server,
        "seq": trigger.seq,
        "call": fold.call(),
        "customer": fold.customer,
        "path": fold.path(),
        "wrap_up": fold.wrap_up,
    }


class _Fold:
    """What one call's events say, gathered in one pass."""

    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self.c: dict[str, Any] = {
            "id": call_id, "caller_id": None, "dialed": None, "flow_version": None, "arrived_at": None,
            "queue": None,
            "queued_at": None, "agent_id": None, "answered_at": None, "wait": None, "talk_time": None,
            "ended_at": None, "ended_how": None, "duration": None, "outcome": None, "recordings": [],
            "transfers": [], "voicemail": None, "channel": "voice",
        }  # fmt: skip
        self.flow: str | None = None
        self.nodes: list[dict[str, Any]] = []
        self.choices: list[dict[str, Any]] = []
        self.variables: dict[str, Any] = {}
        self.customer: dict[str, Any] | None = None
        self.wrap_up: dict[str, Any] | None = None
        self.wait_result: str | None = None

    def apply(self, e: ev.Event) -> None:  # noqa: C901 - one short case per event kind
        c = self.c
        match e:
            case ev.CallArrived():
                c.update(caller_id=e.caller_id, dialed=e.dialed, arrived_at=e.at, flow_version=e.flow_version)
                self.flow = e.flow
            case ev.ConversationStarted():  # a chat, SMS or e-mail: its record has the same shape
                c.update(channel=e.channel, caller_id=e.phone or e.email or None, arrived_at=e.at)
            case ev.NodeEntered():
                self.nodes.append({"flow": e.flow, "node": e.node, "type": e.node_type, "at": e.at})
            case ev.MenuOptionChosen():
                self.choices.append({"node": e.node, "option": e.option, "at": e.at})
            case ev.VariableSet():
                self.variables[e.name] = encode_value(e.value)
            case ev.CallerAuthenticated() if e.success:
                self.customer = {"id": e.customer_id, "authenticated": True, "attempts": e.attempt}
            case ev.CallQueued():
                c.update(queue=e.queue, queued_at=c["queued_at"] or e.at)
            case ev.Answered():
                c.update(agent_id=e.agent_id, queue=e.queue, answered_at=e.at, wait=e.wait)
            case ev.WaitEnded():
                self.wait_result = e.result
                c["wait"] = e.wait if c["wait"] is None else c["wait"]
            case ev.TalkEnded():
                c["talk_time"] = e.talk_time
            case ev.CallTransferred():
                c["transfers"].append({"destination": e.destination, "kind": e.kind, "at": e.at})
            case ev.VoicemailRecorded():
                c["voicemail"] = {"mailbox": e.mailbox, "seconds": e.duration, "path": e.path}
            case ev.RecordingSaved():
                c["recordings"].append({"path": e.path, "seconds": e.seconds, "mode": e.mode})
            case ev.Disposition():
                self.wrap_up = {
                    "agent_id": e.agent_id, "disposition": e.code, "resolved": e.resolved, "notes": e.notes,
                    "summary": str(e.extra.get("summary", "")), "follow_up": None, "at": e.at,
                }  # fmt: skip
            case ev.CallEnded():
                c.update(ended_at=e.at, ended_how=e.how)
                if c["arrived_at"] is not None:
                    c["duration"] = e.at - c["arrived_at"]

    def follow_up(self, e: ev.FollowUpScheduled) -> None:
        if self.wrap_up is not None:
            self.wrap_up["follow_up"] = {"id": e.follow_up_id, "due_at": e.due_at, "note": e.note}

    def call(self) -> dict[str, Any]:
        c = dict(self.c)
        c["flow"] = self.flow
        c["outcome"] = self._outcome()
        return c

    def _outcome(self) -> str | None:
        c = self.c
        if c["answered_at"] is not None:
            return "answered"
        if c["transfers"]:
            return "transferred"
        if c["voicemail"] is not None:
            return "voicemail"
        return self.wait_result or c["ended_how"]

    def path(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "choices": self.choices, "variables": self.variables}
