"""`alur report`: the API's call report read from an event log, printed and as CSV; bad input in one line."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alur.api.reports import build_report, to_csv
from alur.cli import app
from alur.core import events as ev
from alur.store.event_store import EventStore

T = 1_767_250_800.0  # 2026-01-01 07:00 UTC
DAY = ["--since", "2026-01-01T00:00Z", "--until", "2026-01-02T00:00Z"]


def handled(call_id: str, at: float, agent: str, resolved: bool, caller: str) -> list[ev.Event]:
    return [
        ev.CallArrived(at, call_id, caller, "1000", "main"),
        ev.MenuOptionChosen(at + 1, call_id, "main", "menu", "1"),
        ev.CallQueued(at + 2, call_id, "billing"),
        ev.Answered(at + 12, call_id, agent, "billing", 10.0),
        ev.TalkEnded(at + 100, call_id, agent, "billing", 88.0),
        ev.CallEnded(at + 100, call_id, "caller_hangup", "q"),
        ev.Disposition(at + 110, call_id, agent, "refund", resolved),
        ev.WrapUpDone(at + 110, agent, call_id, "billing", 10.0),
    ]


def day_log(path: Path) -> Path:
    store = EventStore(str(path))
    store.append_many(
        [
            *handled("c1", T, "ayu", True, "+62811"),
            *handled("c2", T + 600, "ayu", False, "+62812"),  # marked unresolved in the wrap-up
            *handled("c3", T + 1200, "budi", True, "+62813"),
            ev.CallArrived(T + 1800, "c4", "+62822", "1000", "main"),
            ev.MenuOptionChosen(T + 1801, "c4", "main", "menu", "2"),
            ev.CallQueued(T + 1802, "c4", "billing"),
            ev.Abandoned(T + 1830, "c4", "billing", 28.0),
            ev.CallEnded(T + 1830, "c4", "caller_hangup", "q"),
            # c3's customer calls again the next day (after the report's end): c3 was not resolved
            ev.CallArrived(T + 86_400 + 3600, "c5", "+62813", "1000", "main"),
        ]
    )
    store.close()
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["report", *args])
    return result.exit_code, result.output


def test_report_per_queue_prints_the_api_figures_and_writes_the_same_csv(tmp_path: Path) -> None:
    db = day_log(tmp_path / "calls.db")
    out = tmp_path / "queues.csv"
    code, text = run(str(db), *DAY, "--by", "queue", "--csv", str(out))
    assert code == 0, text
    assert "first-contact resolution: 1 of 3 handled calls (33%)" in text
    assert "IVR main/menu option 1: 3 (75%)" in text and "dispositions: refund 3" in text
    [row] = list(csv.DictReader(out.open()))
    assert (row["queue"], row["offered"], row["answered"], row["abandoned"]) == ("billing", "4", "3", "1")
    store = EventStore(str(db))
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    api = build_report(store, since, until, "30m", {}, None, "queue", T + 86_400)
    store.close()
    assert out.read_text() == to_csv(api["rows"])  # the very rows /reports/queue?format=csv gives


def test_report_per_agent_and_per_interval(tmp_path: Path) -> None:
    db = day_log(tmp_path / "calls.db")
    code, text = run(str(db), *DAY, "--by", "agent")
    assert code == 0, text
    ayu = next(line for line in text.splitlines() if "ayu" in line)
    assert "0.50" in ayu  # FCR: one of ayu's two calls resolved
    code, text = run(str(db), *DAY, "--interval", "60m")
    assert code == 0 and "2026-01-01 07:00" in text


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--since", "yesterday"], "error: --since: expected an ISO 8601 date"),
        (["--until", "2026-13-01"], "error: --until: expected an ISO 8601 date"),
        (["--since", "2026-01-02", "--until", "2026-01-01"], "error: --until must be after --since"),
        (["--by", "week"], "error: --by must be interval, queue or agent (got 'week')"),
        (["--interval", "7m"], "error: --interval must be one of 15m, 30m, 60m, day (got '7m')"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    db = day_log(tmp_path / "calls.db")
    code, text = run(str(db), *args)
    assert code == 2 and text.strip().startswith(words) and len(text.strip().splitlines()) == 1, text


def test_a_missing_log_is_one_line(tmp_path: Path) -> None:
    code, text = run(str(tmp_path / "nope.db"), *DAY)
    assert code == 2 and text.strip() == f"error: no event log at {tmp_path / 'nope.db'} " + (
        "(give a project directory, a .db file or a URL)"
    )
    assert not (tmp_path / "nope.db").exists()
