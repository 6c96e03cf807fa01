"""Admin flow routes: validate an upload with `alur validate`'s messages, publish new versions that new
calls take at once, list versions, roll back; a rejected flow leaves the live one untouched; published
versions survive a restart."""

from __future__ import annotations

from pathlib import Path

from apikit import Api, start_api

from alur.core import events as ev

V2 = """\
flow: main
start: hello
nodes:
  hello:
    type: play
    say: "Version two."
    next: queue
  queue:
    type: queue
    queue: billing
    answered: bye
    fail: bye
  bye:
    type: hangup
"""
BROKEN = """\
flow: main
start: hello
nodes:
  hello:
    type: play
    say: "Hi"
    next: nowhere
  q:
    type: queue
    queue: nosuch
    fail: hello
"""
YAML = {"Content-Type": "application/yaml"}


async def test_validate_names_file_line_and_node_like_alur_validate(api: Api) -> None:
    r = await api.call("admin", "POST", "/flows/validate", content=BROKEN, headers=YAML)
    assert r.status_code == 200
    result = r.json()
    assert result["valid"] is False
    texts = [p["text"] for p in result["problems"]]
    assert any(t.startswith("uploaded flow:7 node 'hello': ") and "nowhere" in t for t in texts), texts
    assert any("node 'q'" in t and "nosuch" in t for t in texts), texts
    ok = (await api.call("admin", "POST", "/flows/validate", content=V2, headers=YAML)).json()
    assert ok == {"valid": True, "flow": "main", "problems": []}
    syntax = (await api.call("admin", "POST", "/flows/validate", content="flow: [", headers=YAML)).json()
    assert (
        syntax["problems"][0]["text"].startswith("uploaded flow:")
        and "YAML syntax error" in syntax["problems"][0]["text"]
    )
    empty = await api.call("admin", "POST", "/flows/validate", content="", headers=YAML)
    assert empty.status_code == 422 and empty.json()["message"] == "body: send the flow's YAML text"


async def test_publish_list_and_roll_back_take_effect_for_new_calls(api: Api) -> None:
    runner = api.center.runner
    original = runner.flow_for("1000")
    rejected = await api.call("admin", "POST", "/flows", content=BROKEN, headers=YAML)
    assert rejected.status_code == 422 and rejected.json()["error"] == "flow_invalid"
    assert rejected.json()["problems"] and runner.flow_for("1000") is original  # nothing half-written
    published = await api.call("admin", "POST", "/flows", content=V2, headers=YAML)
    assert published.status_code == 201 and published.json() == {"flow": "main", "version": 1, "live": True}
    assert runner.flow_for("1000").start == "hello"  # the next call runs version 1
    again = await api.call("admin", "POST", "/flows", content=V2.replace("two", "three"), headers=YAML)
    assert again.json()["version"] == 2
    listed = (await api.call("admin", "GET", "/flows/main/versions")).json()
    assert [(v["version"], v["live"]) for v in listed["versions"]] == [(0, False), (1, False), (2, True)]
    assert listed["versions"][1]["created_by"] == "admin"
    text = (await api.call("admin", "GET", "/flows/main/versions/1")).json()["source"]
    assert text == V2
    back = await api.call("admin", "POST", "/flows/main/rollback", json={"version": 1})
    assert back.json() == {"flow": "main", "live_version": 1}
    assert "Version two." in str(runner.flow_for("1000").nodes["hello"])
    missing = await api.call("admin", "POST", "/flows/main/rollback", json={"version": 9})
    assert (
        missing.status_code == 404
        and missing.json()["message"] == "flow 'main' has no version 9 (versions: [0, 1, 2])"
    )
    to_file = await api.call("admin", "POST", "/flows/main/rollback", json={"version": 0})
    assert to_file.json()["live_version"] == 0 and runner.flow_for("1000") is original
    assert (await api.call("admin", "GET", "/flows")).json() == {
        "flows": [{"flow": "main", "live_version": 0}]
    }
    await api.settle()
    published_events = [(e.version, e.by) for e in api.store.events() if isinstance(e, ev.FlowPublished)]
    assert published_events == [(1, "admin"), (2, "admin"), (1, "admin"), (0, "admin")]


async def test_the_published_version_is_live_again_after_a_restart(tmp_path: Path) -> None:
    root, url = tmp_path / "project", f"sqlite:///{tmp_path / 'alur.db'}"
    from apikit import make_project

    make_project(root)
    async for api in start_api(root, url):
        r = await api.call("admin", "POST", "/flows", content=V2, headers=YAML)
        assert r.status_code == 201
    async for api in start_api(root, url):
        assert api.center.flows.live["main"] == 1
        assert api.center.runner.flow_for("1000").start == "hello"
