"""The routes the web pages use: /settings (what to choose from), the flow diagram drawn by Graphviz,
version 0's text (the project's file), and the pages served under /ui/."""

from __future__ import annotations

from apikit import MAIN, Api

YAML = {"Content-Type": "application/yaml"}


async def test_settings_give_pause_reasons_and_each_queues_wrap_up_codes(api: Api) -> None:
    got = (await api.call("agent", "GET", "/settings")).json()
    assert got["pause_reasons"] == ["break", "lunch", "training"]
    assert got["queues"]["billing"] == {
        "dispositions": ["paid", "refund", "other"], "disposition_required": True, "wrap_up": 60.0,
    }  # fmt: skip
    assert (await api.call(None, "GET", "/settings")).status_code == 401


async def test_a_valid_flow_is_drawn_and_an_invalid_one_gives_its_problems(api: Api) -> None:
    drawn = (await api.call("admin", "POST", "/flows/diagram", content=MAIN, headers=YAML)).json()
    assert drawn["valid"] and drawn["svg"].startswith("<svg") and "<title>queue</title>" in drawn["svg"]
    broken = MAIN.replace("answered: bye", "answered: nowhere")
    refused = (await api.call("admin", "POST", "/flows/diagram", content=broken, headers=YAML)).json()
    assert refused["svg"] is None
    assert [(p["node"], p["line"]) for p in refused["problems"]] == [("queue", 7)]
    assert (
        await api.call("supervisor", "POST", "/flows/diagram", content=MAIN, headers=YAML)
    ).status_code == 403


async def test_version_zero_is_the_project_files_text(api: Api) -> None:
    got = (await api.call("admin", "GET", "/flows/main/versions/0")).json()
    assert got["source"] == MAIN and got["live"] is True and got["version"] == 0


async def test_the_pages_are_served_under_ui(api: Api) -> None:
    home = await api.call(None, "GET", "/", follow_redirects=True)
    assert home.status_code == 200 and 'id="token"' in home.text
    for name in ("wallboard.html", "agent.html", "supervisor.html", "designer.html", "i18n/id.json"):
        assert (await api.call(None, "GET", f"/ui/{name}")).status_code == 200, name
