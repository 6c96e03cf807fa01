"""State snapshots: a start folds the latest snapshot and the rows after it, and gets the state the
whole log gives; a snapshot that cannot be used is passed over for the log."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path

from projectkit import busy_project
from test_replay import STEP, T0, act

from alur.core.clock import VirtualClock
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.service.snapshots import FORMAT, Snapshots, to_json
from alur.service.state import LiveState
from alur.store.event_store import EventStore
from alur.store.snapshots import SnapshotStore


def whole_log(store: EventStore) -> LiveState:
    return LiveState().apply_all(e.event for _row, e in store.envelopes())


async def test_snapshot_plus_the_rows_after_it_is_the_whole_logs_state(
    tmp_path: Path, open_store: Callable[[], EventStore]
) -> None:
    project = busy_project(tmp_path, agents=6)
    clock = VirtualClock(T0)
    rng = random.Random(7)
    async with ContactCenter(project, clock=clock, store=open_store()) as center:
        store = center.store
        assert store is not None
        for agent_id in center.router.agents:
            center.execute(cmd.Login(agent_id))
        snapshots = Snapshots(store)
        for n in range(1, 601):
            act(center, rng, n)
            clock.run(clock.now() + STEP)
            if n % 150 == 0:
                await center.settle()
                through, state = await asyncio.to_thread(snapshots.read)
                assert to_json(state) == to_json(whole_log(store)), f"at step {n}"
                latest = SnapshotStore(store.engine).latest()
                assert latest is not None and latest[0] == through  # saved for the next start
        assert state.calls or state.callbacks  # calls were in flight: the snapshot carried them
        folded_after = sum(1 for _ in store.envelopes(after_id=through))
        assert folded_after < sum(1 for _ in store.envelopes()) / 2  # the next start reads far less


def test_an_unusable_snapshot_is_passed_over_for_the_log(tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'log.db'}")
    from alur.core import events as ev

    store.append_many([ev.AgentStateChanged(1.0, "ayu", "offline", "available")])
    saved = SnapshotStore(store.engine)
    saved.save(1, FORMAT + 1, "{}")  # another layout
    through, state = Snapshots(store).read()
    assert state.agents["ayu"].state == "available" and through == 1
    saved.save(1, FORMAT, "not json")
    through, state = Snapshots(store).read()
    assert state.agents["ayu"].state == "available"
    store.close()
