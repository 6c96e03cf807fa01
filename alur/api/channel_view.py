"""What the wallboard and console show of chats, SMS and e-mails: per queue the conversations waiting,
held and past their response target; per channel the same summed over the queues a token sees; per
agent the load against capacity. Voice-only projects pay one check per queue (`Queue.digital`)."""

from __future__ import annotations

from typing import Any

from alur.api.context import ApiContext

CHANNELS = ("chat", "sms", "email")


def queue_fields(ctx: ApiContext, name: str, waiting: list[dict[str, Any]]) -> dict[str, Any]:
    """Channel fields of one queue's view; fills each waiting conversation's customer and due time."""
    q = ctx.center.router.queues[name]
    target = q.config.target
    out: dict[str, Any] = {"channel": q.channel, "response_target": target, "handling": 0, "overdue": 0}
    if not q.digital:
        return out
    open_ = ctx.center.conversations.open
    for item in waiting:
        conv = open_.get(item["call_id"])
        if conv is not None:
            item["caller_id"] = item["caller_id"] or conv.name or conv.phone or conv.email or None
            item.update(channel=conv.channel, due_at=conv.due_at, overdue=_overdue(conv))
    for conv in open_.values():
        if conv.queue == name and conv.state in ("waiting", "assigned"):
            out["handling"] += conv.state == "assigned"
            out["overdue"] += _overdue(conv)
    return out


def _overdue(conv: Any) -> bool:
    """Past its response target with no reply yet (a late reply ends it being overdue)."""
    return bool(conv.overdue and not conv.responded_at)


def channel_summary(views: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per digital channel over the given queue views: waiting, longest wait, held, overdue."""
    out: dict[str, dict[str, Any]] = {}
    for view in views:
        channel = view["channel"]
        if channel not in CHANNELS:
            continue
        row = out.setdefault(channel, {"waiting": 0, "longest_wait": 0.0, "handling": 0, "overdue": 0})
        row["waiting"] += view["waiting_count"]
        row["longest_wait"] = max(row["longest_wait"], view["longest_wait"])
        row["handling"] += view["handling"]
        row["overdue"] += view["overdue"]
    return out


def agent_load(ctx: ApiContext, agent_id: str) -> list[dict[str, Any]]:
    """The agent's chat/SMS/e-mail slots taken (offered or held) against capacity, e.g. chat 2 of 3."""
    load = ctx.center.router.agent_status(agent_id).load
    return [{"channel": ch, "held": n, "capacity": cap} for ch, n, cap in load]
