"""Supervision and recording routes through the real HTTP server: who may, what is checked and named,
and that each request reaches the adapter carrying the call. (The media itself, on real SIP calls:
tests/e2e/test_call_media.py.)"""

from __future__ import annotations

from apikit import Api, on_a_call

from alur.core import events as ev


async def test_supervising_needs_a_call_a_mode_and_the_queue(api: Api) -> None:
    none = await api.call("supervisor", "POST", "/agents/ayu/supervise", json={"mode": "monitor"})
    assert none.status_code == 409 and none.json()["message"] == "agent 'ayu' is not on a call"
    await on_a_call(api, "s1")
    bad = await api.call("supervisor", "POST", "/agents/ayu/supervise", json={"mode": "spy"})
    assert bad.status_code == 422 and bad.json()["field"] == "mode"
    extra = await api.call("supervisor", "POST", "/agents/ayu/supervise", json={"mode": "monitor", "x": 1})
    assert extra.status_code == 422 and extra.json()["field"] == "x"
    other = await api.call("sales_supervisor", "POST", "/agents/ayu/supervise", json={"mode": "monitor"})
    assert other.status_code == 403  # a billing call: not this supervisor's queue
    agent = await api.call("agent", "POST", "/agents/ayu/supervise", json={"mode": "monitor"})
    assert agent.status_code == 403
    no_sip = await api.call(
        "supervisor", "POST", "/agents/ayu/supervise", json={"mode": "monitor", "phone": "3001"}
    )
    assert no_sip.status_code == 409 and no_sip.json()["error"] == "no_device"  # no SIP adapter here


async def test_supervision_requests_reach_the_adapter_carrying_the_call(api: Api) -> None:
    await on_a_call(api, "s2")
    asked: list[tuple[str, ...]] = []
    devices = api.center.devices
    devices.supervise = lambda agent, mode, phone, who: asked.append((agent, mode, phone))
    devices.end_supervision = lambda agent: asked.append((agent, "leave"))
    r = await api.call(
        "supervisor", "POST", "/agents/ayu/supervise", json={"mode": "monitor", "phone": "3001"}
    )
    assert r.json() == {"call_id": "s2", "agent_id": "ayu", "mode": "monitor", "phone": "3001"}
    r = await api.call("admin", "POST", "/agents/ayu/supervise", json={"mode": "barge", "phone": " 3001 "})
    assert r.status_code == 200 and r.json()["phone"] == "3001"
    assert (await api.call("supervisor", "DELETE", "/agents/ayu/supervise")).status_code == 200
    assert asked == [("ayu", "monitor", "3001"), ("ayu", "barge", "3001"), ("ayu", "leave")]


async def test_pausing_the_recording_is_an_event_and_needs_a_recorded_call(api: Api) -> None:
    none = await api.call("agent", "POST", "/agents/ayu/recording/pause")
    assert none.status_code == 409 and none.json()["message"] == "agent 'ayu' is not on a call"
    await on_a_call(api, "r1")
    unrecorded = await api.call("agent", "POST", "/agents/ayu/recording/pause")
    assert unrecorded.status_code == 409 and unrecorded.json()["message"] == "call 'r1' is not being recorded"
    paused: list[tuple[str, bool]] = []
    api.center.devices.pause_recording = lambda call_id, on: paused.append((call_id, on)) is None
    for action in ("pause", "resume"):
        r = await api.call("agent", "POST", f"/agents/ayu/recording/{action}")
        assert r.json() == {"call_id": "r1", "recording_paused": action == "pause"}, r.text
    unknown = await api.call("agent", "POST", "/agents/ayu/recording/stop")
    assert unknown.status_code == 422 and unknown.json()["field"] == "action"
    assert (await api.call("other_agent", "POST", "/agents/ayu/recording/pause")).status_code == 403
    assert paused == [("r1", True), ("r1", False)]
    await api.settle()
    logged = [(e.paused, e.by) for e in api.store.events(call_id="r1") if isinstance(e, ev.RecordingPaused)]
    assert [p for p, _ in logged] == [True, False] and all(logged_by for _, logged_by in logged)


async def test_a_recording_is_served_to_the_queues_supervisors(api: Api) -> None:
    missing = await api.call("supervisor", "GET", "/calls/c9/recording")
    assert missing.status_code == 404 and missing.json()["message"] == "call 'c9' has no recording"
    wav = api.root / "rec.wav"
    wav.write_bytes(b"RIFF....WAVEfmt ")
    now = api.center.clock.now()
    api.center.publish(ev.RecordingSaved(now, "c9", str(wav), 1.5, "stereo", "billing", "ayu"))
    await api.settle()
    got = await api.call("supervisor", "GET", "/calls/c9/recording")
    assert got.status_code == 200 and got.content == wav.read_bytes()
    assert got.headers["content-type"] == "audio/wav"
    assert (await api.call("sales_supervisor", "GET", "/calls/c9/recording")).status_code == 403
    wav.unlink()
    gone = await api.call("supervisor", "GET", "/calls/c9/recording")
    assert gone.status_code == 410 and gone.json()["error"] == "recording_gone"
