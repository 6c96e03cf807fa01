"""The live side through the real server: the WebSocket stream (role-filtered, resumable without gaps or
repeats), Prometheus metrics, and the OpenAPI document."""

from __future__ import annotations

import asyncio
import json

from apikit import Api
from websockets.asyncio.client import connect


def ws_url(api: Api, who: str, query: str = "") -> str:
    return f"ws://{api.server.host}:{api.server.port}/ws?token={api.tokens[who]}{query}"


async def next_kinds(ws, n: int) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    out = []
    async with asyncio.timeout(5):
        while len(out) < n:
            data = json.loads(await ws.recv())
            if data["kind"] != "kpis":  # today's figures come between the events
                out.append((data["seq"], data["kind"]))
    return out


async def test_an_agent_streams_its_own_events_and_resumes_from_a_seq(api: Api) -> None:
    async with connect(ws_url(api, "agent")) as mine, connect(ws_url(api, "admin")) as everything:
        await api.call("admin", "POST", "/agents/sari/login")  # not ayu's: the agent stream skips it
        await api.call("agent", "POST", "/agents/ayu/login")
        api.place_call("s1")
        got = await next_kinds(mine, 2)
        assert [k for _, k in got] == ["agent.state_changed", "agent.state_changed"]  # logged in, reserved
        offered = await next_kinds(mine, 1)
        assert offered[0][1] == "offer.made"
        all_kinds = [k for _, k in await next_kinds(everything, 5)]
        assert "call.arrived" in all_kinds and "queue.joined" in all_kinds
        resume_from = got[0][0]
    async with connect(ws_url(api, "agent", f"&after_seq={resume_from}")) as again:
        replay = await next_kinds(again, 2)
        assert replay == [got[1], offered[0]]  # from the log, in order, nothing before the seq
        await api.call("agent", "POST", "/agents/ayu/offer/accept")
        live = await next_kinds(again, 1)
        assert live[0][0] > offered[0][0]


async def test_streams_carry_todays_figures_in_the_tokens_scope(api: Api) -> None:
    async def kpis(ws) -> dict:  # type: ignore[no-untyped-def, type-arg]
        async with asyncio.timeout(5):
            while (data := json.loads(await ws.recv()))["kind"] != "kpis":
                pass
        return data  # type: ignore[no-any-return]

    async with connect(ws_url(api, "supervisor")) as boss, connect(ws_url(api, "agent")) as ayu:
        first = await kpis(boss)  # at once: where today stands
        assert set(first["queues"]) <= {"billing"} and "total" not in first  # billing's supervisor only
        assert (await kpis(ayu))["agents"] == {}  # nothing done today yet
        await api.call("agent", "POST", "/agents/ayu/login")
        api.place_call("k1")
        await api.call("agent", "POST", "/agents/ayu/offer/accept")
        while (update := await kpis(boss))["queues"].get("billing", {}).get("answered") != 1:
            pass  # updates come at most once a second, after events
        assert update["queues"]["billing"]["offered"] == 1 and "sales" not in update["queues"]
        await api.call("agent", "POST", "/agents/ayu/hangup")
        while (mine := await kpis(ayu))["agents"].get("ayu", {}).get("answered") != 1:
            pass  # the agent's own figures: its calls, talk and wrap-up time today
        assert mine["agents"]["ayu"]["talk_time"] >= 0 and set(mine["agents"]) == {"ayu"}


async def test_a_stream_without_a_valid_token_is_refused(api: Api) -> None:
    url = f"ws://{api.server.host}:{api.server.port}/ws?token=alur_bad"
    async with connect(url) as ws:
        refusal = json.loads(await ws.recv())
        assert refusal["error"] == "unauthorized"
        await ws.wait_closed()
        assert ws.close_code == 4401
    async with connect(ws_url(api, "admin", "&after_seq=x")) as ws:
        assert json.loads(await ws.recv())["field"] == "after_seq"


async def test_metrics_and_openapi(api: Api) -> None:
    await api.call("agent", "POST", "/agents/ayu/login")
    api.place_call("p1", queue="sales")
    await api.settle()
    text = (await api.call("supervisor", "GET", "/metrics")).text
    assert 'alur_calls_waiting{queue="sales"} 1.0' in text
    assert 'alur_agents{state="available"} 1.0' in text
    assert "alur_events_published_total" in text and "alur_store_events_written_total" in text
    assert 'alur_http_request_seconds_count{method="POST",route="/agents/{agent_id}/login"} 1.0' in text
    assert (await api.call("agent", "GET", "/metrics")).status_code == 403
    async with api.client(None) as client:
        schema = (await client.get("/openapi.json")).json()
        assert "/agents/{agent_id}/wrap-up" in schema["paths"] and "/reports/{by}" in schema["paths"]
        docs = await client.get("/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
