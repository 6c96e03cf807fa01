"""Webhook dead letters through the API: a CRM that is down leaves dead letters that supervisors list
(their queues' only) and replay once the CRM is back; /metrics counts failures and dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from apikit import Api, make_project, start_api
from crmkit import SECRET, Crm, running_crm

from alur.config.project import WebhookSettings
from alur.core import events as ev
from alur.service import commands as cmd


@pytest.fixture
def crm() -> Iterator[Crm]:
    with running_crm() as state:
        yield state


@pytest.fixture
async def api_hooks(tmp_path: Path, store_url: str, crm: Crm) -> AsyncIterator[Api]:
    """The API on SQLite and PostgreSQL, posting call records to the CRM (two tries each)."""
    hook = WebhookSettings(url=crm.url, secret=SECRET, calls=("ended",), attempts=2, retry_delay=0.01)
    async for running in start_api(make_project(tmp_path / "project"), store_url, [hook]):
        yield running


async def answered_and_ended(api: Api, call_id: str) -> None:
    """Ayu answers a billing call, and the caller hangs up."""
    api.place_call(call_id)
    (rid,) = [r.id for r in api.center.router.reservations.values() if r.call.call_id == call_id]
    api.center.execute(cmd.Answer(rid))
    api.center.execute(cmd.Hangup(call_id, "caller"))
    api.center.publish(ev.CallEnded(api.center.clock.now(), call_id, "caller_hangup"))
    api.center.execute(cmd.WrapUp("ayu", call_id, "paid", ready=True))


async def dead_letters(api: Api, who: str, count: int) -> list[dict[str, object]]:
    async with asyncio.timeout(20):
        while True:
            response = await api.call(who, "GET", "/webhooks/dead")
            assert response.status_code == 200, response.text
            dead: list[dict[str, object]] = response.json()["dead"]
            if len(dead) >= count:
                return dead
            await asyncio.sleep(0.01)


async def test_dead_letters_are_listed_and_replayed_by_supervisors(api_hooks: Api, crm: Crm) -> None:
    api = api_hooks
    crm.down = True
    api.center.execute(cmd.Login("ayu"))
    await answered_and_ended(api, "c1")
    await answered_and_ended(api, "c2")
    dead = await dead_letters(api, "supervisor", 2)
    assert [(d["call_id"], d["queue"], d["kind"], d["attempts"], d["last_error"]) for d in dead] == [
        ("c1", "billing", "call.ended", 2, "HTTP 500"), ("c2", "billing", "call.ended", 2, "HTTP 500")
    ]  # fmt: skip
    assert (await api.call("sales_supervisor", "GET", "/webhooks/dead")).json() == {"dead": []}
    forbidden = await api.call("agent", "GET", "/webhooks/dead")
    assert forbidden.status_code == 403
    metrics = (await api.call("admin", "GET", "/metrics")).text
    assert 'alur_webhook_deliveries{status="dead"} 2.0' in metrics
    assert "alur_webhook_posts_failed_total 4.0" in metrics
    assert "alur_webhook_dead_letters_total 2.0" in metrics

    crm.down = False  # the CRM is back: replay one, then the rest
    first = str(dead[0]["delivery_id"])
    other_scope = await api.call("sales_supervisor", "POST", f"/webhooks/dead/{first}/replay")
    assert other_scope.status_code == 404 and other_scope.json()["error"] == "unknown_delivery"
    one = await api.call("supervisor", "POST", f"/webhooks/dead/{first}/replay")
    assert one.status_code == 200 and one.json() == {"replayed": [first]}
    await crm.wait(lambda c: len(c.accepted) == 1)
    assert crm.accepted[0].delivery_id == first and crm.accepted[0].signed
    rest = await api.call("supervisor", "POST", "/webhooks/dead/replay")
    assert rest.json() == {"replayed": [dead[1]["delivery_id"]]}
    await crm.wait(lambda c: len(c.accepted) == 2)
    assert [p.body["call"]["id"] for p in crm.accepted] == ["c1", "c2"]  # type: ignore[index]
    assert (await api.call("supervisor", "GET", "/webhooks/dead")).json() == {"dead": []}
    again = await api.call("admin", "POST", f"/webhooks/dead/{first}/replay")
    assert again.status_code == 409 and again.json()["error"] == "not_dead"
