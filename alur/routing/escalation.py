"""Escalation ladder: what happens to a call that has waited `after` seconds in its queue.

Steps run in order, each once, counted from the call's entry into its current queue:
widen_skill_level (lower each required level by `by`, or drop skills), add_groups / add_queues (offer
also to agents of other groups or queues: hierarchical or functional escalation), raise_priority
(move ahead of lower-priority callers), move_queue (continue in another queue, keeping the original
arrival so the caller is not sent to the back), overflow (leave for `target`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alur.core.events import Escalated
from alur.routing.queues import Queue

if TYPE_CHECKING:
    from alur.routing.calls import WaitingCall
    from alur.routing.dispatch import Dispatcher


def apply_step(router: Dispatcher, call: WaitingCall, q: Queue) -> None:
    step = q.escalation[call.step]
    call.step += 1
    now = router.clock.now()
    detail = ""
    if step.action == "widen_skill_level":
        if step.drop_skills:
            call.skills = {}
            detail = "skills dropped"
        else:
            call.skills = {s: lvl - step.by for s, lvl in call.skills.items() if lvl - step.by > 0}
            detail = f"skills now {call.skills or 'any'}"
    elif step.action == "add_groups":
        for g in step.groups:
            router._watch(call, ("group", g))
        detail = f"agents of groups {list(step.groups)} added"
    elif step.action == "add_queues":
        for name in step.queues:
            router._watch(call, ("queue", name))
        detail = f"agents of queues {list(step.queues)} added"
    elif step.action == "raise_priority":
        q.line.remove(call)
        call.priority += step.by
        q.line.add(call)
        detail = f"priority now {call.priority}, place {q.line.position(call)}"
    elif step.action == "move_queue":
        detail = f"moved to queue {step.target}"
    elif step.action == "overflow":
        detail = f"overflow to {step.target}"
    router._emit(
        Escalated(now, call.call_id, q.name, call.step, step.action, detail, call.priority, step.target or "")
    )
    router._explain(
        call,
        "escalation",
        f"step {call.step}: {step.action}",
        f"waited {now - call.entered_at:g}s in {q.name} (step after {step.after:g}s): {detail}",
    )
    if step.action == "overflow":
        router._leave(call, "overflow", step.target, "escalation")
        return
    if step.action == "move_queue" and step.target:
        move(router, call, router.queues[step.target])
        return
    router._schedule_step(call, q)
    router._kick(q.name)


def move(router: Dispatcher, call: WaitingCall, to: Queue) -> None:
    """Continue the wait in queue `to`: outstanding offers are withdrawn, the ladder restarts there."""
    for rid in list(call.reservations):
        router._release_id(rid, "moved", notify=True)
    old = router.queues[call.queue]
    old.line.remove(call)
    if call.step_timer is not None:
        call.step_timer.cancel()
    router._unwatch(call)
    call.queue = to.name
    call.entered_at = router.clock.now()
    call.step = 0
    call.skills = {**to.required_skills, **call.base_skills}
    to.line.add(call)
    router._schedule_step(call, to)
    router._dirty[old.name] = None
    router._kick(to.name)


def supervisor_move(router: Dispatcher, call: WaitingCall, to: Queue, by: str) -> None:
    """A person moves the call: logged as a `move_queue` escalation outside the ladder (step kept)."""
    old = call.queue
    now = router.clock.now()
    detail = f"moved to {to.name} by {by or 'supervisor'}"
    router._emit(Escalated(now, call.call_id, old, call.step, "move_queue", detail, call.priority, to.name))
    router._explain(
        call, "escalation", "supervisor: move_queue", f"{by or 'a supervisor'} moved it {old} -> {to.name}"
    )
    move(router, call, to)


def supervisor_priority(router: Dispatcher, call: WaitingCall, priority: int, by: str) -> None:
    """A person sets the call's priority: its place in line changes at once."""
    q = router.queues[call.queue]
    q.line.remove(call)
    call.priority = priority
    q.line.add(call)
    detail = f"priority set to {priority} by {by or 'supervisor'}, place {q.line.position(call)}"
    router._emit(
        Escalated(router.clock.now(), call.call_id, q.name, call.step, "raise_priority", detail, priority)
    )
    router._explain(call, "escalation", "supervisor: priority", detail)
    router._kick(q.name)
