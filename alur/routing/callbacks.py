"""Calling back: each try at reaching a customer who left a number, retries and the give-up rule.

A callback waits in line like a call. When an agent takes it (`answer`), the driver dials; it then
reports the try with `callback_attempted`. A reached customer talks with the agent as usual. An
unreached one ends the agent's part (`talk_ended`, so wrap-up applies) and the callback returns to
its place in line (same arrival, same sequence) after the queue's `callback.retry_after`, until
`callback.attempts` tries are used up: then it is given up with `CallbackFailed`.
"""

from __future__ import annotations

from functools import partial

from alur.core.events import CallbackAttempted, CallbackFailed
from alur.routing.calls import WaitingCall
from alur.routing.dispatch import Dispatcher
from alur.routing.errors import RoutingError

UNREACHED = "callback_unreached"


class CallingBack(Dispatcher):
    """The callback half of `Router`'s API."""

    def talk_ended(self, call_id: str, ended_by: str = "caller") -> None:  # pragma: no cover
        raise NotImplementedError  # `Router.talk_ended`

    def callback_attempted(self, call_id: str, reached: bool, outcome: str = "") -> float | None:
        """A try at the customer of callback `call_id` (connected to its agent) ended; returns when
        the next try is due (None: reached, or given up)."""
        call = self.dialing.get(call_id)
        conn = self.connected.get(call_id)
        if call is None or conn is None:
            raise RoutingError(
                f"call {call_id!r} is not a callback being dialled", code="not_dialling", value=call_id
            )
        agent_id, queue = conn[0], conn[1]
        settings = self.queues[call.queue].config.callback
        call.attempts += 1
        now = self.clock.now()
        outcome = outcome or ("answered" if reached else "no_answer")
        if reached:
            self._emit(CallbackAttempted(now, call_id, queue, agent_id, True, call.attempts, outcome))
            return None
        del self.dialing[call_id]
        retry_at = now + settings.retry_after if call.attempts < settings.attempts else None
        self._emit(CallbackAttempted(now, call_id, queue, agent_id, False, call.attempts, outcome, retry_at))
        self.talk_ended(call_id, ended_by=UNREACHED)
        if retry_at is None:
            self._emit(CallbackFailed(now, call_id, call.queue, call.attempts, "attempts_exhausted"))
            self._explain(call, "outcome", "callback_failed", f"not reached in {call.attempts} tries")
        else:
            self._retry_at(call, retry_at)
        return retry_at

    def _retry_at(self, call: WaitingCall, when: float) -> None:
        """Back in line at `when` (at once if due): its sequence is kept, so is its place."""
        call.reservations = []
        call.excluded = {}
        call.max_wait_timer = call.step_timer = None
        call.extra_pools = []
        if when <= self.clock.now():
            self._back_in_line(call)
            return
        timer = self.clock.call_at(when, partial(self._back_in_line, call))
        self.retrying[call.call_id] = (call, timer)

    def _back_in_line(self, call: WaitingCall) -> None:
        self.retrying.pop(call.call_id, None)
        q = self.queues[call.queue]
        self.calls[call.call_id] = call
        q.line.add(call)
        if q.escalation:
            self._schedule_step(call, q)
        self._dirty[q.name] = None
        self._run()

    def drop_retry(self, call_id: str) -> bool:
        """Give up a callback waiting for its next try (the customer cancelled it)."""
        entry = self.retrying.pop(call_id, None)
        if entry is None:
            return False
        call, timer = entry
        timer.cancel()
        self._emit(CallbackFailed(self.clock.now(), call_id, call.queue, call.attempts, "cancelled"))
        return True
