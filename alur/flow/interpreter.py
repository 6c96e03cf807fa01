"""The flow interpreter: runs one call through its flow against the Channel protocol.

It awaits only the channel and the injected services (customer directory, HTTP client), takes time
from the injected clock and reports every step to the injected `log(event)`. So the same code runs a
live SIP call on asyncio and a simulated caller in virtual time (`alur.core.tasks`).

    project = load_project("examples/support")
    runner = FlowRunner(project, clock=clock, log=events.append)
    result = await runner.run_call(channel)          # flow chosen by channel.dialed
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from alur.core.announcements import Announcements
from alur.core.channel import Channel, QueueOutcome, QueueRequest
from alur.core.clock import Clock
from alur.core.errors import AlurError, CallerHungUp
from alur.core.events import CallArrived, CallEnded, Event, NodeEntered
from alur.flow.calendars import Calendar
from alur.flow.call import Call
from alur.flow.expr import ExpressionError
from alur.flow.model import Flow
from alur.flow.services import (
    BuiltinDirectory,
    CustomerDirectory,
    HttpClient,
    Messenger,
    NoHttp,
    NoMessenger,
)

MAX_STEPS = 1000


class NoFlowForNumber(AlurError):
    code = "no_flow_for_number"


class NumberPlan(Protocol):
    """The settings a runner reads: which flow answers which dialled number, in which time zone."""

    @property
    def timezone(self) -> str: ...

    @property
    def default_flow(self) -> str | None: ...

    @property
    def numbers(self) -> Mapping[str, str]: ...


class FlowProject(Protocol):
    """What a runner needs from a loaded project (`alur.config.Project` is one); flow stays below config."""

    @property
    def settings(self) -> NumberPlan: ...

    @property
    def flows(self) -> Mapping[str, Flow]: ...

    @property
    def calendars(self) -> Mapping[str, Calendar]: ...

    @property
    def customers(self) -> dict[str, dict[str, Any]]: ...


class CallResult:
    """What happened to one call in the IVR, for tests, the simulator and call records. A plain class,
    not a dataclass: one is made a call, and the compiled build (setup.py) compiles a plain `__init__`
    but not a dataclass's generated one."""

    __slots__ = (
        "call_id", "flow", "how", "node", "path", "prompts", "vars", "customer", "language", "queue",
        "queue_outcome", "error", "started", "ended", "extra",
    )  # fmt: skip

    def __init__(
        self,
        call_id: str,
        flow: str,
        how: str,  # see CallEnded.how
        node: str,  # where it ended
        path: list[tuple[str, str]],  # (flow, node) in the order entered
        prompts: list[str],
        vars: dict[str, Any],
        customer: dict[str, Any],
        language: str,
        queue: QueueRequest | None = None,
        queue_outcome: QueueOutcome | None = None,
        error: str | None = None,
        started: float = 0.0,
        ended: float = 0.0,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.call_id = call_id
        self.flow = flow
        self.how = how
        self.node = node
        self.path = path
        self.prompts = prompts
        self.vars = vars
        self.customer = customer
        self.language = language
        self.queue = queue
        self.queue_outcome = queue_outcome
        self.error = error
        self.started = started
        self.ended = ended
        self.extra: dict[str, Any] = {} if extra is None else extra

    def __repr__(self) -> str:
        return f"CallResult({self.call_id!r}, how={self.how!r}, node={self.node!r}, path={self.path!r})"

    @property
    def nodes(self) -> list[str]:
        return [node for _, node in self.path]


class FlowRunner:
    """Runs calls through a loaded project's flows; reusable across calls (state: split counters)."""

    def __init__(
        self,
        project: FlowProject,
        *,
        clock: Clock,
        log: Callable[[Event], None] = lambda event: None,
        facts: Callable[[type[Event]], Callable[..., None]] | None = None,
        directory: CustomerDirectory | None = None,
        http: HttpClient | None = None,
        messenger: Messenger | None = None,
        keep_trail: bool = True,
    ) -> None:
        self.project = project
        self.keep_trail = keep_trail  # each result's path and prompts (False: the simulator reads neither)
        self.flows: Mapping[str, Flow] = project.flows
        self.calendars: Mapping[str, Calendar] = project.calendars
        self.clock = clock
        self.log = log
        # the three events every call logs (arrived, node entered, ended) as plain fields, to the
        # function `facts(EventClass)` gives for each kind (resolved once): a driver that only counts
        # them (the simulator without a kept log) builds no event objects
        resolve = facts if facts is not None else partial(_builder, log)
        self._arrived = resolve(CallArrived)
        self._entered = resolve(NodeEntered)
        self._ended = resolve(CallEnded)
        self.directory: CustomerDirectory = directory or BuiltinDirectory(project.customers)
        self.http: HttpClient = http or NoHttp()
        self.messenger: Messenger = messenger or NoMessenger()
        self.zone = ZoneInfo(project.settings.timezone)
        overrides = getattr(project.settings, "announcement_overrides", None)
        self.announcements = Announcements(overrides() if callable(overrides) else None)
        self._splits: dict[tuple[str, str], list[float]] = {}

    def flow_for(self, dialed: str) -> Flow:
        """The flow for a dialled number: alur.yaml `numbers`, else `default_flow`."""
        settings = self.project.settings
        name = settings.numbers.get(dialed) or settings.default_flow
        if name is None:
            raise NoFlowForNumber(
                f"no flow for dialled number {dialed!r} and no default_flow "
                f"(numbers: {sorted(settings.numbers)})",
                value=dialed,
            )
        return self.flows[name]

    def split_state(self, flow: str, node: str, branches: int) -> list[float]:
        state = self._splits.get((flow, node))
        if state is None:
            state = self._splits[(flow, node)] = [0.0] * branches
        return state

    def resolve_target(self, call: Call, target: str) -> str | None:
        """A node of the current flow, or `flow:name` / a flow name (continues there)."""
        if target in call.flow.nodes:
            return target
        name = target[5:] if target.startswith("flow:") else target
        flow = self.flows.get(name)
        if flow is None:
            return None
        call.flow = flow
        return flow.start

    async def run_call(self, channel: Channel, flow: str | None = None) -> CallResult:
        """Run the call to its end; never raises for a caller hang-up or a flow problem."""
        current = self.flows[flow] if flow else self.flow_for(channel.dialed)
        call = Call(channel, self, current)
        call_id = call.call_id
        entered_fact, clock, path = self._entered, self.clock, call.path
        started = clock.now()
        self._arrived(started, call_id, channel.caller_id, channel.dialed, current.name, current.published)
        # the channel's optional hook, as its class's function: a bound method (like `clock.now` or
        # `path.append` kept in a local) would be one more object held by every call in progress
        entered: Callable[[Channel, str, str, Any], None] | None
        entered = getattr(type(channel), "node_entered", None)
        node_id: str | None = current.start
        steps = 0
        # the loop body runs once per node of every simulated call: locals, no repeated lookups
        try:
            while node_id is not None:
                steps += 1
                if steps > MAX_STEPS:
                    call.error = f"more than {MAX_STEPS} nodes entered: the flow loops without waiting"
                    call.end("loop_limit")
                    break
                flow_now = call.flow
                node = flow_now.nodes[node_id]
                call.node_id = node_id
                if path is not None:
                    path.append(flow_now.name)
                    path.append(node_id)
                entered_fact(clock.now(), call_id, flow_now.name, node_id, node.type)
                if entered is not None:
                    entered(channel, flow_now.name, node_id, node)
                node_id = await node.run(call)
            if call.ended is None:
                call.end("flow_end")
            await channel.hangup("normal")
        except CallerHungUp:
            call.end("caller_hangup")
        except (
            Exception
        ) as error:  # a bad expression result, or a failing service: end the call, keep serving
            call.error = (
                str(error)
                if isinstance(error, (ExpressionError, ValueError))
                else (f"{type(error).__name__}: {error}")
            )
            call.end("error")
            try:
                await channel.hangup("error")
            except CallerHungUp:
                pass
        ended = clock.now()
        how = call.ended or "flow_end"
        self._ended(ended, call_id, how, call.ended_node, call.error or "")
        return CallResult(
            call_id,
            call.flow.name,
            how,
            call.ended_node,
            list(zip(path[::2], path[1::2], strict=True)) if path is not None else [],
            call.prompts if call.prompts is not None else [],
            call.vars,
            call.customer,
            call.language,
            call.queue_request,
            call.queue_outcome,
            call.error,
            started,
            ended,
        )


def _builder(log: Callable[[Event], None], cls: type[Event]) -> Callable[..., None]:
    """Facts of kind `cls` as events, for drivers that keep or publish events."""
    return partial(_build, log, cls)


def _build(log: Callable[[Event], None], cls: type[Event], *fields: Any) -> None:
    log(cls(*fields))
