"""The web chat over HTTP and WebSocket: a visitor starts a chat (CORS, no cookie), goes through the
flow's menu, an agent accepts it and they talk; origins not listed are refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from apikit import Api, start_api
from chatkit import chat_project
from websockets.asyncio.client import ClientConnection, connect

from alur.core import events as ev
from alur.integrations.call_documents import WRAPPED_UP, call_document

SHOP = "https://shop.example.com"


@pytest.fixture
async def chat_api(tmp_path: Path) -> AsyncIterator[Api]:
    settings = f"name: shop\ndefault_flow: main\nchannels:\n  chat: {{flow: webchat, origins: ['{SHOP}']}}\n"
    web = "name: web\nchannel: chat\ncapacity: 2\ndispositions: [solved, callback]\n"
    web += "disposition_required: true\n"
    chat_project(tmp_path / "p", **{"alur.yaml": settings, "queues/web.yaml": web})
    async for running in start_api(tmp_path / "p", f"sqlite:///{tmp_path / 'a.db'}"):
        yield running


async def until(ws: ClientConnection, kind: str) -> dict[str, Any]:
    seen = []
    try:
        async with asyncio.timeout(5):
            while True:
                item = json.loads(await ws.recv())
                if item["type"] == kind:
                    return item
                seen.append(item)
    except TimeoutError:
        raise AssertionError(f"no {kind!r} item; got {seen}") from None


async def test_a_visitor_chats_with_an_agent(chat_api: Api) -> None:
    api = chat_api
    assert (await api.call("agent", "POST", "/agents/ayu/login")).status_code == 200
    pre = await api.call(None, "OPTIONS", "/public/chat/start", headers={"Origin": SHOP})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == SHOP
    started = await api.call(
        None, "POST", "/public/chat/start", content='{"name": "Dewi", "phone": "+6281200001"}',
        headers={"Origin": SHOP, "Content-Type": "text/plain"},
    )  # fmt: skip
    assert started.status_code == 200, started.text
    assert started.headers["access-control-allow-origin"] == SHOP
    chat = started.json()
    url = api.url.replace("http", "ws") + f"/public/chat/ws?conversation={chat['conversation_id']}"
    async with connect(url + "&token=" + chat["token"], origin=SHOP) as ws:  # type: ignore[arg-type]
        hello = await until(ws, "hello")  # with the messages so far; later ones follow
        assert hello["conversation_id"] == chat["conversation_id"]
        said = list(hello["messages"])
        while not any(m["extra"].get("choices") for m in said):
            said.append(await until(ws, "message"))
        assert said[0]["text"] == "Hello! Welcome to the shop."
        await ws.send(json.dumps({"type": "message", "text": "1"}))
        await until(ws, "position")
        mine = (await api.call("agent", "GET", "/agents/ayu/conversations")).json()["conversations"]
        assert [c["conversation_id"] for c in mine] == [chat["conversation_id"]] and mine[0]["offer"]
        path = f"/agents/ayu/conversations/{chat['conversation_id']}"
        assert (await api.call("agent", "POST", path + "/accept")).status_code == 200
        assert (await until(ws, "agent"))["name"] == "Ayu"
        await ws.send(json.dumps({"type": "message", "text": "Where is my order?"}))
        sent = await api.call("agent", "POST", path + "/messages", json={"text": "On its way"})
        assert sent.status_code == 200
        assert (await until(ws, "message"))["text"] == "Where is my order?"
        assert (await until(ws, "message"))["text"] == "On its way"
        other = await api.call(
            "other_agent", "POST", "/agents/sari/conversations/x/messages", json={"text": "x"}
        )
        assert other.status_code in (404, 409)
        mine_now = await api.call("agent", "GET", f"/agents/ayu/tasks/{chat['conversation_id']}/history")
        assert [i["id"] for i in mine_now.json()["items"]] == [chat["conversation_id"]]
        assert (await api.call("agent", "GET", "/customers/phone:+6281200001/history")).status_code == 403
        assert mine[0]["dispositions"] == ["solved", "callback"] and mine[0]["disposition_required"]
        bare = await api.call("agent", "POST", path + "/close")  # the queue requires a disposition
        assert bare.status_code == 422 and "requires a disposition" in bare.text
        wrong = await api.call("agent", "POST", path + "/close", json={"disposition": "nope"})
        assert wrong.status_code == 422 and "unknown disposition 'nope'" in wrong.text
        wrap = {"disposition": "solved", "notes": "Sent the tracking link"}
        assert (await api.call("agent", "POST", path + "/close", json=wrap)).status_code == 200
        assert (await until(ws, "closed"))["by"] == "agent"
    await api.settle()
    said = [(e.sender, e.text) for e in api.store.events() if isinstance(e, ev.ConversationMessage)]
    assert ("customer", "Where is my order?") in said and ("agent", "On its way") in said
    report = (await api.call("admin", "GET", "/reports/channel")).json()
    [chat_row] = [r for r in report["rows"] if r["channel"] == "chat"]
    assert (chat_row["offered"], chat_row["handled"]) == (1, 1) and chat_row["first_response"] > 0
    assert [a["most_at_once"] for a in report["agents"] if a["agent_id"] == "ayu"] == [1]
    api.place_call("v1", queue="calls", caller_id="081200001")  # the same customer calls (national form)
    for key in ("phone:+6281200001", "id:C100", "email:dewi@example.com"):
        timeline = (await api.call("supervisor", "GET", f"/customers/{key}/history")).json()["items"]
        assert [(i["channel"], i["id"]) for i in timeline] == [
            ("voice", "v1"),
            ("chat", chat["conversation_id"]),
        ]
        texts = [(m["sender"], m["text"]) for m in timeline[1]["messages"]]
        assert ("agent", "On its way") in texts and timeline[1]["agents"] == ["ayu"]
        assert (timeline[1]["disposition"], timeline[1]["notes"]) == ("solved", "Sent the tracking link")
    envelopes = [e for _row, e in api.store.envelopes(call_id=chat["conversation_id"])]
    [wrapped] = [e for e in envelopes if isinstance(e.event, ev.Disposition)]
    record = call_document(WRAPPED_UP, wrapped, envelopes)  # what a CRM webhook receives
    assert record["call"]["channel"] == "chat" and record["call"]["agent_id"] == "ayu"
    assert (
        record["wrap_up"]["disposition"] == "solved"
        and record["wrap_up"]["notes"] == "Sent the tracking link"
    )


async def test_an_origin_not_listed_is_refused(chat_api: Api) -> None:
    refused = await chat_api.call(
        None, "POST", "/public/chat/start", json={}, headers={"Origin": "https://evil.example.net"}
    )
    assert refused.status_code == 403 and refused.json()["error"] == "origin_refused"
    bad = await chat_api.call(None, "POST", "/public/chat/start", content="{nope", headers={"Origin": SHOP})
    assert bad.status_code == 422 and "chat start" in bad.json()["message"]
