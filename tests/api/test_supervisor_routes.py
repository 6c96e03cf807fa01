"""Supervisor routes through the real HTTP server: live queues and agents, routing explanations,
agent state changes, moving and prioritising waiting calls, escalations; all scoped to its queues."""

from __future__ import annotations

from apikit import Api

from alur.core import events as ev
from alur.service import commands as cmd


async def test_live_queue_state_with_waits_and_todays_figures(api: Api) -> None:
    api.place_call("w1")
    api.place_call("w2", caller_id="+62000")
    await api.settle()
    view = (await api.call("supervisor", "GET", "/queues/billing")).json()
    assert [w["call_id"] for w in view["waiting"]] == ["w1", "w2"]
    assert view["waiting"][1]["caller_id"] == "+62000" and view["waiting"][0]["position"] == 1
    assert view["longest_wait"] == view["waiting"][0]["wait"] >= view["waiting"][1]["wait"] >= 0
    assert view["today"]["offered"] == 2 and view["today"]["abandoned"] == 0
    assert view["agents"] == {"offline": 2}
    api.center.publish(ev.CallEnded(api.center.clock.now(), "w2", "caller_hangup"))
    api.center.execute(cmd.Hangup("w2"))
    await api.settle()
    after = (await api.call("supervisor", "GET", "/queues/billing")).json()
    assert after["today"]["abandoned"] == 1 and after["today"]["abandonment_rate"] == 0.5
    listed = (await api.call("supervisor", "GET", "/queues")).json()["queues"]
    assert [q["queue"] for q in listed] == ["billing"]  # only its queues
    assert [q["queue"] for q in (await api.call("admin", "GET", "/queues")).json()["queues"]] == [
        "billing",
        "sales",
    ]
    other = await api.call("sales_supervisor", "GET", "/queues/billing")
    assert (
        other.status_code == 403 and "queue 'billing' is not one of this token's queues (sales)" in other.text
    )


async def test_agents_with_state_time_in_state_and_call(api: Api) -> None:
    await api.call("agent", "POST", "/agents/ayu/login")
    api.place_call("c1")
    await api.call("agent", "POST", "/agents/ayu/offer/accept")
    agents = {a["agent_id"]: a for a in (await api.call("supervisor", "GET", "/agents")).json()["agents"]}
    assert set(agents) == {"ayu", "budi"}  # sari serves sales only
    assert agents["ayu"]["state"] == "busy" and agents["ayu"]["call_id"] == "c1"
    assert agents["ayu"]["time_in_state"] >= 0 and agents["budi"]["state"] == "offline"
    sales = {a["agent_id"] for a in (await api.call("sales_supervisor", "GET", "/agents")).json()["agents"]}
    assert sales == {"budi", "sari"}


async def test_explain_change_state_move_and_priority(api: Api) -> None:
    for call_id in ("m1", "m2", "m3"):
        api.place_call(call_id)
    why = (await api.call("supervisor", "GET", "/calls/m2/explain")).json()
    assert why["explanations"][-1]["kind"] == "waiting" and "place 2 of 3" in why["explanations"][-1]["why"]
    raised = await api.call("supervisor", "POST", "/calls/m3/priority", json={"priority": 7})
    assert [w["call_id"] for w in raised.json()["waiting"]] == ["m3", "m1", "m2"]
    bad = await api.call("supervisor", "POST", "/calls/m3/priority", json={"priority": "high"})
    assert bad.status_code == 422 and bad.json()["field"] == "priority"
    not_here = await api.call("supervisor", "POST", "/calls/m1/move", json={"queue": "sales"})
    assert not_here.status_code == 403 and "queue 'sales'" in not_here.json()["message"]
    unknown = await api.call("admin", "POST", "/calls/m1/move", json={"queue": "nope"})
    assert unknown.status_code == 422 and unknown.json()["message"].startswith("queue: unknown queue 'nope'")
    moved = await api.call("admin", "POST", "/calls/m1/move", json={"queue": "sales"})
    assert [w["call_id"] for w in moved.json()["waiting"]] == ["m1"]
    gone = await api.call("admin", "POST", "/calls/zz/move", json={"queue": "sales"})
    assert gone.status_code == 404

    paused = await api.call(
        "supervisor", "PUT", "/agents/ayu/state", json={"state": "paused", "reason": "training"}
    )
    assert paused.json()["state"] == "paused" and paused.json()["reason"] == "training"
    bad_state = await api.call("supervisor", "PUT", "/agents/ayu/state", json={"state": "asleep"})
    assert bad_state.status_code == 422 and bad_state.json()["field"] == "state"
    ready = await api.call("supervisor", "PUT", "/agents/ayu/state", json={"state": "available"})
    assert ready.json()["state"] == "reserved"  # available, and at once offered the first call in line
    offered = (await api.call("agent", "GET", "/agents/ayu/offer")).json()["offer"]
    assert offered["call_id"] == "m3"  # the raised call is served first
    await api.call("supervisor", "PUT", "/agents/ayu/state", json={"state": "offline"})
    await api.settle()
    steps = [(e.call_id, e.action) for e in api.store.events() if isinstance(e, ev.Escalated)]
    assert steps == [("m3", "raise_priority"), ("m1", "move_queue")]


async def test_escalations_are_listed_to_the_supervisors_concerned(api: Api) -> None:
    await api.call("agent", "POST", "/agents/ayu/login")
    api.place_call("e1")
    await api.call("agent", "POST", "/agents/ayu/offer/accept")
    await api.call(
        "agent", "POST", "/agents/ayu/escalate", json={"to": "supervisor", "reason": "refund over limit"}
    )
    await api.call("agent", "POST", "/agents/ayu/escalate", json={"to": "sales"})
    billing = (await api.call("supervisor", "GET", "/escalations")).json()["escalations"]
    assert [(e["target"], e["reason"]) for e in billing] == [
        ("queue:sales", ""),
        ("supervisor", "refund over limit"),
    ]
    sales = (await api.call("sales_supervisor", "GET", "/escalations")).json()["escalations"]
    assert [e["target"] for e in sales] == ["queue:sales"]
