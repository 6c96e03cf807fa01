"""The flow designer's helper routes: templates fitted to the project (each says whether it checks clean
here), and the project's flow tests run as `alur test-flow` runs them, against the live flows or the
flow being edited."""

from __future__ import annotations

from apikit import MAIN, Api

from alur.core import events as ev

CASES = """\
cases:
  - name: a caller is answered in billing
    queue: {result: answered, after: 5, talk: 30}
    expect:
      path: [queue, bye]
      queue: {name: billing}
"""


async def test_templates_are_fitted_to_the_project(api: Api) -> None:
    response = await api.call("admin", "GET", "/flows/templates")
    assert response.status_code == 200
    found = {t["id"]: t for t in response.json()["templates"]}
    assert list(found) == ["welcome_menu_queue", "after_hours", "callback_offer", "survey"]
    survey = found["survey"]
    assert survey["valid"] and "queue: billing" in survey["source"] and survey["flow"] == "survey_line"
    hours = found["after_hours"]  # this project has no calendar: said, not hidden
    assert not hours["valid"] and "calendar 'office'" in hours["problems"][0]["message"]
    assert (await api.call("agent", "GET", "/flows/templates")).status_code == 403


async def test_flow_tests_run_against_the_live_flow_or_the_edited_one(api: Api) -> None:
    (api.root / "tests").mkdir()
    (api.root / "tests" / "main.yaml").write_text(CASES)
    live = (await api.call("admin", "POST", "/flows/tests")).json()
    assert (live["passed"], live["failed"], live["problems"]) == (1, 0, [])
    assert live["results"][0]["path"] == ["queue", "bye"] and live["results"][0]["ended"] == "flow_hangup"

    edited = MAIN.replace("queue: billing", "queue: sales")
    run = (await api.call("admin", "POST", "/flows/tests", content=edited)).json()
    assert (run["passed"], run["failed"]) == (0, 1)
    assert any("billing" in f for f in run["results"][0]["failures"]), run
    assert api.center.flows.live["main"] == 0  # testing publishes nothing

    broken = await api.call("admin", "POST", "/flows/tests", content=MAIN.replace("fail: bye", "fail: gone"))
    assert broken.status_code == 422 and broken.json()["problems"][0]["node"] == "queue"


async def test_a_bad_test_file_is_a_problem_not_a_crash(api: Api) -> None:
    (api.root / "tests").mkdir()
    (api.root / "tests" / "main.yaml").write_text("cases:\n  - name: x\n    caller: [{jump: 1}]\n")
    run = (await api.call("admin", "POST", "/flows/tests")).json()
    assert run["results"] == [] and run["problems"][0]["file"].endswith("main.yaml")


async def test_node_activity_counts_now_today_and_hang_ups(api: Api) -> None:
    center, now = api.center, api.center.clock.now()
    for call_id in ("a1", "a2", "a3"):
        center.publish(ev.NodeEntered(now, call_id, "main", "queue", "queue"))
    center.publish(ev.CallEnded(now, "a2", "caller_hangup", "queue"))
    center.publish(ev.NodeEntered(now, "a3", "main", "bye", "hangup"))
    center.publish(ev.CallEnded(now, "a3", "flow_hangup", "bye"))
    center.publish(ev.NodeEntered(now, "o1", "other", "queue", "queue"))  # another flow: not counted
    response = await api.call("admin", "GET", "/flows/main/activity")
    assert response.status_code == 200
    assert response.json()["nodes"] == {
        "queue": {"now": 1, "today": 3, "hangups": 1},
        "bye": {"now": 0, "today": 1, "hangups": 0},
    }
    assert (await api.call("admin", "GET", "/flows/nope/activity")).status_code == 404
    assert (await api.call("supervisor", "GET", "/flows/main/activity")).status_code == 403
