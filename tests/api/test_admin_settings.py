"""Admin settings routes: a queue or an agent edited while the center runs — checked like `alur
validate`, saved as a version that is live at once (the router follows), listed, rolled back, and
still live after a restart. A record with problems changes nothing."""

from __future__ import annotations

from pathlib import Path

from apikit import Api, make_project, start_api

from alur.core import events as ev

YAML = {"Content-Type": "application/yaml"}
BILLING_V1 = """\
name: billing
strategy: fixed_order
strategy_options: {order: [budi, ayu]}
ring_timeout: 20
wrap_up: 30
dispositions: [paid, refund, other, callback]
disposition_required: true
"""
AYU_IN_SALES = """\
id: ayu
name: Ayu Lestari
queues: [billing, sales]
skills: {english: 4}
"""


async def test_a_queue_edited_live_takes_new_calls_by_its_new_strategy(api: Api) -> None:
    for agent in ("ayu", "budi"):
        await api.call("admin", "POST", f"/agents/{agent}/login")
    saved = await api.call("admin", "POST", "/config/queues", content=BILLING_V1, headers=YAML)
    assert saved.status_code == 201, saved.text
    assert saved.json() == {"kind": "queue", "name": "billing", "version": 1, "live": True}
    router = api.center.router
    assert router.queues["billing"].config.strategy == "fixed_order"
    assert api.center.project.queues["billing"].ring_timeout == 20  # what adapters read
    api.place_call("s1")
    offer = (await api.call("admin", "GET", "/agents/budi/offer")).json()["offer"]
    assert offer["call_id"] == "s1"  # budi first, as the new order says
    settings = (await api.call("agent", "GET", "/settings")).json()
    assert settings["queues"]["billing"]["dispositions"] == ["paid", "refund", "other", "callback"]
    listed = (await api.call("admin", "GET", "/config/queues")).json()
    assert listed == {
        "queues": [{"name": "billing", "live_version": 1}, {"name": "sales", "live_version": 0}]
    }
    versions = (await api.call("admin", "GET", "/config/queues/billing/versions")).json()
    assert [(v["version"], v["live"]) for v in versions["versions"]] == [(0, False), (1, True)]
    text = (await api.call("admin", "GET", "/config/queues/billing/versions/1")).json()["source"]
    assert text == BILLING_V1
    original = (await api.call("admin", "GET", "/config/queues/billing/versions/0")).json()["source"]
    assert "name: billing" in original and "disposition_required: true" in original
    back = await api.call("admin", "POST", "/config/queues/billing/rollback", json={"version": 0})
    assert back.json() == {"kind": "queue", "name": "billing", "live_version": 0}
    assert router.queues["billing"].config.strategy != "fixed_order"
    assert [c.call_id for c in router.queues["billing"].line.calls] == ["s1"]  # the waiting call stayed


async def test_an_agent_edited_live_serves_its_new_queue(api: Api) -> None:
    await api.call("admin", "POST", "/agents/ayu/login")
    api.place_call("s2", queue="sales")
    assert (await api.call("admin", "GET", "/agents/ayu/offer")).json()["offer"] is None
    saved = await api.call("admin", "POST", "/config/agents", content=AYU_IN_SALES, headers=YAML)
    assert saved.status_code == 201, saved.text
    offer = (await api.call("admin", "GET", "/agents/ayu/offer")).json()["offer"]
    assert offer["call_id"] == "s2"  # the waiting sales call went to ayu at once
    assert api.center.router.agent_state("ayu") == "reserved"
    await api.settle()
    kinds = [(e.kind, e.name, e.version) for e in api.store.events() if isinstance(e, ev.SettingsPublished)]
    assert kinds == [("agent", "ayu", 1)]


async def test_a_record_with_problems_is_refused_whole(api: Api) -> None:
    before = api.center.router.queues["billing"].config
    bad = "name: billing\nstrategy: fastest\nring_timeout: -3\n"
    checked = (await api.call("admin", "POST", "/config/queues/validate", content=bad, headers=YAML)).json()
    assert checked["valid"] is False
    texts = [p["text"] for p in checked["problems"]]
    assert any(t.startswith("uploaded queue:") and "ring_timeout" in t for t in texts), texts
    refused = await api.call("admin", "POST", "/config/queues", content=bad, headers=YAML)
    assert refused.status_code == 422 and refused.json()["error"] == "settings_invalid"
    assert api.center.router.queues["billing"].config is before  # nothing half-written
    ghost = "id: ayu\nqueues: [billing, vip]\n"
    refused = (await api.call("admin", "POST", "/config/agents", content=ghost, headers=YAML)).json()
    assert refused["problems"][0]["text"] == (
        "uploaded agent:2: agent 'ayu' serves queue 'vip', which does not exist "
        "(queues: ['billing', 'sales'])"
    )
    listed = "name: sales\nstrategy: fixed_order\nstrategy_options: {order: [zed]}\n"
    refused = (await api.call("admin", "POST", "/config/queues", content=listed, headers=YAML)).json()
    assert "names agent 'zed', which does not exist" in refused["problems"][0]["text"]
    empty = await api.call("admin", "POST", "/config/agents", content="", headers=YAML)
    assert empty.status_code == 422 and empty.json()["message"] == "body: send the agent's YAML text"
    unknown = await api.call("admin", "GET", "/config/agents/zed/versions")
    assert unknown.status_code == 404 and "unknown agent 'zed'" in unknown.json()["message"]
    section = await api.call("admin", "GET", "/config/calendars")
    assert section.status_code == 422 and section.json()["field"] == "section"
    no_version = await api.call("admin", "POST", "/config/queues/billing/rollback", json={"version": 4})
    assert no_version.status_code == 404 and "versions: [0]" in no_version.json()["message"]


async def test_edited_settings_are_live_again_after_a_restart(tmp_path: Path) -> None:
    root, url = tmp_path / "project", f"sqlite:///{tmp_path / 'alur.db'}"
    make_project(root)
    async for api in start_api(root, url):
        r = await api.call("admin", "POST", "/config/agents", content=AYU_IN_SALES, headers=YAML)
        assert r.status_code == 201
        r = await api.call("admin", "POST", "/config/queues", content=BILLING_V1, headers=YAML)
        assert r.status_code == 201
    async for api in start_api(root, url):
        assert api.center.settings.live == {
            ("queue", "billing"): 1, ("queue", "sales"): 0,
            ("agent", "ayu"): 1, ("agent", "budi"): 0, ("agent", "sari"): 0,
        }  # fmt: skip
        assert set(api.center.router.agents["ayu"].memberships) == {"billing", "sales"}
        assert api.center.router.queues["billing"].config.strategy == "fixed_order"
        again = await api.call("admin", "POST", "/config/queues", content=BILLING_V1, headers=YAML)
        assert again.json()["version"] == 2  # numbering goes on from the log
