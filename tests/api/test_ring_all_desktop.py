"""A ring_all queue rings every free agent at once under one group offer; routing keeps them available
meanwhile, but what people see is "ringing": each desktop shows the call (screen pop) and the
supervisor's queue view counts them as ringing, until one answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from apikit import Api, make_project, start_api


@pytest.fixture
async def ring_all(tmp_path: Path) -> AsyncIterator[Api]:
    root = make_project(tmp_path / "project")
    (root / "queues" / "billing.yaml").write_text("name: billing\nstrategy: ring_all\nring_timeout: 30\n")
    async for running in start_api(root, f"sqlite:///{tmp_path / 'alur.db'}"):
        yield running


async def test_every_rung_agent_sees_the_call_until_one_answers(ring_all: Api) -> None:
    api = ring_all
    for agent in ("ayu", "budi"):
        assert (await api.call("admin", "POST", f"/agents/{agent}/login")).status_code == 200
    api.place_call("n1")
    for agent in ("ayu", "budi"):
        status = (await api.call("admin", "GET", f"/agents/{agent}")).json()
        assert (status["state"], status["call_id"], status["queue"]) == ("ringing", "n1", "billing")
        offer = (await api.call("admin", "GET", f"/agents/{agent}/offer")).json()["offer"]
        assert (offer["call_id"], offer["caller_id"]) == ("n1", "+6281100000001")  # the screen pop
    view = (await api.call("supervisor", "GET", "/queues/billing")).json()
    assert view["agents"] == {"ringing": 2}
    assert sorted(view["waiting"][0]["offered_to"]) == ["ayu", "budi"]

    accepted = await api.call("agent", "POST", "/agents/ayu/offer/accept")
    assert accepted.json()["state"] == "busy", accepted.text
    budi = (await api.call("admin", "GET", "/agents/budi")).json()
    assert (budi["state"], budi["call_id"]) == ("available", None)
    assert (await api.call("admin", "GET", "/agents/budi/offer")).json() == {"offer": None}
