"""CRM webhooks: a running contact center posts call records (and chosen raw events), signed, to a real
local HTTP server; deliveries are rows in the store (SQLite and PostgreSQL) that survive a restart, and
those that fail every retry become dead letters that can be replayed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from crmkit import SECRET, Crm, running_crm
from projectkit import tiny_project

from alur.config.project import Project, WebhookSettings
from alur.core import events as ev
from alur.core.channel import QueueRequest
from alur.core.clock import RealClock
from alur.integrations.webhooks import Webhooks
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.store.deliveries import DeliveryStore
from alur.store.event_store import EventStore


@pytest.fixture
def crm() -> Iterator[Crm]:
    with running_crm() as state:
        yield state


def hook(crm: Crm, **settings: Any) -> WebhookSettings:
    fields: dict[str, Any] = {"calls": ("ended", "wrapped_up"), "retry_delay": 0.01, "max_retry_delay": 0.05}
    return WebhookSettings(url=crm.url, secret=SECRET, **(fields | settings))


@dataclass
class Running:
    center: ContactCenter
    hooks: Webhooks
    deliveries: DeliveryStore

    async def counts(self) -> dict[str, int]:
        return await asyncio.to_thread(self.deliveries.counts)

    async def until(self, status: str, count: int) -> None:
        async with asyncio.timeout(20):
            while (await self.counts())[status] < count:
                await asyncio.sleep(0.01)


@asynccontextmanager
async def running(project: Project, url: str, *settings: WebhookSettings) -> AsyncIterator[Running]:
    """A contact center on the store at `url`, with these webhooks started (none: not started)."""
    store = await asyncio.to_thread(EventStore, url)
    try:
        async with httpx.AsyncClient() as client:
            deliveries = DeliveryStore(store.engine)
            hooks = Webhooks(settings, client, deliveries)
            async with ContactCenter(
                project, clock=RealClock(asyncio.get_running_loop()), store=store
            ) as center:
                if settings:
                    hooks.start(center)
                yield Running(center, hooks, deliveries)
    finally:
        store.close()


def one_call(center: ContactCenter, call_id: str = "c1", agent: str = "ana") -> None:
    """A caller goes through the menu, authenticates, is answered, hangs up; the agent wraps up."""
    now, publish = center.clock.now, center.publish
    publish(ev.CallArrived(now(), call_id, "+6281100000001", "100", "main"))
    publish(ev.NodeEntered(now(), call_id, "main", "menu", "menu"))
    publish(ev.MenuOptionChosen(now(), call_id, "main", "menu", "billing"))
    publish(ev.CallerAuthenticated(now(), call_id, "100001", True, 2))
    publish(ev.VariableSet(now(), call_id, "plan", "gold"))
    publish(ev.NodeEntered(now(), call_id, "main", "q", "queue"))
    if center.router.agent_state(agent) == "offline":
        center.execute(cmd.Login(agent))
    center.execute(cmd.Enqueue(call_id, QueueRequest(queue="sales")))
    (rid,) = [r.id for r in center.router.reservations.values() if r.call.call_id == call_id]
    center.execute(cmd.Answer(rid))
    center.execute(cmd.Hangup(call_id, "caller"))
    publish(ev.CallEnded(now(), call_id, "caller_hangup", "q"))
    center.execute(cmd.WrapUp(agent, call_id, "sold", True, "wants gold", True, "upgraded the plan"))
    publish(ev.FollowUpScheduled(now(), "f1", agent, call_id, 2_000_000_000.0, "send the contract"))


async def test_call_records_are_posted_on_call_end_and_on_wrap_up(
    tmp_path: Path, crm: Crm, store_url: str
) -> None:
    async with running(tiny_project(tmp_path), store_url, hook(crm)) as run:
        one_call(run.center)
        await crm.wait(lambda c: len(c.accepted) == 2)
        await run.until("delivered", 2)
    ended, wrapped = crm.posts
    assert (ended.kind, wrapped.kind) == ("call.ended", "call.wrapped_up")
    assert ended.signed and wrapped.signed and ended.delivery_id != wrapped.delivery_id
    call = ended.body["call"]
    assert call["id"] == "c1" and call["caller_id"] == "+6281100000001" and call["dialed"] == "100"
    assert (call["queue"], call["agent_id"], call["outcome"], call["ended_how"]) == (
        "sales", "ana", "answered", "caller_hangup"
    )  # fmt: skip
    assert (call["flow"], call["flow_version"]) == ("main", 0)
    assert call["arrived_at"] <= call["answered_at"] <= call["ended_at"] and call["talk_time"] >= 0
    assert ended.body["customer"] == {"id": "100001", "authenticated": True, "attempts": 2}
    path = ended.body["path"]
    assert [n["node"] for n in path["nodes"]] == ["menu", "q"]
    assert [c["option"] for c in path["choices"]] == ["billing"] and path["variables"] == {"plan": "gold"}
    assert ended.body["wrap_up"] is None  # the call ended before its wrap-up
    wrap_up = wrapped.body["wrap_up"]
    assert {k: wrap_up[k] for k in ("agent_id", "disposition", "resolved", "notes", "summary")} == {
        "agent_id": "ana", "disposition": "sold", "resolved": True, "notes": "wants gold",
        "summary": "upgraded the plan",
    }  # fmt: skip
    assert wrap_up["follow_up"] == {"id": "f1", "due_at": 2_000_000_000.0, "note": "send the contract"}
    assert wrapped.body["call"] == call and wrapped.body["customer"] == ended.body["customer"]


async def test_raw_events_are_still_posted_for_the_chosen_kinds(tmp_path: Path, crm: Crm) -> None:
    settings = hook(crm, calls=(), events=("call.ended",))
    async with running(tiny_project(tmp_path), f"sqlite:///{tmp_path / 'a.db'}", settings) as run:
        run.center.publish(ev.CallArrived(1.0, "c1", "0811", "100", "main"))
        run.center.publish(ev.CallEnded(2.0, "c1", "caller_hangup", "q"))
        await crm.wait(lambda c: len(c.accepted) == 1)
    (post,) = crm.posts
    assert post.kind == "call.ended" and post.signed and isinstance(post.body["seq"], int)
    assert post.body["fields"] == {
        "at": 2.0,
        "call_id": "c1",
        "how": "caller_hangup",
        "node": "q",
        "error": "",
    }


async def test_a_failing_crm_is_retried_with_backoff_then_delivered(tmp_path: Path, crm: Crm) -> None:
    crm.failures = 3  # three 500s, then the CRM is back
    settings = hook(crm, calls=("ended",))
    async with running(tiny_project(tmp_path), f"sqlite:///{tmp_path / 'a.db'}", settings) as run:
        one_call(run.center)
        await run.until("delivered", 1)
        (webhook,) = run.hooks.hooks
        assert (webhook.failures, webhook.delivered, webhook.dead) == (3, 1, 0)
    assert [p.status for p in crm.posts] == [500, 500, 500, 204]
    assert len({p.delivery_id for p in crm.posts}) == 1  # the same delivery, tried four times
    assert len({json.dumps(p.body) for p in crm.posts}) == 1


async def test_after_the_last_retry_a_delivery_is_a_dead_letter_and_can_be_replayed(
    tmp_path: Path, crm: Crm, store_url: str
) -> None:
    crm.down = True
    async with running(tiny_project(tmp_path), store_url, hook(crm, attempts=3)) as run:
        one_call(run.center)
        await run.until("dead", 2)
        dead = await asyncio.to_thread(run.deliveries.in_status, "dead")
        assert [(d.kind, d.call_id, d.queue, d.attempts, d.last_error) for d in dead] == [
            ("call.ended", "c1", "sales", 3, "HTTP 500"), ("call.wrapped_up", "c1", "sales", 3, "HTTP 500")
        ]  # fmt: skip
        assert len(crm.posts) == 6 and run.hooks.hooks[0].dead == 2
        crm.down = False  # the CRM recovers; a supervisor replays the dead letters
        replayed = await asyncio.to_thread(run.deliveries.replay, [d.delivery_id for d in dead], 0.0)
        run.hooks.wake(d.url for d in replayed)
        await run.until("delivered", 2)
    assert [p.delivery_id for p in crm.accepted] == [d.delivery_id for d in dead]


async def test_a_refusal_is_a_dead_letter_at_once(tmp_path: Path, crm: Crm) -> None:
    crm.down, crm.status = True, 400  # retrying cannot fix a bad request
    settings = hook(crm, calls=("ended",))
    async with running(tiny_project(tmp_path), f"sqlite:///{tmp_path / 'a.db'}", settings) as run:
        one_call(run.center)
        await run.until("dead", 1)
    assert [p.status for p in crm.posts] == [400]


async def test_pending_deliveries_are_delivered_once_after_a_restart(
    tmp_path: Path, crm: Crm, store_url: str
) -> None:
    project = tiny_project(tmp_path)
    crm.down = True
    slow = hook(crm, retry_delay=3600.0, max_retry_delay=3600.0)  # the next try would be in an hour
    async with running(project, store_url, slow) as run:
        one_call(run.center, "c1")
        one_call(run.center, "c2")
        await crm.wait(lambda c: len(c.posts) == 1)  # the first delivery failed; the others wait
        await run.until("pending", 4)
    crm.down = False
    async with running(project, store_url, hook(crm)) as run:  # restarted: the CRM is back
        await run.until("delivered", 4)
        assert (await run.counts())["pending"] == 0
    ids = [p.delivery_id for p in crm.accepted]
    assert len(ids) == len(set(ids)) == 4  # exactly once per delivery id
    assert crm.accepted[0].delivery_id == crm.posts[0].delivery_id  # the failed one, in order
    assert [(p.body["call"]["id"], p.kind) for p in crm.accepted] == [
        ("c1", "call.ended"), ("c1", "call.wrapped_up"), ("c2", "call.ended"), ("c2", "call.wrapped_up")
    ]  # fmt: skip


async def test_calls_logged_while_no_delivery_was_made_are_caught_up_on_start(
    tmp_path: Path, crm: Crm, store_url: str
) -> None:
    """A server stopped between logging a call and making its deliveries: the next start makes them
    from the log (here the middle run logs c2 with its webhooks not started)."""
    project = tiny_project(tmp_path)
    async with running(project, store_url, hook(crm)) as run:
        one_call(run.center, "c1")
        await run.until("delivered", 2)
    async with running(project, store_url) as run:
        one_call(run.center, "c2")
    async with running(project, store_url, hook(crm)) as run:
        await run.until("delivered", 4)
    assert [(p.body["call"]["id"], p.kind) for p in crm.accepted][2:] == [
        ("c2", "call.ended"), ("c2", "call.wrapped_up")
    ]  # fmt: skip
    assert crm.accepted[2].body["wrap_up"] is None
    assert crm.accepted[3].body["wrap_up"]["disposition"] == "sold"
