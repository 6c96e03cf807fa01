"""Transfer routes through the real HTTP server: each destination kind checked and named when wrong,
a blind transfer ends the agent's part, a consultation needs a talk that can hold the caller. (The same
requests on real SIP calls: tests/e2e/test_consult.py.)"""

from __future__ import annotations

from apikit import Api, on_a_call

from alur.core import events as ev


async def test_transfer_needs_a_call_and_a_real_destination(api: Api) -> None:
    none = await api.call("agent", "POST", "/agents/ayu/transfer", json={"to": "budi"})
    assert none.status_code == 409 and none.json()["message"] == "agent 'ayu' is not on a call"
    await on_a_call(api, "t1")
    cases = [
        ({"to": "zed"}, "to", "to: unknown agent 'zed' (agents: ayu, budi, sari)"),
        ({"to": "ayu"}, "to", "to: agent 'ayu' cannot transfer a call to itself"),
        ({"to": "vip", "kind": "queue"}, "to", "to: unknown queue 'vip' (queues: billing, sales)"),
        ({"to": "12ab", "kind": "number"}, "to",
         "to: a phone number is digits with an optional leading + (got '12ab')"),
        ({"to": "sales", "kind": "queue", "mode": "consult"}, "mode",
         "mode: a consultation rings a person: choose an agent or a number, or blind"),
        ({"to": "budi", "kind": "desk"}, "kind", None),
        ({"to": "budi", "mode": "later"}, "mode", None),
    ]  # fmt: skip
    for body, field, message in cases:
        r = await api.call("agent", "POST", "/agents/ayu/transfer", json=body)
        assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
        if message is not None:
            assert r.json()["message"] == message
    assert api.center.router.agent_state("ayu") == "busy"  # nothing happened to the call


async def test_a_blind_transfer_ends_the_agents_part(api: Api) -> None:
    await on_a_call(api, "t2")
    r = await api.call("agent", "POST", "/agents/ayu/transfer", json={"to": "+6221555000", "kind": "number"})
    assert r.json() == {"call_id": "t2", "to": "+6221555000", "kind": "number", "mode": "blind"}
    assert api.center.router.agent_state("ayu") in ("wrap_up", "available")
    await api.settle()
    moved = [
        (e.destination, e.kind) for e in api.store.events(call_id="t2") if isinstance(e, ev.CallTransferred)
    ]
    assert moved == [("+6221555000", "external")]
    ended = [e.ended_by for e in api.store.events(call_id="t2") if isinstance(e, ev.TalkEnded)]
    assert ended == ["transfer"]


async def test_consultation_goes_to_the_adapter_carrying_the_talk(api: Api) -> None:
    await on_a_call(api, "t3")
    refused = await api.call("agent", "POST", "/agents/ayu/transfer", json={"to": "budi", "mode": "consult"})
    assert refused.status_code == 409 and refused.json()["error"] == "no_device"
    asked: list[tuple[str, str]] = []
    api.center.devices.consults["t3"] = lambda action, to: asked.append((action, to))  # the SIP talk
    r = await api.call("agent", "POST", "/agents/ayu/transfer", json={"to": "budi", "mode": "consult"})
    assert r.status_code == 200, r.text
    for step in ("conference", "complete", "cancel"):
        assert (await api.call("agent", "POST", f"/agents/ayu/transfer/{step}")).status_code == 200
    unknown = await api.call("agent", "POST", "/agents/ayu/transfer/park")
    assert unknown.status_code == 404 and "steps: complete, cancel, conference" in unknown.json()["message"]
    blind = await api.call("agent", "POST", "/agents/ayu/transfer", json={"to": "sales", "kind": "queue"})
    assert blind.status_code == 200
    assert asked == [
        ("consult", "agent:budi"),
        ("conference", ""),
        ("complete", ""),
        ("cancel", ""),
        ("queue", "sales"),
    ]
    other = await api.call("other_agent", "POST", "/agents/ayu/transfer", json={"to": "budi"})
    assert other.status_code == 403
