"""The project loader: every file kind, and problems that name file and line without tracebacks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alur.config import ProjectInvalid, load_project

FLOW = """\
flow: main
start: hello
nodes:
  hello:
    type: play
    say: "Hello"
    next: bye
  bye:
    type: hangup
"""


def make(root: Path, files: dict[str, str]) -> Path:
    base = {"alur.yaml": "timezone: Asia/Jakarta\ndefault_flow: main\n", "flows/main.yaml": FLOW}
    base.update(files)
    for rel, text in base.items():
        if text is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(ProjectInvalid) as info:
        load_project(root)
    return [str(p) for p in info.value.problems]


def test_minimal_project(tmp_path):
    p = load_project(make(tmp_path, {}))
    assert list(p.flows) == ["main"] and p.settings.timezone == "Asia/Jakarta"
    assert p.queues == {} and p.customers == {}


def test_support_example_loads_everything():
    root = Path(__file__).resolve().parents[2] / "examples" / "support"
    p = load_project(root)
    assert set(p.flows) == {"main", "after_hours"}
    assert set(p.queues) == {"billing", "support", "vip"}
    assert p.queues["billing"].required_skills == {"billing": 3}
    assert set(p.agents) == {"ayu", "rudi", "james", "sinta"}
    assert p.agents["ayu"].languages == {"id": 10, "en": 10}
    assert p.customers["100003"]["pin"] == "0007"
    assert p.calendars["jakarta"].timezone == "Asia/Jakarta"
    assert p.settings.numbers["1000"] == "main"


def test_missing_directory_and_alur_yaml(tmp_path):
    assert problems(tmp_path / "nope") == [f"{tmp_path / 'nope'}: project directory not found"]
    (tmp_path / "empty").mkdir()
    assert "missing project file alur.yaml" in problems(tmp_path / "empty")[0]


def test_yaml_syntax_error_names_line(tmp_path):
    found = problems(make(tmp_path, {"flows/main.yaml": "flow: main\nstart: a\nnodes:\n  a: {type: play\n"}))
    assert len(found) == 1 and found[0].startswith("flows/main.yaml:5: YAML syntax error")


def test_duplicate_key_is_an_error(tmp_path):
    found = problems(make(tmp_path, {"flows/main.yaml": FLOW + "  bye:\n    type: hangup\n"}))
    assert found[0].startswith("flows/main.yaml:") and "duplicate" in found[0]


def test_settings_unknown_field_bad_timezone_unknown_flows(tmp_path):
    found = problems(
        make(
            tmp_path,
            {
                "alur.yaml": """\
        name: x
        timezone: Asia/Jakata
        defualt_flow: main
        """
            },
        )
    )
    assert (
        "alur.yaml:2: timezone: unknown time zone 'Asia/Jakata' (use an IANA name such as 'Asia/Jakarta')"
        in found
    )
    assert "alur.yaml:3: defualt_flow: unknown field (check its spelling)" in found


def test_numbers_must_name_flows(tmp_path):
    found = problems(
        make(
            tmp_path,
            {
                "alur.yaml": """\
        numbers:
          "1000": main
          "2000": sales
        default_flow: mian
        """
            },
        )
    )
    assert found == [
        "alur.yaml:3: number '2000' goes to flow 'sales', which does not exist (flows: ['main'])",
        "alur.yaml:4: default_flow 'mian' does not exist (flows: ['main'])",
    ]


def test_no_entry_point(tmp_path):
    found = problems(make(tmp_path, {"alur.yaml": "name: x\n"}))
    assert "no 'numbers' map and no 'default_flow'" in found[0]


def test_rest_directory_needs_url(tmp_path):
    found = problems(make(tmp_path, {"alur.yaml": "default_flow: main\ndirectory: {type: rest}\n"}))
    assert "needs 'url'" in found[0] and found[0].startswith("alur.yaml:2")


def test_calendar_problems(tmp_path):
    found = problems(
        make(
            tmp_path,
            {
                "calendars/office.yaml": """\
        timezone: Asia/Jakarta
        hours:
          mon-fry: ["08:00-17:00"]
        holidays:
          - {date: 2026-02-28}
        """,
                "calendars/bad.yaml": "holidays: [2026-02-30]\n",
                "calendars/late.yaml": """\
        hours:
          mon: ["17:00-08:00"]
        """,
            },
        )
    )
    text = "\n".join(found)
    assert "calendars/office.yaml" in text and "mon-fry" in text
    assert "calendars/bad.yaml: invalid value: day is out of range for month" in text
    assert "calendars/late.yaml" in text and "end before they start" in text


def test_calendar_name_defaults_to_file_name(tmp_path):
    p = load_project(make(tmp_path, {"calendars/shop.yaml": "hours: {mon-sat: ['08:00-17:00']}\n"}))
    assert list(p.calendars) == ["shop"]


def test_directory_problems(tmp_path):
    found = problems(
        make(
            tmp_path,
            {
                "directory/customers.yaml": """\
        customers:
          - {id: "1", pin: "1111", vip: maybe}
          - {id: "2", pin: "2222"}
          - {id: "2", pin: "3333"}
          - {name: no id}
        """
            },
        )
    )
    assert any(f.startswith("directory/customers.yaml:2: vip:") for f in found)
    assert "directory/customers.yaml:4: customer '2' is listed twice" in found
    assert "directory/customers.yaml:5: id: required field is missing" in found


def test_directory_numbers_become_text(tmp_path):
    p = load_project(make(tmp_path, {"directory/c.yaml": "- {id: 42, pin: 1234, tier: gold}\n"}))
    assert p.customers["42"] == {"id": "42", "pin": "1234", "name": "", "vip": False, "tier": "gold"}


def test_queue_and_agent_files_use_routing_models(tmp_path):
    found = problems(
        make(
            tmp_path,
            {
                "queues/billing.yaml": "name: billing\nring_timout: 20\n",
                "agents/a.yaml": "agents:\n  - {id: ayu, skills: {billing: 12}}\n",
            },
        )
    )
    assert "queues/billing.yaml:2: ring_timout: unknown field (check its spelling)" in found
    assert any(f.startswith("agents/a.yaml:2: skills:") and "1..10" in f for f in found)


def test_agent_serving_unknown_queue(tmp_path):
    found = problems(
        make(
            tmp_path,
            {
                "queues/billing.yaml": "name: billing\n",
                "agents/a.yaml": "- {id: ayu, queues: [billing, sales]}\n",
            },
        )
    )
    assert any(f.startswith("agents/a.yaml:1: agent 'ayu' serves queue 'sales', which") for f in found)


def test_cross_file_problems_name_file_and_line(tmp_path):
    found = problems(
        make(
            tmp_path,
            {
                "queues/billing.yaml": """\
                    name: billing
                    strategy: fixed_order
                    strategy_options:
                      order: [ayu, budi, cika]
                    required_skills: {billing: 8}
                    escalation:
                      - {after: 30, action: add_queues, queues: [salse]}
                """,
                "queues/sales.yaml": "name: sales\nstrategy: weighted_random\n"
                "strategy_options:\n  weights: {ayu: 2, dodi: 1}\n",
                "agents/team.yaml": """\
                    agents:
                      - id: ayu
                        extension: "201"
                        queues:
                          - billing
                          - billingx
                      - id: budi
                        extension: "201"
                        queues: [sales]
                """,
            },
        )
    )
    assert any(
        f.startswith("agents/team.yaml:6: agent 'ayu' serves queue 'billingx', which does not exist")
        for f in found
    )
    assert any(f.startswith("agents/team.yaml:8: agent 'budi' has extension '201'") for f in found)
    assert any(
        f.startswith(
            "queues/billing.yaml:4: queue 'billing' strategy fixed_order option 'order' "
            "names agent 'cika', which does not exist"
        )
        for f in found
    )
    assert any(
        f.startswith("queues/billing.yaml:7: queue 'billing' escalation step 1") and "'salse'" in f
        for f in found
    )
    assert any(
        f.startswith(
            "queues/sales.yaml:4: queue 'sales' strategy weighted_random option 'weights' names agent 'dodi'"
        )
        for f in found
    )
    assert len(found) == 5, found  # billing's skill is reachable through the add_queues step


def test_duplicates_are_reported_not_dropped(tmp_path):
    found = problems(
        make(
            tmp_path,
            {
                "queues/billing.yaml": "name: billing\n",
                "queues/more.yaml": "queues:\n  - name: sales\n  - name: billing\n",
                "agents/a.yaml": "- {id: ayu, queues: [billing]}\n",
                "agents/b.yaml": "agents:\n  - id: budi\n  - id: ayu\n    queues: [sales]\n",
            },
        )
    )
    assert found == [
        "queues/more.yaml:3: queue 'billing' is defined more than once (first at queues/billing.yaml:1)",
        "agents/b.yaml:3: agent 'ayu' is defined more than once (first at agents/a.yaml:1)",
    ]


def test_an_extension_may_not_be_another_agents_login(tmp_path):
    found = problems(make(tmp_path, {"agents/a.yaml": "- {id: '201'}\n- {id: ayu, extension: '201'}\n"}))
    assert found == [
        "agents/a.yaml:2: agent 'ayu' has extension '201', already the id of agent '201' (a phone "
        "registering as '201' must be one agent) (first at agents/a.yaml:1)"
    ]


def test_queue_file_forms(tmp_path):
    p = load_project(
        make(
            tmp_path,
            {
                "queues/billing.yaml": "strategy: round_robin\n",  # name from the file name
                "queues/more.yaml": "queues:\n  - {name: sales}\n  - {name: support}\n",
            },
        )
    )
    assert set(p.queues) == {"billing", "sales", "support"}
    assert p.queues["billing"].strategy == "round_robin"


def test_a_team_file_with_no_agents_yet_is_an_empty_team(tmp_path):
    p = load_project(make(tmp_path, {"agents/team.yaml": "agents:\n", "queues/q.yaml": "queues:\n"}))
    assert p.agents == {} and p.queues == {}


def test_flow_header_problems(tmp_path):
    found = problems(make(tmp_path, {"flows/main.yaml": "flow: main\nnodes: {}\nextra: 1\n"}))
    assert "flows/main.yaml:1: start: required field is missing" in found
    assert "flows/main.yaml:3: extra: unknown field (check its spelling)" in found
    found = problems(make(tmp_path, {"flows/main.yaml": "- just a list\n"}))
    assert "must be a mapping" in found[0]


def test_empty_files_do_not_crash(tmp_path):
    found = problems(make(tmp_path, {"flows/main.yaml": "", "alur.yaml": ""}))
    assert found and all("Traceback" not in f for f in found)


def test_unreadable_file(tmp_path):
    root = make(tmp_path, {})
    (root / "flows" / "bin.yaml").write_bytes(b"\xff\xfe\x00bad")
    found = problems(root)
    assert found[0].startswith("flows/bin.yaml") and "cannot read" in found[0]


def test_prompt_path(tmp_path):
    root = make(tmp_path, {"prompts/hello.wav": "x", "sounds/bye.wav": "x"})
    p = load_project(root)
    assert p.prompt_path("hello.wav") == root / "prompts" / "hello.wav"
    assert p.prompt_path("sounds/bye.wav") == root / "sounds" / "bye.wav"


def test_announcement_overrides_are_read_and_checked(tmp_path):
    good = make(
        tmp_path / "good",
        {
            "alur.yaml": """\
                default_flow: main
                announcements:
                  queue.position: {id: "Posisi Anda {position}.", en: {file: position.wav}}
                """
        },
    )
    overrides = load_project(good).settings.announcement_overrides()
    assert overrides["queue.position"]["id"].text == "Posisi Anda {position}."
    assert overrides["queue.position"]["en"].file == "position.wav"
    bad = make(
        tmp_path / "bad",
        {"alur.yaml": "default_flow: main\nannouncements:\n  queue.wait: {en: 'wait {position}'}\n"},
    )
    (problem,) = problems(bad)
    assert "alur.yaml" in problem and "announcement 'queue.wait' (en) uses ['position']" in problem


def test_webhook_problems_are_one_line_each_naming_the_line(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "alur.yaml": """\
            timezone: UTC
            default_flow: main
            webhooks:
              - url: ftp://crm
                events: [call.ended, call.endd]
                secret: ""
              - url: https://crm.example.com/hook
                events: []
                secret: s
              - url: https://crm.example.com/hook
                events: [call.ended]
            """
        },
    )
    assert problems(root) == [
        "alur.yaml:4: webhooks.0.url: must be an http:// or https:// URL (got 'ftp://crm')",
        "alur.yaml:5: webhooks.0.events: unknown event kind(s) ['call.endd'] "
        "(e.g. call.ended, agent.disposition)",
        "alur.yaml:6: webhooks.0.secret: must not be empty: "
        "the receiver checks each post's signature with it",
        "alur.yaml:8: webhooks.1.events: list at least one event kind (e.g. [call.ended, agent.disposition])",
        "alur.yaml:10: webhooks.2.secret: required field is missing",
    ]


def test_webhooks_load(tmp_path: Path) -> None:
    hook = "{url: 'https://crm/h', events: [survey.answered], secret: k}"
    text = f"timezone: UTC\ndefault_flow: main\nwebhooks:\n  - {hook}\n"
    loaded = load_project(make(tmp_path, {"alur.yaml": text}))
    assert [(w.url, w.events) for w in loaded.settings.webhooks] == [("https://crm/h", ("survey.answered",))]


def test_a_webhook_sends_call_records_or_events_and_each_url_once(tmp_path: Path) -> None:
    hooks = (
        "  - {url: 'https://crm/a', calls: [ended, wrapped_up], secret: k, retry_delay: 2}\n"
        "  - {url: 'https://crm/b', secret: k}\n"
        "  - {url: 'https://crm/c', calls: [answered], secret: k}\n"
    )
    text = f"timezone: UTC\ndefault_flow: main\nwebhooks:\n{hooks}"
    found = problems(make(tmp_path, {"alur.yaml": text}))
    assert len(found) == 2
    assert "webhooks.1: a webhook needs 'calls: [ended, wrapped_up]' (call records) and/or" in found[0]
    assert "webhooks.2.calls.0:" in found[1] and "'ended' or 'wrapped_up'" in found[1]
    twice = "  - {url: 'https://crm/a', calls: [ended], secret: k}\n"
    found = problems(make(tmp_path / "twice", {"alur.yaml": f"timezone: UTC\nwebhooks:\n{twice}{twice}"}))
    assert found == [
        "alur.yaml:2: webhooks: each URL may have one webhook (listed twice: ['https://crm/a'])"
    ], found
    loaded = load_project(
        make(tmp_path / "ok", {"alur.yaml": f"timezone: UTC\ndefault_flow: main\nwebhooks:\n{twice}"})
    )
    (hook,) = loaded.settings.webhooks
    assert (hook.calls, hook.events, hook.attempts, hook.retry_delay) == (("ended",), (), 8, 0.5)
