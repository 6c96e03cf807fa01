"""`ContactCenter`: the running contact center, built once, driven by commands, observed through events.

It builds and owns the router, the flow runner, today's KPI fold, the event bus and the store writer.
Adapters (the SIP server, the HTTP API, tests) send it `Command`s with `execute` and subscribe to the
bus; none of them builds a router or writes the log itself.

    async with ContactCenter(project, clock=RealClock(loop), store=store) as center:
        center.bus.subscribe("sip", sip_adapter.handle)   # before or after start
        center.execute(Login("ayu"))

On start it rebuilds its state from the log (agents, callbacks, open chats/SMS/e-mails) and closes the
calls that died with the previous process, then logs a `ServerStarted` boot marker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from alur.core import events as ev
from alur.core.channel import QueueOutcome
from alur.core.clock import Clock
from alur.core.envelope import Envelope
from alur.flow.interpreter import FlowRunner
from alur.flow.services import CustomerDirectory, HttpClient
from alur.metrics.kpis import KpiFold
from alur.routing.engine import Router
from alur.service import commands as cmd
from alur.service.bus import EventBus
from alur.service.conversation_restore import restore_conversations
from alur.service.conversations import Conversations
from alur.service.devices import Devices
from alur.service.flows import FlowCatalog
from alur.service.phones import BrowserPhones
from alur.service.rebuild import Rebuilt, rebuild
from alur.service.settings import SettingsCatalog
from alur.service.snapshots import Snapshots, from_json, to_json
from alur.service.state import LiveState, PhoneView

if TYPE_CHECKING:
    from alur.config.project import Project
    from alur.store.event_store import EventStore

#: how each kind of transfer destination is written for the adapter that rings it
TRANSFER_PREFIX = {"agent": "agent:", "number": "tel:", "queue": ""}
SUPERVISION_MODES = ("monitor", "whisper", "barge")

log = logging.getLogger("alur.service")

KPI_INTERVAL = 900.0  # seconds per interval of today's live KPIs


def default_server_id() -> str:
    return socket.gethostname() or "alur"


class ContactCenter:
    def __init__(
        self,
        project: Project,
        *,
        clock: Clock,
        store: EventStore | None = None,
        server_id: str | None = None,
        directory: CustomerDirectory | None = None,
        http: HttpClient | None = None,
    ) -> None:
        self.project = project
        self.clock = clock
        self.store = store
        self.server_id = server_id or default_server_id()
        last = store.last_seq(self.server_id) if store is not None else 0
        self.bus = EventBus(self.server_id, last_seq=last)
        self.router = Router.from_config(
            project.queues.values(),
            project.agents.values(),
            clock=clock,
            emit=self.publish,
            on_outcome=self._wait_ended,
            voice_exclusive=project.settings.channels.voice_exclusive,
        )
        self.conversations = Conversations(self)  # also the flows' messenger (deflect nodes)
        self.runner = FlowRunner(
            project,
            clock=clock,
            log=self.publish,
            directory=directory,
            http=http,
            messenger=self.conversations,
        )
        self.zone = ZoneInfo(project.settings.timezone)
        self._thresholds = {name: q.service_level.seconds for name, q in project.queues.items()}
        self._kpi_day = ""
        self.kpis = self._new_fold()
        self.bus.subscribe("kpis", self._fold)
        self.writer: Any = None
        if store is not None:
            from alur.store.writer import StoreWriter

            self.writer = StoreWriter(store)
            self.writer.stored_seq = last  # what the log already holds of this server's events
            self.bus.subscribe("store", self.writer.handle)
        self.devices = Devices()
        self.collectors: list[Any] = []  # adapters' Prometheus collectors, served by the HTTP API
        self.phones = BrowserPhones(project.settings.browser_phone)  # agents' browser phones
        self.flows = FlowCatalog(self)
        self.settings = SettingsCatalog(self)
        self.rebuilt = Rebuilt(0, 0, 0)
        self._snapshot_row = 0  # the log's row the start-up fold reached
        self.restored_phones: list[PhoneView] = []  # registrations from the log, for the SIP adapter
        self._group: asyncio.TaskGroup | None = None
        self._spawned: set[asyncio.Task[Any]] = set()  # adapters' tasks still running

    # --- life ----------------------------------------------------------------------------------------

    async def __aenter__(self) -> ContactCenter:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        self.bus.start(self._group)
        if self.store is not None:
            await self.settings.restore()  # queues and agents as edited, before their calls come back
            state = await asyncio.to_thread(self.read_state)
            self.rebuilt = rebuild(state, self.router, self.clock, self.publish)
            await restore_conversations(self.conversations, state)
            self.restored_phones = list(state.phones.values())
            kept = from_json(to_json(state))  # folded on from here while the center runs
            self.spawn(Snapshots(self.store).keep(self._snapshot_row, kept), "state snapshots")
            await self.flows.restore()
        r = self.rebuilt
        self.publish(
            ev.ServerStarted(
                self.clock.now(), self.server_id, os.getpid(), r.agents_restored, r.calls_closed,
                r.callbacks_restored,
            )
        )  # fmt: skip
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop: what adapters still run (a phone still ringing...) is cancelled, then the bus
        delivers what was published and its subscribers end."""
        self.phones.close()
        for task in list(self._spawned):
            task.cancel()
        if self._spawned:
            await asyncio.gather(*self._spawned, return_exceptions=True)
        await self.bus.stop()
        group, self._group = self._group, None
        if group is not None:
            await group.__aexit__(None, None, None)

    def read_state(self) -> LiveState:
        """The log folded into the live state, from the latest snapshot on (blocking: off the loop)."""
        if self.store is None:
            return LiveState()
        self._snapshot_row, state = Snapshots(self.store).read()
        return state

    async def settle(self) -> None:
        """Wait until every subscriber has seen everything published so far (tests, shutdown)."""
        await self.bus.drain()

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        """Run a task owned by the contact center: cancelled and awaited on stop; its failure is
        logged, never spread to the other tasks."""
        if self._group is None:
            raise RuntimeError("the contact center is not running (use `async with center`)")
        task = self._group.create_task(_logged(coro, name), name=name)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)
        return task

    # --- events --------------------------------------------------------------------------------------

    def publish(self, event: ev.Event) -> Envelope:
        return self.bus.publish(event)

    def _wait_ended(self, call_id: str, outcome: QueueOutcome) -> None:
        router = self.router
        waiting = router.calls.get(call_id)
        connected = router.connected.get(call_id)
        queue = waiting.queue if waiting else connected[1] if connected else ""
        self.publish(
            ev.WaitEnded(
                self.clock.now(),
                call_id,
                queue,
                outcome.result,
                outcome.wait,
                outcome.agent_id,
                outcome.target,
            )
        )
        if self.conversations.open:
            self.conversations.wait_ended(call_id, outcome)

    async def _fold(self, batch: list[Envelope]) -> None:
        for envelope in batch:
            event = envelope.event
            day = datetime.fromtimestamp(event.at, self.zone).date().isoformat()
            if day != self._kpi_day:
                if self._kpi_day and day < self._kpi_day:
                    continue  # a late event of yesterday: today's figures do not count it
                self._kpi_day, self.kpis = day, self._new_fold()
            self.kpis.apply(event)

    def _new_fold(self) -> KpiFold:
        digital = [name for name, q in self.project.queues.items() if q.channel != "voice"]
        return KpiFold(KPI_INTERVAL, 20.0, self._thresholds, digital)

    def callback_opens(self, queue: str) -> float | None:
        """When a callback asked for now in `queue` can be made: None when at once (no callback
        calendar, or it is open), else the calendar's next opening."""
        config = self.project.queues.get(queue)
        name = config.callback.calendar if config is not None else None
        calendar = self.project.calendars.get(name) if name else None
        if calendar is None:
            return None
        now = self.clock.now()
        opens = calendar.next_open(now)
        return opens if opens is not None and opens > now else None

    # --- commands ------------------------------------------------------------------------------------

    def execute(self, command: cmd.Command) -> None:
        """Carry out one command; a command that cannot be done raises a domain error naming why."""
        r = self.router
        match command:
            case cmd.Enqueue(call_id, request):
                r.enqueue(call_id, request)
            case cmd.Ringing(reservation_id):
                r.ringing(reservation_id)
            case cmd.Answer(reservation_id):
                r.answer(reservation_id)
            case cmd.Decline(reservation_id, reason):
                r.decline(reservation_id, reason)
            case cmd.Hangup(call_id, ended_by):
                if call_id in r.connected:
                    r.talk_ended(call_id, ended_by=ended_by)
                else:
                    r.abandon(call_id)
            case cmd.RequestCallback(call_id, number, not_before):
                r.request_callback(call_id, number, not_before)
            case cmd.CallbackAttempt(call_id, reached, outcome):
                r.callback_attempted(call_id, reached, outcome)
            case cmd.Consult(call_id, destination):
                self.devices.consult(call_id, "consult", destination)
            case cmd.ConsultStep(call_id, action):
                if action not in ("complete", "cancel", "conference"):
                    raise cmd.BadCommand(
                        f"consultation step must be complete, cancel or conference (got {action!r})",
                        value=action,
                    )
                self.devices.consult(call_id, action)
            case cmd.Hold(call_id, resume):
                self.devices.consult(call_id, "resume" if resume else "hold")
            case cmd.Transfer(call_id, destination, to):
                self._transfer(call_id, destination, to)
            case cmd.Supervise(agent_id, mode, phone, supervisor):
                if mode not in SUPERVISION_MODES:
                    raise cmd.BadCommand(
                        f"mode must be one of {', '.join(SUPERVISION_MODES)} (got {mode!r})", value=mode
                    )
                self.devices.supervisor_joins(agent_id, mode, phone, supervisor)
            case cmd.EndSupervision(agent_id):
                self.devices.supervisor_leaves(agent_id)
            case cmd.PauseRecording(call_id, paused, by):
                self.devices.pause_recording_of(call_id, paused)
                self.publish(ev.RecordingPaused(self.clock.now(), call_id, paused, by))
            case cmd.DirectCallStart(agent_id, call_id, kind):
                r.direct_call_started(agent_id, call_id, kind)
            case cmd.DirectCallAnswered(agent_id, call_id):
                r.direct_call_answered(agent_id, call_id)
            case cmd.DirectCallEnd(agent_id, call_id):
                r.direct_call_ended(agent_id, call_id)
            case cmd.Login(agent_id, paused):
                r.login(agent_id, paused=paused)
            case cmd.Logout(agent_id):
                r.logout(agent_id)
            case cmd.Pause(agent_id, reason):
                r.pause(agent_id, reason)
            case cmd.Ready(agent_id):
                r.ready(agent_id)
            case cmd.WrapUp(agent_id, call_id, disposition, resolved, notes, ready, summary):
                extra = {"summary": summary} if summary else {}
                r.observe(
                    ev.Disposition(self.clock.now(), call_id, agent_id, disposition, resolved, notes, extra)
                )
                if ready and r.agent_state(agent_id) == "wrap_up":
                    r.ready(agent_id)
            case cmd.MoveCall(call_id, queue, by):
                r.move_call(call_id, queue, by=by)
            case cmd.SetPriority(call_id, priority, by):
                r.set_priority(call_id, priority, by=by)
            case _:
                raise cmd.BadCommand(f"unknown command {command!r}", value=repr(command))

    def _transfer(self, call_id: str, destination: str, to: str) -> None:
        """A blind transfer: the adapter carrying the talk hands the caller on; without one the talk
        just ends as transferred."""
        if to not in TRANSFER_PREFIX:
            raise cmd.BadCommand(f"transfer to must be agent, number or queue (got {to!r})", value=to)
        if to == "queue" and destination not in self.project.queues:
            known = sorted(self.project.queues)
            raise cmd.BadCommand(f"no queue {destination!r} (queues: {known})", value=destination)
        if to == "agent" and destination not in self.project.agents:
            raise cmd.BadCommand(f"no agent {destination!r}", value=destination)
        if call_id in self.devices.consults:
            action = "queue" if to == "queue" else "blind"
            self.devices.consult(call_id, action, TRANSFER_PREFIX[to] + destination)
            return
        if call_id not in self.router.connected:
            raise cmd.BadCommand(f"call {call_id!r} is not connected to an agent", value=call_id)
        kind = {"agent": "agent_blind", "number": "external", "queue": "queue"}[to]
        self.publish(ev.CallTransferred(self.clock.now(), call_id, destination, kind))
        self.router.talk_ended(call_id, ended_by="transfer")


async def _logged(coro: Any, name: str) -> Any:
    try:
        return await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("task %s failed", name)
        return None
