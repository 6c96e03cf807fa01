"""Callback hours: a callback asked for while the queue's callback calendar is closed is made from
its next opening, keeping its place, also across a restart; a queue naming an unknown calendar is
one clear problem at load."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from projectkit import tiny_project

from alur.config.project import ProjectInvalid, load_project
from alur.core.channel import QueueRequest
from alur.core.clock import VirtualClock
from alur.flow.calendars import Calendar
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.store.event_store import EventStore

MON_18 = datetime(2026, 1, 5, 18, tzinfo=UTC).timestamp()  # a Monday
CALENDAR = "name: office\ntimezone: Asia/Jakarta\nhours:\n  mon-fri: ['08:00-17:00']\n"


def test_next_open_is_now_when_open_else_the_next_span_skipping_holidays() -> None:
    cal = Calendar.model_validate(
        {
            "name": "c",
            "hours": {"mon-fri": ["08:00-12:00", "13:00-17:00"]},
            "holidays": [{"date": "2026-01-06"}],
        }
    )
    monday_9 = MON_18 - 9 * 3600
    assert cal.next_open(monday_9) == monday_9
    assert cal.next_open(monday_9 + 3.5 * 3600) == monday_9 + 4 * 3600  # the lunch break ends at 13:00
    assert cal.next_open(MON_18) == MON_18 + 38 * 3600  # Tuesday is a holiday: Wednesday 08:00
    assert Calendar.model_validate({"name": "shut"}).next_open(MON_18) is None


def hours_project(root: Path) -> None:
    tiny_project(root)
    (root / "calendars").mkdir()
    (root / "calendars/office.yaml").write_text(CALENDAR)
    care = (root / "queues/care.yaml").read_text()
    (root / "queues/care.yaml").write_text(care + "callback: {calendar: office}\n")


async def test_a_callback_asked_after_hours_waits_for_the_opening_and_survives_a_restart(
    tmp_path: Path, open_store: Callable[[], EventStore]
) -> None:
    hours_project(tmp_path)
    project = load_project(tmp_path)
    opens = MON_18 + 7 * 3600  # Tuesday 08:00 in Jakarta is 01:00 UTC
    async with ContactCenter(project, clock=VirtualClock(MON_18), store=open_store()) as first:
        assert first.callback_opens("care") == opens and first.callback_opens("sales") is None
        first.execute(cmd.Enqueue("c1", QueueRequest("care")))
        first.execute(cmd.RequestCallback("c1", "+62811", first.callback_opens("care")))
        first.execute(cmd.Login("citra"))
        assert first.router.waiting("care") == [] and first.router.agent_state("citra").value == "available"
        await first.settle()
    clock = VirtualClock(MON_18 + 60)
    async with ContactCenter(project, clock=clock, store=open_store()) as second:
        assert second.router.waiting("care") == []
        clock.run(opens)
        assert second.router.waiting("care") == ["c1"]
        (offer,) = second.router.reservations.values()
        assert (offer.agent_id, offer.call.callback_number) == ("citra", "+62811")


def test_a_queue_naming_an_unknown_callback_calendar_is_one_problem(tmp_path: Path) -> None:
    tiny_project(tmp_path)
    (tmp_path / "queues/care.yaml").write_text("name: care\ncallback:\n  calendar: nope\n")
    with pytest.raises(ProjectInvalid) as err:
        load_project(tmp_path)
    (problem,) = err.value.problems
    assert (problem.file, problem.line, problem.code) == ("queues/care.yaml", 3, "unknown_calendar")
    assert "callback calendar 'nope' is not defined" in problem.message
