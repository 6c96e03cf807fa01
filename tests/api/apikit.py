"""Helpers of the API tests: a running contact center with its HTTP API on a free port, a real
store and one token per role; requests go through httpx to the real uvicorn server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from alur.api.server import ApiServer
from alur.config.project import WebhookSettings, load_project
from alur.core import events as ev
from alur.core.channel import QueueRequest
from alur.core.clock import RealClock
from alur.integrations.webhooks import Webhooks
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.store.deliveries import DeliveryStore
from alur.store.event_store import EventStore
from alur.store.tokens import TokenStore

ALUR_YAML = """\
name: api-test
timezone: UTC
default_flow: main
pause_reasons: [break, lunch, training]
"""
MAIN = """\
flow: main
start: queue
nodes:
  queue:
    type: queue
    queue: billing
    answered: bye
    fail: bye
  bye:
    type: hangup
"""
BILLING = """\
name: billing
ring_timeout: 30
wrap_up: 60
dispositions: [paid, refund, other]
disposition_required: true
"""
SALES = """\
name: sales
ring_timeout: 30
"""
AGENTS = """\
agents:
  - {id: ayu, name: Ayu, queues: [billing]}
  - {id: budi, name: Budi, queues: [billing, sales]}
  - {id: sari, name: Sari, queues: [sales]}
"""
CUSTOMERS = """\
customers:
  - {id: "100001", pin: "1234", name: Budi Santoso, vip: true, phone: "+6281100000001"}
"""


def make_project(root: Path) -> Path:
    for folder in ("flows", "queues", "agents", "directory"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "alur.yaml").write_text(ALUR_YAML)
    (root / "flows" / "main.yaml").write_text(MAIN)
    (root / "queues" / "billing.yaml").write_text(BILLING)
    (root / "queues" / "sales.yaml").write_text(SALES)
    (root / "agents" / "agents.yaml").write_text(AGENTS)
    (root / "directory" / "customers.yaml").write_text(CUSTOMERS)
    return root


#: the tokens every API test has: role, agent, queues
GRANTS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "admin": ("admin", None, ()),
    "supervisor": ("supervisor", None, ("billing",)),
    "sales_supervisor": ("supervisor", None, ("sales",)),
    "agent": ("agent", "ayu", ()),
    "other_agent": ("agent", "sari", ()),
}


@dataclass
class Api:
    center: ContactCenter
    server: ApiServer
    store: EventStore
    tokens: dict[str, str]
    root: Path
    webhooks: Webhooks

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, who: str | None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10)

    async def call(self, who: str | None, method: str, path: str, **kw: Any) -> httpx.Response:
        async with self.client(who) as client:
            return await client.request(method, path, **kw)

    def place_call(self, call_id: str, queue: str = "billing", caller_id: str = "+6281100000001") -> None:
        """A caller arrives and waits in `queue` (what a flow's queue node does)."""
        center = self.center
        center.publish(ev.CallArrived(center.clock.now(), call_id, caller_id, "1000", "main"))
        center.execute(cmd.Enqueue(call_id, QueueRequest(queue=queue)))

    async def settle(self) -> None:
        await self.center.settle()


async def on_a_call(api: Api, call_id: str) -> None:
    """Agent ayu logs in, a caller waits in billing, ayu accepts: they talk."""
    await api.call("agent", "POST", "/agents/ayu/login")
    api.place_call(call_id)
    accepted = await api.call("agent", "POST", "/agents/ayu/offer/accept")
    assert accepted.json()["state"] == "busy", accepted.text


async def start_api(root: Path, url: str, webhooks: Sequence[WebhookSettings] = ()) -> AsyncIterator[Api]:
    """The API over a running contact center on the store at `url`, with these CRM webhooks posting."""
    project = load_project(root)
    store = await asyncio.to_thread(EventStore, url)
    tokens_store = TokenStore(store.engine)
    tokens = {
        name: tokens_store.create(role, agent_id=a, queues=q)[0] for name, (role, a, q) in GRANTS.items()
    }
    center = ContactCenter(project, clock=RealClock(asyncio.get_running_loop()), store=store)
    async with httpx.AsyncClient() as web, center:
        hooks = Webhooks(webhooks, web, DeliveryStore(store.engine))
        hooks.start(center)
        server = ApiServer(center, "127.0.0.1", 0, webhooks=hooks)
        await server.start()
        try:
            yield Api(center, server, store, tokens, root, hooks)
        finally:
            await server.stop()
    store.close()
