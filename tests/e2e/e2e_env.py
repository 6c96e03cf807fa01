"""The end-to-end test project and server: a small support line whose agents are sipp phones (fixed
SIP URIs on free ports), served by a fresh Alur SIP server per test."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from sipp import free_port  # noqa: E402

ALUR_YAML = """\
name: e2e
timezone: UTC
numbers:
  "100": support
  "200": after_hours
  "300": crm
  "400": speech
  "401": speech_id
server:
  silence_timeout: {silence}
  trunk: "sip:127.0.0.1:{trunk}"
  phones:
    "2001": secret2001
    "3001": secret3001
  supervisors: ["3001"]
  max_sip_backlog_kb: {backlog_kb}
  max_loop_lag_ms: {lag_ms}
  max_cpu_percent: {cpu}
  features: {{{features}}}
"""

SUPPORT = """\
flow: support
start: greeting
nodes:
  greeting:
    type: play
    say: "Hello."
    next: menu
  menu:
    type: menu
    prompt: "Press 1."
    timeout: 2
    inter_digit_timeout: 1
    retries: 1
    options:
      "1": queue
      "2": bye
      "3": outside
      "4": desk
      "5": balance
      "6": indonesian
    fail: bye
  indonesian:
    type: set
    vars: {language: id}
    next: queue
  queue:
    type: queue
    queue: support
    announce_every: 2
    offer_callback: true
    callback: bye
    answered: bye
    timeout: bye
    fail: bye
  outside:
    type: transfer
    number: "5551234"
    timeout: 10
    busy: bye
    no_answer: bye
    fail: bye
  desk:
    type: ring_group
    members: ["sip:alice@127.0.0.1:{alice}", "sip:bob@127.0.0.1:{bob}"]
    strategy: ring_all
    timeout: 8
    fail: bye
  balance:
    type: http
    url: "http://127.0.0.1:{web}/balance/${caller_id}"
    timeout: 2
    result:
      balance: response.balance
    next: say_balance
    fail: bye
  say_balance:
    type: play
    say: "Your balance is ${vars.balance} rupiah."
    next: bye
  bye:
    type: hangup
    prompt: "Goodbye."
"""

CRM = """\
flow: crm
start: queue
nodes:
  queue:
    type: queue
    queue: support
    announce_every: 5
    answered: post_call
    fail: bye
  post_call:
    type: http
    url: "http://127.0.0.1:{web}/crm/${caller_id}"
    timeout: 2
    next: bye
    fail: bye
  bye:
    type: hangup
    prompt: "Goodbye."
"""

SPEECH = """\
flow: speech
start: menu
nodes:
  menu:
    type: menu
    prompt: {en: "{speech_prompt}", id: "Sebutkan tagihan atau bantuan."}
    input: [dtmf, speech]
    timeout: {speech_timeout}
    retries: 0
    options:
      "1": {next: billing, phrases: {en: [billing], id: [tagihan]}}
      "2": {next: queue, phrases: {en: [technical support], id: [bantuan teknis]}}
    on_timeout: silent
    fail: unknown
  billing:
    type: queue
    queue: billing
    announce_every: 2
    fail: bye
  queue:
    type: queue
    queue: support
    fail: bye
  silent:
    type: hangup
    prompt: "Nothing heard."
  unknown:
    type: hangup
    prompt: "Not understood."
  bye:
    type: hangup
"""

SPEECH_ID = """\
flow: speech_id
start: indonesian
nodes:
  indonesian:
    type: set
    vars: {language: id}
    next: menu
  menu:
    type: goto_flow
    flow: speech
"""

AFTER_HOURS = """\
flow: after_hours
start: hours
nodes:
  hours:
    type: hours
    calendar: closed
    open: bye
    closed: voicemail
  voicemail:
    type: voicemail
    mailbox: support
    prompt: "Leave a message."
    max_seconds: 3
    silence_timeout: 2
    next: bye
  bye:
    type: hangup
"""

CALENDAR = """\
name: closed
timezone: UTC
hours: {}
"""

QUEUE = """\
name: support
strategy: {strategy}
ring_timeout: {ring_timeout}
max_wait: {max_wait}
wrap_up: {wrap_up}
ring_no_answer:
  pause_agent: false
  retry_same_agent_after: 30
{queue_extra}"""

AGENTS = """\
agents:
  - id: alice
    extension: "1001"
    sip_uri: "sip:alice@127.0.0.1:{alice}"
    queues: [{{queue: support, penalty: 0}}]
  - id: bob
    sip_uri: "sip:bob@127.0.0.1:{bob}"
    queues: [{{queue: support, penalty: 1}}]
  - id: carol
    extension: "2001"
    queues: [{{queue: support, penalty: 2}}]
"""


def make_project(
    root: Path,
    *,
    alice: int,
    bob: int,
    trunk: int,
    web: int = 0,
    ring_timeout: float = 3,
    max_wait: float = 30,
    silence: float = 30,
    strategy: str = "longest_idle",
    wrap_up: float = 0,
    queue_extra: str = "",
    queue_node_extra: str = "",  # more settings of the support flow's queue node
    backlog_kb: int = 512,
    lag_ms: int = 1000,  # overload control off unless a test asks for it: a busy CI machine's
    cpu: int = 1000,  # stalls and CPU share must not refuse the calls a test places
    calendars: dict[str, str] | None = None,
    speech_timeout: float = 4,
    speech_prompt: str = "Say billing or support.",
    features: str = "",
) -> Path:
    for d in ("flows", "queues", "agents", "calendars"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "alur.yaml").write_text(
        ALUR_YAML.format(
            silence=silence, trunk=trunk, backlog_kb=backlog_kb, lag_ms=lag_ms, cpu=cpu, features=features
        )
    )
    (root / "flows" / "support.yaml").write_text(
        SUPPORT.replace("{alice}", str(alice))
        .replace("{bob}", str(bob))
        .replace("{web}", str(web))
        .replace(
            "    queue: support\n    announce_every",
            f"    queue: support\n{queue_node_extra}    announce_every",
        )
    )
    (root / "flows" / "after_hours.yaml").write_text(AFTER_HOURS)
    speech = SPEECH.replace("{speech_timeout}", str(speech_timeout)).replace("{speech_prompt}", speech_prompt)
    (root / "flows" / "speech.yaml").write_text(speech)
    (root / "flows" / "speech_id.yaml").write_text(SPEECH_ID)
    (root / "flows" / "crm.yaml").write_text(CRM.replace("{web}", str(web)))
    (root / "calendars" / "closed.yaml").write_text(CALENDAR)
    for name, text in (calendars or {}).items():
        (root / "calendars" / f"{name}.yaml").write_text(text)
    (root / "queues" / "support.yaml").write_text(
        QUEUE.format(
            ring_timeout=ring_timeout,
            max_wait=max_wait,
            strategy=strategy,
            wrap_up=wrap_up,
            queue_extra=queue_extra,
        )
    )
    (root / "queues" / "billing.yaml").write_text(
        QUEUE.format(
            ring_timeout=ring_timeout, max_wait=max_wait, strategy=strategy, wrap_up=wrap_up, queue_extra=""
        ).replace("name: support", "name: billing")
    )
    (root / "agents" / "agents.yaml").write_text(AGENTS.format(alice=alice, bob=bob))
    return root


class Running:
    """A contact center with its SIP server, as `alur serve` builds them, plus what the tests read:
    every event the bus published (`events`) and the calls that finished (`finished`)."""

    def __init__(self, center: Any, server: Any, web: Any) -> None:
        self.web = web
        self.center = center
        self.sip = server
        self.router = center.router
        self.events: list[Any] = []
        self.finished: list[Any] = []
        server.on_call_finished = self.finished.append

    async def record(self, batch: list[Any]) -> None:
        self.events.extend(envelope.event for envelope in batch)

    def agent_states(self) -> dict[str, str]:
        return {a: str(self.router.agent_state(a)) for a in self.router.agents}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sip, name)

    async def settle(self) -> None:
        await self.center.settle()

    async def until(self, condition: Any, timeout: float = 15.0) -> None:
        """Wait until `condition()` holds (checked after each delivery of events), or fail."""
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.settle()
            if condition():
                return
            if loop.time() > deadline:
                raise AssertionError(f"still not true after {timeout:g} s: {condition}")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        await self.sip.stop()
        await self.center.__aexit__(None, None, None)
        await self.web.aclose()


class Env:
    def __init__(self, tmp: Path, cache: Path) -> None:
        self.tmp = tmp
        self.cache = cache
        self.sip_port = free_port()
        self.alice = free_port()
        self.bob = free_port()
        self.trunk = free_port()
        self.web = free_port()  # a customer's web service, when a test starts one
        self.server: Running | None = None

    async def start(self, *, store: Any = None, **kw: Any) -> Running:
        import asyncio

        import httpx

        from alur.config.project import load_project
        from alur.core.clock import RealClock
        from alur.integrations.services import live_services
        from alur.service.center import ContactCenter
        from alur.telephony.server import ServerOptions, SipServer

        root = make_project(
            self.tmp / "project", alice=self.alice, bob=self.bob, trunk=self.trunk, web=self.web, **kw
        )
        project = load_project(root)
        opts = ServerOptions.from_settings(project.settings.server, root)
        opts.port = self.sip_port
        opts.cache_dir = self.cache
        web = httpx.AsyncClient(follow_redirects=True)
        directory, http = live_services(project, web)
        clock = RealClock(asyncio.get_running_loop())
        center = ContactCenter(project, clock=clock, store=store, directory=directory, http=http)
        server = SipServer(center, opts)
        running = Running(center, server, web)
        center.bus.subscribe("test-recorder", running.record)
        await center.__aenter__()
        await server.start(center.restored_phones)
        self.server = running
        return running
