"""Occupancy counts digital work: an agent holding at least one chat, SMS or e-mail is occupied."""

from __future__ import annotations

import pytest

from alur.core import events as ev
from alur.metrics.kpis import KpiFold, kpis_of


def chat_day() -> list[ev.Event]:
    """ann logs in at 0, holds chat k1 100..400 and k2 200..500 (overlapping), takes a call 600..700,
    pauses at 800 while still holding chat k3 (answered 750, closed 900), logs out at 1000."""
    return [
        ev.AgentStateChanged(0.0, "ann", "offline", "available"),
        ev.CallQueued(90.0, "k1", "web"),
        ev.Offered(90.0, "k1", "ann", "web", "r1", 120.0),  # an offer not yet accepted: not occupied
        ev.Answered(100.0, "k1", "ann", "web", wait=10.0),
        ev.CallQueued(200.0, "k2", "web"),
        ev.Answered(200.0, "k2", "ann", "web", wait=0.0),
        ev.TalkEnded(400.0, "k1", "ann", "web", talk_time=300.0, ended_by="agent"),
        ev.TalkEnded(500.0, "k2", "ann", "web", talk_time=300.0, ended_by="agent"),
        ev.AgentStateChanged(600.0, "ann", "available", "busy"),
        ev.AgentStateChanged(700.0, "ann", "busy", "available"),
        ev.CallQueued(750.0, "k3", "web"),
        ev.Answered(750.0, "k3", "ann", "web", wait=0.0),
        ev.AgentStateChanged(800.0, "ann", "available", "paused", "break"),
        ev.TalkEnded(900.0, "k3", "ann", "web", talk_time=150.0, ended_by="agent"),
        ev.AgentStateChanged(1000.0, "ann", "paused", "offline"),
    ]


def test_an_agent_holding_chats_is_occupied_once_however_many() -> None:
    snap = kpis_of(chat_day(), interval=3600, digital_queues=["web"])
    ann = snap.agents["ann"]
    # occupied: chats 100..500 (two at once count once), the call 600..700, chat k3 750..900 (paused
    # from 800, but finishing a chat: staffed); staffed: 0..800 available or on tasks, plus 800..900
    assert ann.working_time == pytest.approx(400 + 100 + 150)
    assert ann.staffed_time == pytest.approx(900)
    assert ann.occupancy == pytest.approx(650 / 900)
    assert snap.total.occupancy == pytest.approx(650 / 900)
    assert snap.intervals[0.0].working_time == pytest.approx(650)


def test_without_digital_queues_only_voice_counts() -> None:
    ann = kpis_of(chat_day(), interval=3600).agents["ann"]
    assert ann.working_time == pytest.approx(100) and ann.staffed_time == pytest.approx(800)


def test_open_chat_counts_up_to_the_snapshot_and_the_fold_is_unchanged() -> None:
    fold = KpiFold(interval=3600, digital_queues=["web"])
    for e in chat_day()[:4]:
        fold.apply(e)
    assert fold.snapshot(now=300.0).agents["ann"].working_time == pytest.approx(200)
    assert fold.snapshot(now=350.0).agents["ann"].working_time == pytest.approx(250)
    assert fold.agents["ann"].working_time == 0.0  # the open span is counted in the copy only
