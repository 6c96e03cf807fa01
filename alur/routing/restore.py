"""Putting a fresh router back where a crashed one left off (see `alur.service.rebuild`).

After a restart every agent starts offline and no call is waiting. The service reads the event log
and calls these methods: agents return to the state they were in (a pause keeps its reason, a pending
"pause/log out after this call" is kept), a call that was connected comes back connected so that
ending it (`talk_ended(..., "server_lost")`) runs the normal wrap-up, and a promised callback returns
to its place in line. None of them emits the facts again (no second CallQueued for a callback), only
the state changes the new process makes.
"""

from __future__ import annotations

from functools import partial

from alur.core.events import AgentStateChanged
from alur.routing.agents import Agent, AgentState, States
from alur.routing.callbacks import CallingBack
from alur.routing.calls import WaitingCall
from alur.routing.errors import RoutingError
from alur.routing.state import raise_illegal

S = States
RESTORED = "restored"


class Restoring(CallingBack):
    """The restore half of `Router`'s API."""

    def restore_agent(
        self,
        agent_id: str,
        state: str,
        *,
        reason: str = "",
        since: float | None = None,
        pending: str = "",
        pending_reason: str = "",
    ) -> None:
        """Offline -> the logged state. An offer (reserved/ringing) died with the process: the agent
        is available again. Busy and wrap-up are restored with `restore_connected` / `restore_wrap_up`."""
        agent = self._agent(agent_id)
        if agent.state is not S.OFFLINE:
            raise_illegal(agent, "be restored", "offline")
        wanted = AgentState(state)
        if wanted in (S.BUSY, S.WRAP_UP):
            raise RoutingError(
                f"agent {agent_id!r}: restore a call with restore_connected / restore_wrap_up",
                code="bad_restore",
                value=state,
            )
        if wanted is S.OFFLINE:
            return
        if wanted is S.PAUSED:
            self._set_state(agent, S.PAUSED, reason)
        else:
            self._set_state(agent, S.AVAILABLE, RESTORED)
        if since is not None and wanted in (S.PAUSED, S.AVAILABLE):
            agent.state_since = since
        self._keep_pending(agent, pending, pending_reason)
        self._run()

    def restore_connected(
        self,
        agent_id: str,
        call_id: str,
        queue: str,
        answered_at: float,
        *,
        pending: str = "",
        pending_reason: str = "",
    ) -> None:
        """The agent was talking on `call_id`: busy again, and the call is connected, so that
        `talk_ended` closes it with the talk time and the queue's wrap-up."""
        agent = self._agent(agent_id)
        self._queue(queue)
        self._place(agent, S.BUSY, answered_at)
        agent.call_id, agent.call_queue, agent.answered_at = call_id, queue, answered_at
        self.connected[call_id] = (agent_id, queue, answered_at)
        self._keep_pending(agent, pending, pending_reason)

    def restore_wrap_up(
        self,
        agent_id: str,
        call_id: str,
        queue: str,
        started: float,
        *,
        pending: str = "",
        pending_reason: str = "",
    ) -> None:
        """After-call work goes on for what is left of the queue's wrap-up time (ends now if none)."""
        agent = self._agent(agent_id)
        wrap = self._queue(queue).wrap_up
        self._place(agent, S.WRAP_UP, started)
        agent.call_id, agent.call_queue, agent.wrap_started = call_id, queue, started
        self._keep_pending(agent, pending, pending_reason)
        left = started + wrap - self.clock.now()
        agent.wrap_timer = self.clock.call_later(max(left, 0.0), partial(self._wrap_done, agent))

    def restore_callback(
        self,
        call_id: str,
        queue: str,
        number: str,
        first_at: float,
        *,
        priority: int = 0,
        skills: dict[str, int] | None = None,
        language: str | None = None,
        vip: bool = False,
        call_type: str = "",
        attempts: int = 0,
        not_before: float | None = None,
    ) -> None:
        """A promised callback goes back in line with its first arrival time, so it keeps its place
        among the calls restored with it (restore them in their original order); one between two
        tries returns at `not_before`."""
        q = self._queue(queue)
        if call_id in self.calls or call_id in self.retrying:
            raise RoutingError(f"call {call_id!r} is already queued", code="duplicate_call", value=call_id)
        self._seq += 1
        skills = dict(skills or {})
        call = WaitingCall(
            call_id, q.name, self._seq, first_at, priority, skills, language, vip, call_type, {}, None
        )
        call.callback_number = number
        call.attempts = attempts
        self._retry_at(call, not_before if not_before is not None else first_at)

    def restore_task(self, agent_id: str, task_id: str, queue: str, answered_at: float) -> None:
        """A chat/SMS/e-mail the agent held goes on holding one of its slots (the agent is restored
        first: an agent who is not logged in holds none)."""
        agent, q = self._agent(agent_id), self._queue(queue)
        if not q.digital:
            raise RoutingError(
                f"queue {queue!r} is a voice queue: restore a call", code="bad_restore", value=queue
            )
        if agent.state is S.OFFLINE:
            raise_illegal(agent, "hold a restored task", "logged in")
        if task_id in self.connected or task_id in self.calls:
            raise RoutingError(f"task {task_id!r} is already restored", code="duplicate_call", value=task_id)
        agent.tasks.add(task_id)
        agent.load[q.channel] = agent.load.get(q.channel, 0) + 1
        self.connected[task_id] = (agent_id, queue, answered_at)
        self._refresh_digital(agent)

    def restore_waiting(
        self,
        task_id: str,
        queue: str,
        first_at: float,
        *,
        priority: int = 0,
        skills: dict[str, int] | None = None,
        language: str | None = None,
        vip: bool = False,
        call_type: str = "",
    ) -> None:
        """A task that was waiting goes back in line with its first arrival time (restore them in
        their original order), its queue's max-wait and escalation counted from then; no second
        `CallQueued` is logged."""
        q = self._queue(queue)
        if task_id in self.calls or task_id in self.connected:
            raise RoutingError(f"task {task_id!r} is already queued", code="duplicate_call", value=task_id)
        self._seq += 1
        asked = dict(skills or {})
        call = WaitingCall(
            task_id, q.name, self._seq, first_at, priority, asked, language, vip, call_type, {}, None
        )
        self.calls[task_id] = call
        q.line.add(call)
        if q.max_wait is not None:
            due = max(first_at + q.max_wait, self.clock.now())
            call.max_wait_timer = self.clock.call_at(due, partial(self._max_wait, call))
        if q.escalation:
            self._schedule_step(call, q)
        self._dirty[q.name] = None
        self._run()

    def _place(self, agent: Agent, new: AgentState, since: float) -> None:
        """Offline -> busy or wrap-up without the steps between (they happened before the crash)."""
        if agent.state is not S.OFFLINE:
            raise_illegal(agent, "be restored", "offline")
        agent.state = new
        agent.state_since = since
        for queue in agent.memberships:
            self.queues[queue].staffed += 1
        self._emit(AgentStateChanged(self.clock.now(), agent.id, "offline", new.value, RESTORED))

    @staticmethod
    def _keep_pending(agent: Agent, pending: str, reason: str) -> None:
        agent.pending_logout = pending == "logout"
        agent.pending_pause = reason if pending == "pause" else None
