"""Agent routes through the real HTTP server: state, offers with a screen pop, accept/reject, hang up,
wrap-up with dispositions and follow-ups, escalation; scope refusals and bad requests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from apikit import Api

from alur.core import events as ev


async def wait_for(condition, what: str, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_log_in_pause_with_a_reason_code_and_ready(api: Api) -> None:
    r = await api.call("agent", "POST", "/agents/ayu/login")
    assert r.status_code == 200 and r.json()["state"] == "available"
    bad = await api.call("agent", "POST", "/agents/ayu/pause", json={"reason": "nap"})
    assert bad.status_code == 422
    assert bad.json() == {
        "error": "invalid_request",
        "message": "reason: unknown pause reason 'nap' (pause_reasons: break, lunch, training)",
        "field": "reason",
    }
    missing = await api.call("agent", "POST", "/agents/ayu/pause", json={})
    assert missing.status_code == 422 and missing.json()["message"] == "reason: required field is missing"
    extra = await api.call("agent", "POST", "/agents/ayu/pause", json={"reason": "lunch", "mood": "x"})
    assert extra.status_code == 422 and extra.json()["field"] == "mood"
    paused = await api.call("agent", "POST", "/agents/ayu/pause", json={"reason": "lunch"})
    assert paused.json()["state"] == "paused" and paused.json()["reason"] == "lunch"
    assert paused.json()["time_in_state"] >= 0
    ready = await api.call("agent", "POST", "/agents/ayu/ready")
    assert ready.json()["state"] == "available"
    out = await api.call("agent", "POST", "/agents/ayu/logout")
    assert out.json()["state"] == "offline"
    again = await api.call("agent", "POST", "/agents/ayu/logout")
    assert again.status_code == 409 and again.json()["message"] == (
        "agent 'ayu' cannot go from offline to offline (allowed: available, paused)"
    )


async def test_an_agent_acts_only_as_itself_and_a_supervisor_on_its_queues(api: Api) -> None:
    other = await api.call("agent", "POST", "/agents/sari/login")
    assert other.status_code == 403
    assert other.json()["message"] == "an agent token acts only as its own agent ('ayu'), not 'sari'"
    outside = await api.call("sales_supervisor", "POST", "/agents/ayu/login")
    assert (
        outside.status_code == 403
        and "serves none of this token's queues (sales)" in outside.json()["message"]
    )
    ok = await api.call("supervisor", "POST", "/agents/ayu/login")
    assert ok.status_code == 200
    unknown = await api.call("admin", "POST", "/agents/zed/login")
    assert unknown.status_code == 404 and "unknown agent 'zed'" in unknown.json()["message"]
    illegal = await api.call("agent", "POST", "/agents/ayu/login")
    assert illegal.status_code == 409 and illegal.json()["error"] == "illegal_transition"


async def test_offer_screen_pop_accept_hang_up_wrap_up_and_follow_up(api: Api) -> None:
    await api.call("agent", "POST", "/agents/ayu/login")
    none = await api.call("agent", "GET", "/agents/ayu/offer")
    assert none.json() == {"offer": None}
    api.place_call("c1")
    offer = (await api.call("agent", "GET", "/agents/ayu/offer")).json()
    assert offer["offer"]["call_id"] == "c1" and offer["offer"]["queue"] == "billing"
    assert offer["offer"]["caller_id"] == "+6281100000001"
    assert offer["customer"]["name"] == "Budi Santoso" and "pin" not in offer["customer"]
    accepted = await api.call("agent", "POST", "/agents/ayu/offer/accept")
    assert accepted.status_code == 200 and accepted.json()["state"] == "busy"
    assert accepted.json()["call_id"] == "c1"
    hung = await api.call("agent", "POST", "/agents/ayu/hangup")
    assert hung.json() == {"call_id": "c1", "hung_up": True}
    assert (await api.call("agent", "GET", "/agents/ayu")).json()["state"] == "wrap_up"

    held = await api.call("agent", "POST", "/agents/ayu/ready")
    assert held.status_code == 409 and held.json()["error"] == "disposition_required"
    assert "one of: paid, refund, other" in held.json()["message"]
    no_code = await api.call("agent", "POST", "/agents/ayu/wrap-up", json={"notes": "x"})
    assert no_code.status_code == 422 and no_code.json()["field"] == "disposition"
    bad_code = await api.call("agent", "POST", "/agents/ayu/wrap-up", json={"disposition": "sold"})
    assert bad_code.json()["message"] == (
        "disposition: unknown disposition 'sold' for queue 'billing' (one of: paid, refund, other)"
    )
    naive = await api.call(
        "agent", "POST", "/agents/ayu/wrap-up",
        json={"disposition": "paid", "follow_up": {"due": "2030-01-01T10:00:00", "note": "x"}},
    )  # fmt: skip
    assert naive.status_code == 422 and naive.json()["field"] == "follow_up.due"
    due = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    done = await api.call(
        "agent", "POST", "/agents/ayu/wrap-up",
        json={"disposition": "paid", "notes": "card expired", "summary": "renewed card",
              "follow_up": {"due": due, "note": "check the payment went through"}, "ready": True},
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["agent"]["state"] == "available"
    await api.call(
        "agent", "POST", "/agents/ayu/wrap-up",
        json={"call_id": "c1", "disposition": "paid", "follow_up": {"due": later, "note": "courtesy call"}},
    )  # fmt: skip
    all_ = (await api.call("agent", "GET", "/agents/ayu/follow-ups")).json()["follow_ups"]
    assert [f["note"] for f in all_] == ["check the payment went through", "courtesy call"]
    due_now = (await api.call("agent", "GET", "/agents/ayu/follow-ups?due=true")).json()["follow_ups"]
    assert [f["note"] for f in due_now] == ["check the payment went through"]
    closed = await api.call("agent", "POST", f"/agents/ayu/follow-ups/{due_now[0]['follow_up_id']}/done")
    assert closed.status_code == 200
    assert (await api.call("agent", "GET", "/agents/ayu/follow-ups?due=true")).json()["follow_ups"] == []

    await api.settle()
    dispositions = [e for e in api.store.events(call_id="c1") if isinstance(e, ev.Disposition)]
    assert dispositions[0].code == "paid" and dispositions[0].notes == "card expired"
    assert dispositions[0].extra == {"summary": "renewed card"}
    not_mine = await api.call(
        "agent", "POST", "/agents/ayu/wrap-up", json={"call_id": "c9", "disposition": "paid"}
    )
    assert not_mine.status_code == 409 and "not ayu's current or last call" in not_mine.json()["message"]


async def test_reject_puts_the_call_back_for_the_next_agent(api: Api) -> None:
    await api.call("agent", "POST", "/agents/ayu/login")
    api.place_call("c2")
    assert (await api.call("agent", "GET", "/agents/ayu/offer")).json()["offer"]["call_id"] == "c2"
    await api.call("admin", "POST", "/agents/budi/login")
    rejected = await api.call("agent", "POST", "/agents/ayu/offer/reject")
    assert rejected.status_code == 200
    offer = (await api.call("admin", "GET", "/agents/budi/offer")).json()["offer"]
    assert offer["call_id"] == "c2"
    twice = await api.call("agent", "POST", "/agents/ayu/offer/reject")
    assert twice.status_code == 409 and twice.json()["error"] == "no_offer"


async def test_an_offer_ringing_on_a_phone_is_picked_up_by_the_phone(api: Api) -> None:
    """Accepted on the desktop, an offer ringing on a phone is picked up by that phone (the SIP adapter
    rings it again with auto-answer: tests/e2e/test_calls.py); a device that cannot do that refuses."""
    await api.call("agent", "POST", "/agents/ayu/login")
    api.place_call("c3")
    offer = (await api.call("agent", "GET", "/agents/ayu/offer")).json()["offer"]
    rid = offer["reservation_id"]
    api.center.devices.ringing[rid] = "ayu's SIP phone"  # what the SIP adapter records
    refused = await api.call("agent", "POST", "/agents/ayu/offer/accept")
    assert refused.status_code == 409
    assert refused.json()["message"] == f"offer {rid} is ringing on ayu's SIP phone: answer it there"
    picked: list[str] = []
    api.center.devices.pick_ups[rid] = lambda: picked.append(rid)
    accepted = await api.call("agent", "POST", "/agents/ayu/offer/accept")
    assert accepted.status_code == 200 and accepted.json()["picking_up_on"] == "ayu's SIP phone"
    assert picked == [rid] and accepted.json()["state"] != "busy"  # busy once the phone has answered
    hung: list[str] = []
    api.center.devices.ringing.clear()
    await api.call("agent", "POST", "/agents/ayu/offer/accept")
    api.center.devices.hangups["c3"] = lambda: hung.append("c3")  # the phone leg the SIP adapter carries
    await api.call("agent", "POST", "/agents/ayu/hangup")
    assert hung == ["c3"]  # the device's leg is ended; the adapter then reports the hang-up itself


async def test_escalate_to_a_supervisor_or_a_queue(api: Api) -> None:
    await api.call("agent", "POST", "/agents/ayu/login")
    api.place_call("c4")
    await api.call("agent", "POST", "/agents/ayu/offer/accept")
    bad = await api.call("agent", "POST", "/agents/ayu/escalate", json={"to": "nowhere"})
    assert (
        bad.status_code == 422
        and bad.json()["field"] == "to"
        and "queues: billing, sales" in bad.json()["message"]
    )
    up = await api.call("agent", "POST", "/agents/ayu/escalate", json={"to": "supervisor", "reason": "angry"})
    assert up.json() == {"call_id": "c4", "queue": "billing", "target": "supervisor"}
    over = await api.call("agent", "POST", "/agents/ayu/escalate", json={"to": "sales"})
    assert over.json()["target"] == "queue:sales"
    await api.settle()
    asked = [e for e in api.store.events(call_id="c4") if isinstance(e, ev.EscalationRequested)]
    assert [(e.target, e.reason) for e in asked] == [("supervisor", "angry"), ("queue:sales", "")]
