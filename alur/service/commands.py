"""Commands: what an adapter (SIP, HTTP, a test) asks of the contact center.

Plain, frozen data, so they can be logged, sent over a socket or replayed. `ContactCenter.execute`
carries each out on the router and the flow runner; the results are events on the bus, and a
command that cannot be done raises a domain error (`RoutingError`, ...) naming why.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from alur.core.channel import QueueRequest
from alur.core.errors import AlurError


@dataclass(frozen=True, slots=True)
class Command:
    pass


# --- calls ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Enqueue(Command):
    call_id: str
    request: QueueRequest


@dataclass(frozen=True, slots=True)
class Ringing(Command):
    """The agent's phone rings for an offer."""

    reservation_id: str


@dataclass(frozen=True, slots=True)
class Answer(Command):
    reservation_id: str


@dataclass(frozen=True, slots=True)
class Decline(Command):
    reservation_id: str
    reason: str = "declined"  # "declined" | "busy" | "no_answer"


@dataclass(frozen=True, slots=True)
class Hangup(Command):
    """The call is over for the queue: a waiting caller abandons, a connected one ends the talk."""

    call_id: str
    ended_by: str = "caller"  # "caller" | "agent" | "transfer" | "server_lost"


@dataclass(frozen=True, slots=True)
class RequestCallback(Command):
    """The caller leaves `number`; `not_before` (see `ContactCenter.callback_opens`) defers it."""

    call_id: str
    number: str
    not_before: float | None = None


@dataclass(frozen=True, slots=True)
class CallbackAttempt(Command):
    """A try at reaching the customer of a callback (taken by an agent) ended: `reached`, or not
    (`outcome` says how: no_answer, busy, failed, agent_no_answer); an unreached try ends the
    agent's part and the callback waits for its next try or is given up, per the queue."""

    call_id: str
    reached: bool
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class Consult(Command):
    """The agent of a connected call puts the caller on hold and rings `destination` (warm transfer)."""

    call_id: str
    destination: str


@dataclass(frozen=True, slots=True)
class ConsultStep(Command):
    """The next step of a consultation: `complete`, `cancel` or `conference`."""

    call_id: str
    action: str


@dataclass(frozen=True, slots=True)
class Hold(Command):
    """The agent of a connected call puts the caller on hold (music) or, `resume`, takes them back."""

    call_id: str
    resume: bool = False


@dataclass(frozen=True, slots=True)
class Supervise(Command):
    """A supervisor listens to an agent's call (`monitor`), talks to the agent alone (`whisper`) or to
    both (`barge`) from `phone` (an extension, a SIP URI or a number), which is rung first; a supervision
    already running on that call changes to `mode` instead."""

    agent_id: str
    mode: str
    phone: str
    supervisor: str


@dataclass(frozen=True, slots=True)
class EndSupervision(Command):
    """The supervisor leaves the agent's call (their phone is hung up)."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class PauseRecording(Command):
    """Leave part of a call out of its recording (a card number being read), or record again."""

    call_id: str
    paused: bool
    by: str = ""


@dataclass(frozen=True, slots=True)
class Transfer(Command):
    """Hand a connected call on without staying (blind): to an agent or a number, or back to waiting
    in a queue (`to` says which). The adapter carrying the talk rings the destination (the agent's
    part ends as a transfer); a call no adapter carries (the simulator, tests) just ends its talk."""

    call_id: str
    destination: str
    to: str = "agent"  # "agent" | "number" | "queue"


@dataclass(frozen=True, slots=True)
class DirectCallStart(Command):
    """An agent's phone rings for a call the queues did not route (transfer, ring group)."""

    agent_id: str
    call_id: str
    kind: str = "ring_group"


@dataclass(frozen=True, slots=True)
class DirectCallAnswered(Command):
    agent_id: str
    call_id: str


@dataclass(frozen=True, slots=True)
class DirectCallEnd(Command):
    agent_id: str
    call_id: str


# --- agents ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Login(Command):
    agent_id: str
    paused: str | None = None


@dataclass(frozen=True, slots=True)
class Logout(Command):
    agent_id: str


@dataclass(frozen=True, slots=True)
class Pause(Command):
    agent_id: str
    reason: str = "break"


@dataclass(frozen=True, slots=True)
class Ready(Command):
    agent_id: str


@dataclass(frozen=True, slots=True)
class WrapUp(Command):
    """After-call work: the disposition (and notes) for a call; `ready` also ends the wrap-up."""

    agent_id: str
    call_id: str
    disposition: str
    resolved: bool = True
    notes: str = ""
    ready: bool = False
    summary: str = ""


# --- supervisors ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoveCall(Command):
    """A supervisor moves a waiting call to another queue; it keeps its arrival time."""

    call_id: str
    queue: str
    by: str = ""


@dataclass(frozen=True, slots=True)
class SetPriority(Command):
    """A supervisor sets a waiting call's priority (higher is served first)."""

    call_id: str
    priority: int
    by: str = ""


COMMANDS: dict[str, type[Command]] = {
    cls.__name__: cls
    for cls in Command.__subclasses__()  # one level: every command subclasses Command
}


class BadCommand(AlurError):
    code = "bad_command"


def command_to_dict(command: Command) -> dict[str, Any]:
    """{'command': 'Pause', 'agent_id': 'ayu', 'reason': 'lunch'}: JSON-ready."""
    data: dict[str, Any] = {"command": type(command).__name__}
    for f in dataclasses.fields(command):
        value = getattr(command, f.name)
        data[f.name] = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
    return data


def command_from_dict(data: dict[str, Any]) -> Command:
    """Inverse of `command_to_dict`; unknown commands or fields are a `BadCommand` naming them."""
    name = str(data.get("command"))
    cls = COMMANDS.get(name)
    if cls is None:
        raise BadCommand(f"unknown command {name!r} (known: {sorted(COMMANDS)})", value=name)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - fields - {"command"})
    if unknown:
        raise BadCommand(
            f"command {name}: unknown field(s) {unknown} (fields: {sorted(fields)})", value=unknown
        )
    values = {k: v for k, v in data.items() if k != "command"}
    if cls is Enqueue and isinstance(values.get("request"), dict):
        request = dict(values["request"])
        request["skills"] = tuple(tuple(s) for s in request.get("skills", ()))
        values["request"] = QueueRequest(**request)
    try:
        return cls(**values)
    except TypeError as exc:
        raise BadCommand(f"command {name}: {exc}", value=data) from None
