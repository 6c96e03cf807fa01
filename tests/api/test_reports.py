"""Reports of real calls from the event log, on SQLite and PostgreSQL: the same figures as today's live
KPI fold, per interval, queue and agent, with dispositions; CSV export; scope and bad input."""

from __future__ import annotations

import csv
import io

from apikit import Api

from alur.core import events as ev
from alur.service import commands as cmd


async def two_calls(api: Api) -> None:
    await api.call("agent", "POST", "/agents/ayu/login")
    api.place_call("r1")
    await api.call("agent", "POST", "/agents/ayu/offer/accept")
    await api.call("agent", "POST", "/agents/ayu/hangup")
    await api.call("agent", "POST", "/agents/ayu/wrap-up", json={"disposition": "refund", "ready": True})
    await api.call("agent", "POST", "/agents/ayu/logout")
    api.place_call("r2")
    api.center.execute(cmd.Hangup("r2"))  # the caller gives up waiting
    await api.settle()


async def test_report_of_real_calls_matches_the_live_kpis(api_on: Api) -> None:
    api = api_on
    await two_calls(api)
    r = await api.call("admin", "GET", "/reports/interval?interval=15m")
    assert r.status_code == 200, r.text
    report = r.json()
    total = report["total"]
    assert (total["offered"], total["answered"], total["abandoned"]) == (2, 1, 1)
    assert total["service_level"] == 0.5 and total["asa"] >= 0 and total["aht"] >= 0
    live = api.center.kpis.total
    assert (live.offered, live.answered, live.abandoned) == (2, 1, 1)
    assert report["dispositions"] == {"refund": 1}
    assert sum(row["offered"] for row in report["rows"]) == 2
    queues = (await api.call("supervisor", "GET", "/reports/queue?queue=billing")).json()["rows"]
    assert [(q["queue"], q["offered"]) for q in queues] == [("billing", 2)]
    agents = (await api.call("admin", "GET", "/reports/agent")).json()["rows"]
    assert [(a["agent_id"], a["answered"]) for a in agents] == [("ayu", 1)]


async def test_csv_export(api: Api) -> None:
    await two_calls(api)
    r = await api.call("admin", "GET", "/reports/queue?format=csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["queue"] == "billing" and rows[0]["offered"] == "2" and rows[0]["abandoned"] == "1"
    empty = await api.call("admin", "GET", "/reports/interval?format=csv&since=2001-01-01&until=2001-01-02")
    assert empty.status_code == 200 and empty.text == ""


async def test_report_scope_and_bad_input(api: Api) -> None:
    whole = await api.call("supervisor", "GET", "/reports/interval")
    assert whole.status_code == 403 and "?queue=" in whole.json()["message"]
    other = await api.call("supervisor", "GET", "/reports/interval?queue=sales")
    assert other.status_code == 403
    bad = await api.call("admin", "GET", "/reports/interval?since=yesterday")
    assert bad.status_code == 422 and bad.json()["field"] == "since"
    assert "ISO 8601" in bad.json()["message"]
    order = await api.call("admin", "GET", "/reports/interval?since=2026-01-02&until=2026-01-01")
    assert order.status_code == 422 and order.json()["field"] == "until"
    by = await api.call("admin", "GET", "/reports/week")
    assert by.status_code == 422 and by.json()["field"] == "by"
    interval = await api.call("admin", "GET", "/reports/interval?interval=7m")
    assert interval.status_code == 422 and interval.json()["field"] == "interval"


async def test_first_contact_resolution_and_ivr_option_popularity(api: Api) -> None:
    """A handled call is resolved at first contact unless the wrap-up says not, or the same customer
    calls again within the project's repeat_contact_days (by number, or by directory id)."""
    await api.call("agent", "POST", "/agents/ayu/login")
    callers = {"f1": "+628111", "f2": "+628222", "f3": "+628333", "f4": "+628444"}
    resolved = {"f1": True, "f2": False, "f3": True, "f4": True}
    for call_id, caller in callers.items():
        api.place_call(call_id, caller_id=caller)
        if call_id == "f4":
            now = api.center.clock.now()
            api.center.publish(ev.CallerAuthenticated(now, "f4", "100001", True, 1))
        await api.call("agent", "POST", "/agents/ayu/offer/accept")
        await api.call("agent", "POST", "/agents/ayu/hangup")
        body = {"disposition": "refund", "resolved": resolved[call_id], "ready": True}
        assert (await api.call("agent", "POST", "/agents/ayu/wrap-up", json=body)).status_code == 200
    api.place_call("again1", caller_id="+628111")  # f1's customer calls back (and gives up)
    api.center.execute(cmd.Hangup("again1"))
    api.place_call("again4", caller_id="+628999")  # another phone, but f4's customer once identified
    now = api.center.clock.now()
    api.center.publish(ev.CallerAuthenticated(now, "again4", "100001", True, 1))
    api.center.execute(cmd.Hangup("again4"))
    for call_id, option in (("f1", "2"), ("f2", "1"), ("f3", "2")):
        api.center.publish(ev.MenuOptionChosen(now, call_id, "main", "menu", option))
    await api.settle()
    report = (await api.call("admin", "GET", "/reports/queue")).json()
    # f1: called again; f2: unresolved by the agent; f4: identified again; only f3 counts
    assert report["first_contact_resolution"] == {"resolved": 1, "handled": 4, "rate": 0.25}
    [billing] = report["rows"]
    assert (billing["queue"], billing["resolved"], billing["fcr"]) == ("billing", 1, 0.25)
    assert report["ivr_options"] == [
        {"flow": "main", "node": "menu", "option": "2", "count": 2, "share": 2 / 3},
        {"flow": "main", "node": "menu", "option": "1", "count": 1, "share": 1 / 3},
    ]
    exported = await api.call("admin", "GET", "/reports/queue?format=csv&table=ivr_options")
    assert 'filename="alur-ivr-options.csv"' in exported.headers["content-disposition"]
    assert exported.text.splitlines()[:2] == ["flow,node,option,count,share", f"main,menu,2,2,{2 / 3}"]
    [ayu] = (await api.call("admin", "GET", "/reports/agent")).json()["rows"]
    assert (ayu["agent_id"], ayu["answered"], ayu["resolved"], ayu["fcr"]) == ("ayu", 4, 1, 0.25)
    nothing = (await api.call("admin", "GET", "/reports/queue?since=2001-01-01&until=2001-01-02")).json()
    assert nothing["first_contact_resolution"] == {"resolved": 0, "handled": 0, "rate": None}
    assert nothing["ivr_options"] == []
