"""A contact center that dies and starts again on the same log carries on where it was.

The first center's log is left as a `kill -9` leaves it: nothing is written at the end (a clean
stop writes nothing more either). The second center reads it back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from projectkit import tiny_project

from alur.core import events as ev
from alur.core.channel import QueueRequest
from alur.core.clock import VirtualClock
from alur.core.envelope import Envelope
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.store.event_store import EventStore

T0 = 1_767_225_600.0


def offer_of(center: ContactCenter, call_id: str) -> str:
    (rid,) = [r.id for r in center.router.reservations.values() if r.call.call_id == call_id]
    return rid


async def test_after_a_crash_calls_are_closed_agents_keep_their_state_callbacks_keep_their_place(
    tmp_path: Path, open_store: Callable[[], EventStore]
) -> None:
    project = tiny_project(tmp_path)
    store = open_store()
    first = ContactCenter(project, clock=VirtualClock(T0), store=store, server_id="node-1")
    async with first:
        do = first.execute
        for agent in ("ana", "budi", "citra"):
            do(cmd.Login(agent))
        do(cmd.Enqueue("c1", QueueRequest("sales")))  # ana (first in order) answers, talks, wraps up
        do(cmd.Answer(offer_of(first, "c1")))
        do(cmd.Hangup("c1", "agent"))
        do(cmd.Enqueue("c2", QueueRequest("sales")))  # budi's phone rings: the crash comes mid-offer
        do(cmd.Enqueue("c3", QueueRequest("care")))  # citra talks, and asks to pause after this call
        do(cmd.Answer(offer_of(first, "c3")))
        do(cmd.Pause("citra", "meeting"))
        do(cmd.Enqueue("c4", QueueRequest("sales")))  # nobody free: the caller leaves a number
        do(cmd.RequestCallback("c4", "+62811000"))
        do(cmd.Enqueue("c5", QueueRequest("care")))  # nobody free: waiting when the process dies
        states = {a: first.router.agent_state(a).value for a in ("ana", "budi", "citra")}
        assert states == {"ana": "wrap_up", "budi": "reserved", "citra": "busy"}
        await first.settle()
        last_seq = first.bus.seq

    seen: list[Envelope] = []

    async def record(batch: list[Envelope]) -> None:
        seen.extend(batch)

    clock = VirtualClock(T0 + 10)
    second = ContactCenter(project, clock=clock, store=open_store(), server_id="node-1")
    second.bus.subscribe("record", record)
    async with second:
        router = second.router
        assert router.agent_state("citra").value == "paused"  # the call died; her request still holds
        assert router.agents["citra"].pause_reason == "meeting"
        assert router.agent_state("ana").value == "wrap_up"  # 20 s of her wrap-up are left
        assert router.waiting("sales") == ["c4"]  # the callback is back in line, and at once offered
        (callback,) = router.reservations.values()
        assert (callback.call.call_id, callback.agent_id, callback.call.callback_number) == (
            "c4",
            "budi",
            "+62811000",
        )
        assert router.waiting("care") == []
        second.execute(cmd.Answer(callback.id))  # budi takes the callback
        clock.run(T0 + 30)
        assert router.agent_state("ana").value == "available"
        await second.settle()
    events = [e.event for e in seen]
    assert all(e.seq > last_seq for e in seen)  # the sequence carries on across the restart
    ended = {e.call_id: e.how for e in events if isinstance(e, ev.CallEnded)}
    assert ended == {c: "server_lost" for c in ("c1", "c2", "c3", "c4", "c5")}
    lost_offer = [e for e in events if isinstance(e, ev.OfferDeclined)]
    assert [(e.call_id, e.agent_id, e.reason) for e in lost_offer] == [("c2", "budi", "server_lost")]
    talk = [e for e in events if isinstance(e, ev.TalkEnded)]
    assert [(e.call_id, e.agent_id, e.ended_by) for e in talk] == [("c3", "citra", "server_lost")]
    (boot,) = [e for e in events if isinstance(e, ev.ServerStarted)]
    assert (boot.server, boot.agents_restored, boot.calls_closed, boot.callbacks_restored) == (
        "node-1",
        3,
        5,
        1,
    )


async def test_pause_and_log_out_survive_a_restart(
    tmp_path: Path, open_store: Callable[[], EventStore]
) -> None:
    project = tiny_project(tmp_path)
    async with ContactCenter(project, clock=VirtualClock(T0), store=open_store()) as first:
        first.execute(cmd.Login("ana"))
        first.execute(cmd.Pause("ana", "training"))
        first.execute(cmd.Login("budi"))
        first.execute(cmd.Enqueue("c1", QueueRequest("care")))
        first.execute(cmd.Answer(offer_of(first, "c1")))
        first.execute(cmd.Logout("budi"))  # on a call: logs out when it ends
        await first.settle()
    async with ContactCenter(project, clock=VirtualClock(T0 + 5), store=open_store()) as second:
        assert second.router.agent_state("ana").value == "paused"
        assert second.router.agents["ana"].pause_reason == "training"
        assert second.router.agent_state("budi").value == "offline"
        assert second.router.agent_state("citra").value == "offline"


async def test_a_callback_keeps_its_tries_and_next_try_time_across_a_restart(
    tmp_path: Path, open_store: Callable[[], EventStore]
) -> None:
    project = tiny_project(tmp_path)  # care: default callback settings, 3 tries 300 s apart
    async with ContactCenter(project, clock=VirtualClock(T0), store=open_store()) as first:
        do = first.execute
        for call_id in ("c1", "c2"):
            do(cmd.Enqueue(call_id, QueueRequest("care")))
            do(cmd.RequestCallback(call_id, f"+62811{call_id}"))
        do(cmd.Login("citra"))
        do(cmd.Answer(offer_of(first, "c1")))
        do(cmd.CallbackAttempt("c1", False, "no_answer"))  # next try at T0 + 300
        do(cmd.Answer(offer_of(first, "c2")))  # the process dies while c2's customer rings
        await first.settle()

    seen: list[Envelope] = []

    async def record(batch: list[Envelope]) -> None:
        seen.extend(batch)

    clock = VirtualClock(T0 + 10)
    second = ContactCenter(project, clock=clock, store=open_store())
    second.bus.subscribe("record", record)
    async with second:
        router = second.router
        assert router.waiting("care") == ["c2"]  # the try cut short is made again at once
        assert list(router.retrying) == ["c1"]
        second.execute(cmd.Answer(offer_of(second, "c2")))
        second.execute(cmd.CallbackAttempt("c2", True))
        second.execute(cmd.Hangup("c2", "caller"))
        clock.run(T0 + 300)
        assert router.waiting("care") == ["c1"]
        second.execute(cmd.Answer(offer_of(second, "c1")))
        second.execute(cmd.CallbackAttempt("c1", False, "busy"))
        await second.settle()
    tries = [e.event for e in seen if isinstance(e.event, ev.CallbackAttempted)]
    assert [(t.call_id, t.attempt, t.reached, t.retry_at) for t in tries] == [
        ("c2", 1, True, None),
        ("c1", 2, False, T0 + 600),
    ]
    (boot,) = [e.event for e in seen if isinstance(e.event, ev.ServerStarted)]
    assert boot.callbacks_restored == 2
