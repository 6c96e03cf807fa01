"""One line per finished call on the server's console: who called, the path, queue, agent, outcome.

    12:04:31  +628123456 -> 1000  main: office_hours > welcome > main_menu[1] > billing_queue
              queue billing  agent ayu  caller_hangup, waited 12s, talked 3m05s      (one line)

A bus subscriber; it keeps only the calls still open, so it never grows with the day.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from alur.core import events as ev
from alur.core.envelope import Envelope

MAX_PATH = 8  # nodes shown per call; longer paths are shortened in the middle


@dataclass(slots=True)
class _Line:
    caller: str
    dialed: str
    flow: str
    path: list[str] = field(default_factory=list)
    queue: str = ""
    agent: str = ""
    wait: float | None = None
    talk: float | None = None


class CallConsole:
    def __init__(self, write: Callable[[str], None] = print, *, local_time: bool = True) -> None:
        self.write = write
        self.local_time = local_time
        self._open: dict[str, _Line] = {}

    async def handle(self, batch: list[Envelope]) -> None:
        for envelope in batch:
            self.apply(envelope.event)

    def apply(self, e: ev.Event) -> None:
        if isinstance(e, ev.ServerStarted):
            self.write(
                f"{self._clock(e.at)} server {e.server} started: {e.agents_restored} agent(s) restored, "
                f"{e.calls_closed} call(s) lost in the previous run closed, "
                f"{e.callbacks_restored} callback(s) back in line"
            )
            return
        call_id = getattr(e, "call_id", None)
        if call_id is None:
            return
        if isinstance(e, ev.CallArrived):
            self._open[call_id] = _Line(e.caller_id, e.dialed, e.flow)
            return
        line = self._open.get(call_id)
        if line is None:
            return
        match e:
            case ev.NodeEntered():
                line.path.append(e.node)
            case ev.MenuOptionChosen():
                if line.path:
                    line.path[-1] += f"[{e.option}]"
            case ev.CallQueued():
                line.queue = e.queue
            case ev.Answered():
                line.agent, line.wait = e.agent_id, e.wait
            case ev.Abandoned():
                line.wait = e.wait
            case ev.TalkEnded():
                line.talk = e.talk_time
            case ev.CallEnded():
                del self._open[call_id]
                self.write(self._format(e, line))

    def _format(self, e: ev.CallEnded, line: _Line) -> str:
        path = line.path
        if len(path) > MAX_PATH:
            path = [*path[: MAX_PATH // 2], "...", *path[-MAX_PATH // 2 :]]
        parts = [
            self._clock(e.at),
            f"{line.caller or 'anonymous'} -> {line.dialed}",
            f"{line.flow}: {' > '.join(path)}",
        ]
        if line.queue:
            parts.append(f"queue {line.queue}")
        if line.agent:
            parts.append(f"agent {line.agent}")
        outcome = e.how
        if line.wait is not None:
            outcome += f", waited {_duration(line.wait)}"
        if line.talk is not None:
            outcome += f", talked {_duration(line.talk)}"
        parts.append(outcome)
        if e.error:
            parts.append(f"ERROR at {e.node}: {e.error}")
        return "  ".join(parts)

    def _clock(self, at: float) -> str:
        return time.strftime("%H:%M:%S", time.localtime(at) if self.local_time else time.gmtime(at))


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"
