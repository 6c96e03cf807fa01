"""`alur calls`: recent calls from the event log, and one call's whole story."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from alur.cli import app
from alur.core import events as ev
from alur.store.event_store import EventStore

T = 1_767_250_800.0


def day_log(path: Path) -> Path:
    store = EventStore(str(path))
    store.append_many(
        [
            ev.CallArrived(T, "c1", "+62811", "1000", "main"),
            ev.NodeEntered(T + 1, "c1", "main", "welcome", "play"),
            ev.NodeEntered(T + 2, "c1", "main", "billing_q", "queue"),
            ev.CallQueued(T + 2, "c1", "billing"),
            ev.Answered(T + 14, "c1", "ayu", "billing", 12.0),
            ev.VariableSet(T + 20, "c1", "survey_score", 5),
            ev.TalkEnded(T + 200, "c1", "ayu", "billing", 186.0),
            ev.CallEnded(T + 200, "c1", "caller_hangup", "billing_q"),
            ev.CallArrived(T + 300, "c2", "+62822", "1000", "main"),
        ]
    )
    store.close()
    return path


def test_lists_recent_calls_newest_first(tmp_path: Path) -> None:
    db = day_log(tmp_path / "alur.db")
    result = CliRunner().invoke(app, ["calls", str(tmp_path), "--limit", "5"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "+628" in line]
    assert "+62822" in lines[0] and "in progress" in lines[0]
    assert (
        "+62811" in lines[1] and "billing" in lines[1] and "ayu" in lines[1] and "caller_hangup" in lines[1]
    )
    assert db.exists()


def test_one_calls_history_in_order(tmp_path: Path) -> None:
    db = day_log(tmp_path / "events.db")
    result = CliRunner().invoke(app, ["calls", str(db), "c1"])
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[0] == "call c1: +62811 -> 1000, flow main v0, caller_hangup, queue billing, agent ayu"
    kinds = [line.split()[1] for line in out[1:]]
    assert kinds == [
        "call.arrived", "ivr.node_entered", "ivr.node_entered", "queue.joined", "offer.answered",
        "ivr.variable_set", "call.talk_ended", "call.ended",
    ]  # fmt: skip
    assert "name=survey_score  value=5" in result.output


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["calls", str(tmp_path / "nope.db")])
    assert missing.exit_code == 2 and "no event log at" in missing.output
    assert not (tmp_path / "nope.db").exists()  # no empty database made by a typo
    day_log(tmp_path / "alur.db")
    limit = runner.invoke(app, ["calls", str(tmp_path), "--limit", "0"])
    assert limit.exit_code == 2 and "--limit must be 1..10000 (got 0)" in limit.output
    unknown = runner.invoke(app, ["calls", str(tmp_path), "c9"])
    assert unknown.exit_code == 1 and "no call 'c9' in this event log" in unknown.output
