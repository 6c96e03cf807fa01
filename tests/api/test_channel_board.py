"""Chats, SMS and e-mails on the supervisor's views through the real server: waiting conversations per
queue and channel, e-mails past their response target, each agent's load against capacity, occupancy
counting chat time, and the same on the live stream's figures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from apikit import Api
from chatkit import channel_board
from websockets.asyncio.client import ClientConnection, connect


@pytest.fixture
async def board(tmp_path: Path) -> AsyncIterator[Api]:
    async for running in channel_board(tmp_path):
        yield running


def ws_url(api: Api, who: str) -> str:
    return f"ws://{api.server.host}:{api.server.port}/ws?token={api.tokens[who]}"


async def kpis(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while (data := json.loads(await ws.recv()))["kind"] != "kpis":
            pass
    return data  # type: ignore[no-any-return]


async def test_waiting_conversations_overdue_mail_and_agent_load(board: Api) -> None:
    api, chats = board, board.center.conversations
    dewi = chats.start("chat", name="Dewi")
    chats.route(dewi, "web")
    chats.route(chats.start("chat", name="Rudi"), "web")
    mail = chats.inbound("email", "<a@x>", "Invoice?", queue="mail", source="help@shop", email="a@x")
    async with asyncio.timeout(5):
        while not mail.overdue:  # nobody logged in: the 0.5 s target passes with no reply
            await asyncio.sleep(0.02)
    data = (await api.call("admin", "GET", "/queues")).json()
    views = {q["queue"]: q for q in data["queues"]}
    web, inbox, calls = views["web"], views["mail"], views["calls"]
    assert (web["channel"], web["waiting_count"], web["overdue"]) == ("chat", 2, 0)
    assert web["longest_wait"] > 0.5 and web["response_target"] is None
    first = web["waiting"][0]
    assert (first["call_id"], first["caller_id"], first["channel"]) == (dewi.id, "Dewi", "chat")
    assert (inbox["channel"], inbox["waiting_count"], inbox["overdue"], inbox["response_target"]) == (
        "email", 1, 1, 0.5,
    )  # fmt: skip
    assert inbox["waiting"][0]["overdue"] and inbox["waiting"][0]["due_at"] == mail.due_at
    assert (calls["channel"], calls["overdue"], calls["response_target"]) == ("voice", 0, None)
    assert data["channels"]["chat"] == {
        "waiting": 2, "longest_wait": web["longest_wait"], "handling": 0, "overdue": 0,
    }  # fmt: skip
    assert data["channels"]["email"]["overdue"] == 1 and "voice" not in data["channels"]
    async with connect(ws_url(api, "admin")) as boss:
        live = await kpis(boss)
        assert live["channels"]["chat"]["waiting"] == 2 and live["channels"]["email"]["overdue"] == 1

    assert (await api.call("agent", "POST", "/agents/ayu/login")).status_code == 200
    path = f"/agents/ayu/conversations/{dewi.id}/accept"
    assert (await api.call("agent", "POST", path)).status_code == 200
    async with asyncio.timeout(5):  # occupied while holding the chat, though its voice state is available
        while (ayu := await agent(api, "ayu"))["occupancy"] is None or ayu["occupancy"] < 0.5:
            await asyncio.sleep(0.05)
    assert ayu["state"] == "available"
    load = {row["channel"]: (row["held"], row["capacity"]) for row in ayu["load"]}
    assert load == {"chat": (2, 3), "email": (1, 2), "sms": (0, 2)}  # one held, one offered; the e-mail
    assert (await agent(api, "budi"))["load"] == []  # voice only
    after = {q["queue"]: q for q in (await api.call("admin", "GET", "/queues")).json()["queues"]}
    assert (after["web"]["waiting_count"], after["web"]["handling"]) == (1, 1)
    async with connect(ws_url(api, "agent")) as mine:
        own = (await kpis(mine))["agents"]["ayu"]
        assert {r["channel"]: r["held"] for r in own["load"]}["chat"] == 2 and own["occupancy"] > 0


async def agent(api: Api, agent_id: str) -> dict[str, Any]:
    rows = (await api.call("admin", "GET", "/agents")).json()["agents"]
    return next(a for a in rows if a["agent_id"] == agent_id)  # type: ignore[no-any-return]
