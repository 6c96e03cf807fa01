"""Snapshots of the live state, so that a start does not fold the whole log.

A contact center that has run for a year has millions of events in its log; folding all of them on
every start would make a restart take minutes. Every so often (and at each start) the live state's
fold is saved with the row of the log it reaches; a start loads the latest snapshot and folds only the
rows after it. The snapshot is a cache of the log, never its replacement: a snapshot of another
layout (`FORMAT`) or one that cannot be read is ignored and the log is folded from its start.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, fields
from typing import Any

from alur.core import events as ev
from alur.core.codec import event_from_dict, event_to_dict
from alur.service.state import AgentView, CallbackView, CallView, ConversationView, LiveState, PhoneView
from alur.store.snapshots import SnapshotStore

log = logging.getLogger("alur.service")

FORMAT = 2  # the layout of the JSON below; change it when LiveState's shape changes
EVERY = 50_000  # rows folded between two snapshots while running
INTERVAL = 300.0  # seconds between two looks at how far the log has grown


def to_json(state: LiveState) -> str:
    def view(item: Any) -> dict[str, Any]:
        data = {f.name: getattr(item, f.name) for f in fields(item)}
        if isinstance(data.get("queued"), ev.CallQueued):
            data["queued"] = event_to_dict(data["queued"])
        return data

    return json.dumps({
        "agents": {k: asdict(v) for k, v in state.agents.items()},
        "calls": {k: view(v) for k, v in state.calls.items()},
        "callbacks": {k: view(v) for k, v in state.callbacks.items()},
        "phones": {k: asdict(v) for k, v in state.phones.items()},
        "conversations": {k: asdict(v) for k, v in state.conversations.items()},
        "last_at": state.last_at,
        "order": state.order,
    }, separators=(",", ":"))  # fmt: skip


def from_json(text: str) -> LiveState:
    data = json.loads(text)

    def queued(item: dict[str, Any]) -> dict[str, Any]:
        if item.get("queued") is not None:
            item["queued"] = event_from_dict(item["queued"])
        return item

    state = LiveState()
    state.agents = {k: AgentView(**v) for k, v in data["agents"].items()}
    state.calls = {k: CallView(**queued(v)) for k, v in data["calls"].items()}
    state.callbacks = {k: CallbackView(**queued(v)) for k, v in data["callbacks"].items()}
    state.phones = {k: PhoneView(**v) for k, v in data["phones"].items()}
    state.conversations = {k: ConversationView(**v) for k, v in data["conversations"].items()}
    state.last_at = float(data["last_at"])
    state.order = int(data["order"])
    return state


class Snapshots:
    """Folds the log from the latest snapshot and saves new ones (blocking methods: off the loop)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.saved = SnapshotStore(store.engine)

    def load(self) -> tuple[int, LiveState]:
        """(row it reaches, state) of the latest usable snapshot; (0, empty) when there is none."""
        try:
            latest = self.saved.latest()
            if latest is not None and latest[1] == FORMAT:
                return latest[0], from_json(latest[2])
        except Exception as error:  # a snapshot is a cache: any trouble means folding the log instead
            log.warning(
                "state snapshot unusable (%s: %s): folding the whole log", type(error).__name__, error
            )
        return 0, LiveState()

    def fold(self, through: int, state: LiveState) -> int:
        """Fold the rows after `through` into `state`; returns the last row folded."""
        for row, envelope in self.store.envelopes(after_id=through):
            state.apply(envelope.event)
            through = row
        return through

    def read(self) -> tuple[int, LiveState]:
        """The live state of the whole log: the latest snapshot and the rows after it, saved anew when
        the log has grown since (a start's job)."""
        start, state = self.load()
        through = self.fold(start, state)
        if through > start:
            self.saved.save(through, FORMAT, to_json(state))
        return through, state

    async def keep(
        self, through: int, state: LiveState, every: int = EVERY, interval: float = INTERVAL
    ) -> None:
        """While the center runs: every `interval` seconds fold what the log gained, and save a
        snapshot once `every` rows have been folded since the last one."""
        saved_at = through
        while True:
            await asyncio.sleep(interval)
            through = await asyncio.to_thread(self.fold, through, state)
            if through - saved_at >= every:
                await asyncio.to_thread(self.saved.save, through, FORMAT, to_json(state))
                saved_at = through
