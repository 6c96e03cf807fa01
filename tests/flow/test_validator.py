"""Every validator check, failing and passing, with the file:line and node it names."""

from __future__ import annotations

import pytest
from flowkit import flow, project_from

from alur.config import ProjectInvalid

GOOD_MENU = flow("""
    start:
      type: menu
      prompt: "Press 1."
      options: {"1": bye}
      fail: bye
    bye: {type: hangup}
    """)


def problems(tmp_path, flows, **kw):
    with pytest.raises(ProjectInvalid) as info:
        project_from(tmp_path, flows, **kw)
    return info.value.problems


def only(tmp_path, flows, **kw):
    found = problems(tmp_path, flows, **kw)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_good_flow_loads(tmp_path):
    p = project_from(tmp_path, GOOD_MENU)
    assert list(p.flows["main"].nodes) == ["start", "bye"]


def test_dangling_menu_option_names_file_line_node(tmp_path):
    text = flow("""
        start:
          type: menu
          prompt: "Press 1 or 3."
          options:
            "1": bye
            "3": billing_q
          fail: bye
        billing_queue:
          type: queue
          queue: billing
        bye: {type: hangup}
        """)
    found = problems(tmp_path, text)
    dangling = [p for p in found if p.code == "dangling_target"]
    assert [str(p) for p in dangling] == [
        "flows/main.yaml:10 node 'start': option '3' goes to 'billing_q', which does not exist "
        "(did you mean 'billing_queue'?)"
    ]
    # billing_queue is now unreachable, which is reported too
    assert {p.code for p in found} == {"dangling_target", "unreachable"}


def test_unknown_node_type(tmp_path):
    p = only(
        tmp_path,
        flow("""
        start:
          type: playy
          say: hi
        """),
    )
    assert p.code == "unknown_node_type" and p.node == "start" and p.line == 6  # the 'type:' line
    assert "unknown node type 'playy'" in p.message and "play" in p.message


def test_node_without_type(tmp_path):
    p = only(
        tmp_path,
        flow("""
        start:
          say: hi
        """),
    )
    assert p.code == "unknown_node_type" and "no 'type'" in p.message


def test_unknown_field_and_wrong_type(tmp_path):
    found = problems(
        tmp_path,
        flow("""
        start:
          type: menu
          prompt: "Press 1."
          options: {"1": bye}
          timout: 5
          retries: many
          fail: bye
        bye: {type: hangup}
        """),
    )
    messages = {(p.line, p.message) for p in found}
    assert (9, "timout: unknown field (check its spelling)") in messages
    assert any(line == 10 and msg.startswith("retries:") and "'many'" in msg for line, msg in messages)


def test_unreachable_node(tmp_path):
    p = only(
        tmp_path,
        flow("""
        start: {type: hangup}
        island:
          type: play
          say: never
          next: start
        """),
    )
    assert (p.code, p.node, p.line) == ("unreachable", "island", 6)


def test_loop_with_no_way_out(tmp_path):
    p = only(
        tmp_path,
        flow("""
        start:
          type: menu
          prompt: "Press 1."
          options: {"1": again}
          fail: start
        again:
          type: play
          say: "Again."
          next: start
        """),
    )
    assert p.code == "no_exit" and "start -> again -> start" in p.message


def test_loop_with_a_way_out_is_fine(tmp_path):
    project_from(
        tmp_path,
        flow("""
        start:
          type: menu
          prompt: "Press 1 to repeat, 2 to leave."
          options: {"1": again, "2": bye}
          fail: start
        again:
          type: play
          say: "Again."
          next: start
        bye: {type: hangup}
        """),
    )


def test_menu_option_without_target_and_missing_fail(tmp_path):
    found = problems(
        tmp_path,
        flow("""
        start:
          type: menu
          prompt: "Press 1."
          options:
            "1":
            "2": bye
        bye: {type: hangup}
        """),
    )
    assert {(p.code, p.message.split(":")[0]) for p in found} == {
        ("missing_target", "option '1' has no target"),
        ("missing_target", "'fail' is not set"),
    }


@pytest.mark.parametrize(
    ("node", "needle"),
    [
        ("{type: menu, options: {'1': bye}, fail: bye}", "a menu needs a 'prompt'"),
        ("{type: play, next: bye}", "needs 'say'"),
        ("{type: collect, variable: x, next: bye, fail: bye}", "a collect node needs a 'prompt'"),
        ("{type: authenticate, pin_prompt: PIN, next: bye, fail: bye}", "needs an 'id_prompt'"),
        ("{type: voicemail, mailbox: m, next: bye}", "mailbox greeting"),
    ],
)
def test_missing_prompts(tmp_path, node, needle):
    p = only(
        tmp_path,
        flow(f"""
        start: {node}
        bye: {{type: hangup}}
        """),
    )
    assert p.code == "missing_prompt" and needle in p.message and p.node == "start"


def test_missing_prompt_file(tmp_path):
    text = flow("""
        start:
          type: play
          file: welcome.wav
          next: bye
        bye:
          type: hangup
          prompt: {file: {en: bye-en.wav, id: bye-id.wav}}
        """)
    found = problems(tmp_path, text, extra={"prompts/welcome.wav": "x", "prompts/bye-en.wav": "x"})
    assert [(p.code, p.node) for p in found] == [("missing_prompt", "bye")]
    assert "bye-id.wav" in found[0].message


@pytest.mark.parametrize(
    ("expr", "needle"),
    [
        ("customer.vip == = true", "column"),
        ("custmer.vip", "unknown variable(s) ['custmer']"),
        ("", "empty expression"),
    ],
)
def test_invalid_branch_expressions(tmp_path, expr, needle):
    p = only(
        tmp_path,
        flow(f"""
        start:
          type: branch
          conditions:
            - when: '{expr}'
              next: bye
          default: bye
        bye: {{type: hangup}}
        """),
    )
    assert p.code == "invalid_expression" and needle in p.message and p.line == 8  # the '- when:' line


def test_invalid_template_in_prompt(tmp_path):
    p = only(
        tmp_path,
        flow("""
        start:
          type: play
          say: {en: "Hi ${customer.name", id: "Halo ${vars.}"}
          next: bye
        bye: {type: hangup}
        """),
    )
    assert p.code == "invalid_expression" and p.node == "start"


def test_comprehension_variables_are_allowed(tmp_path):
    project_from(
        tmp_path,
        flow("""
        start:
          type: branch
          conditions:
            - when: '["a", "b"].exists(x, x == language)'
              next: bye
          default: bye
        bye: {type: hangup}
        """),
    )


def test_unknown_queue_calendar_and_flow(tmp_path):
    found = problems(
        tmp_path,
        flow("""
        start:
          type: hours
          calendar: ofice
          open: q
          closed: other
        q:
          type: queue
          queue: biling
        other:
          type: goto_flow
          flow: after_hour
        """),
    )
    by_code = {p.code: p for p in found}
    assert set(by_code) == {"unknown_calendar", "unknown_queue", "unknown_flow"}
    assert "did you mean 'office'" in by_code["unknown_calendar"].message
    assert "did you mean 'billing'" in by_code["unknown_queue"].message
    assert by_code["unknown_queue"].line == 12


def test_goto_flow_unknown_node(tmp_path):
    other = flow(
        """
        first: {type: hangup}
        """,
        start="first",
        name="other",
    )
    main = flow("""
        start:
          type: goto_flow
          flow: other
          node: second
        """)
    p = only(tmp_path, {"main": main, "other": other})
    assert p.code == "dangling_target" and "second" in p.message


def test_goto_flow_loop_across_flows(tmp_path):
    main = flow("""
        start:
          type: play
          say: "Hello."
          next: to_other
        to_other: {type: goto_flow, flow: other}
        """)
    other = flow(
        """
        menu:
          type: menu
          prompt: "Press 1 to hear the greeting again."
          options: {"1": back}
          fail: back
        back: {type: goto_flow, flow: main}
        """,
        start="menu",
        name="other",
    )
    p = only(tmp_path, {"main": main, "other": other})
    assert p.code == "no_exit" and p.node == "to_other" and (p.file, p.line) == ("flows/main.yaml", 9)
    assert "main/to_other -> other/back -> main/to_other" in p.message


def test_goto_flow_loops_with_a_way_out_are_fine(tmp_path):
    main = flow("""
        start: {type: goto_flow, flow: other}
        """)
    other = flow(
        """
        menu:
          type: menu
          prompt: "Press 1 to start again."
          options: {"1": back}
          fail: bye
        back: {type: goto_flow, flow: main}
        bye: {type: hangup}
        """,
        start="menu",
        name="other",
    )
    project_from(tmp_path, {"main": main, "other": other})
    itself = flow("""
        start: {type: goto_flow, flow: main, node: start}
        """)
    p = only(tmp_path / "self", {"main": itself})
    assert p.code == "no_exit" and "main/start -> main/start" in p.message


def test_a_loop_reported_in_its_own_flow_is_not_reported_again_across_flows(tmp_path):
    main = flow("""
        start: {type: goto_flow, flow: other}
        """)
    other = flow(
        """
        a: {type: play, say: "A.", next: b}
        b: {type: play, say: "B.", next: a}
        """,
        start="a",
        name="other",
    )
    p = only(tmp_path, {"main": main, "other": other})
    assert p.file == "flows/other.yaml" and "a -> b -> a" in p.message


@pytest.mark.parametrize(
    ("node", "needle"),
    [
        ("{type: split, branches: [{percent: 40, next: bye}, {percent: 40, next: bye}]}", "add up to 100"),
        (
            "{type: collect, prompt: x, variable: v, min_digits: 5, max_digits: 2, next: bye, fail: bye}",
            "more than max_digits",
        ),
        (
            "{type: collect, prompt: x, variable: v, pattern: '([', next: bye, fail: bye}",
            "regular expression",
        ),
        ("{type: menu, prompt: x, options: {'1a': bye}, fail: bye}", "DTMF"),
        ("{type: queue, queue: billing, skills: {billing: 11}}", "1..10"),
        ("{type: play, say: {}, next: bye}", "at least one language"),
        ("{type: play, say: hi, file: x.wav, next: bye}", "exactly one"),
        ("{type: http, url: 'http://x', method: FETCH, next: bye, fail: bye}", "FETCH"),
        ("{type: ring_group, members: [], fail: bye}", "members"),
        ("{type: menu, prompt: 5, options: {'1': bye}, fail: bye}", "a prompt is text to speak"),
        ("{type: play, say: [a, b], next: bye}", "say: expected string or dictionary (got ['a', 'b'])"),
        ("{type: queue, queue: billing, priority: high}", "whole number or a '${...}' expression"),
        ("{type: collect, prompt: x, variable: 1abc, next: bye, fail: bye}", "'1abc' is not a valid name"),
    ],
)
def test_node_field_checks(tmp_path, node, needle):
    p = only(
        tmp_path,
        flow(f"""
        start: {node}
        bye: {{type: hangup}}
        """),
    )
    assert needle in p.message and p.node == "start", str(p)


def test_start_node_missing_and_duplicate_flow(tmp_path):
    found = problems(
        tmp_path,
        {
            "main": flow(
                """
            a: {type: hangup}
            """,
                start="begin",
            ),
            "copy": flow(
                """
            a: {type: hangup}
            """,
                start="a",
            ),
        },
    )
    codes = sorted(p.code for p in found)
    assert codes == ["dangling_target", "duplicate_name"]


def test_not_set_target_of_play(tmp_path):
    p = only(
        tmp_path,
        flow("""
        start: {type: play, say: hi}
        """),
    )
    assert p.code == "missing_target" and "'next' is not set" in p.message


def test_all_problems_are_reported_together(tmp_path):
    found = problems(
        tmp_path,
        flow("""
        start:
          type: menu
          options: {"1": nowhere}
          fail: x1
        x1: {type: nosuch}
        x2:
          type: branch
          conditions: [{when: "vars.a >", next: x1}]
          default: start
        """),
    )
    assert {p.code for p in found} >= {
        "missing_prompt",
        "dangling_target",
        "unknown_node_type",
        "invalid_expression",
    }
    assert all(p.file == "flows/main.yaml" and p.line for p in found)


def test_per_language_prompt_missing_a_language_the_call_can_have(tmp_path):
    found = problems(
        tmp_path,
        flow("""
        start:
          type: menu
          prompt: {en: "English, press 1. Bahasa, tekan 2."}
          options: {"1": bye, "2": indonesian}
          fail: bye
        indonesian:
          type: set
          vars: {language: id}
          next: bye
        bye:
          type: hangup
          prompt: {en: "Goodbye.", id: "Sampai jumpa."}
        """),
    )
    assert [(p.code, p.node, p.line) for p in found] == [("missing_prompt", "start", 7)]
    assert (
        "prompt has no 'id' version, but calls can be in 'id' (set by node 'indonesian'" in found[0].message
    )


def test_fixed_language_prompt_needs_no_other_versions(tmp_path):
    project_from(
        tmp_path,
        flow("""
        start:
          type: play
          say: {en: "Welcome."}
          language: en
          next: indonesian
        indonesian:
          type: set
          vars: {language: id}
          next: bye
        bye: {type: hangup}
        """),
    )


def test_missing_music_on_hold_file(tmp_path):
    p = only(
        tmp_path,
        flow("""
        start:
          type: queue
          queue: billing
          music_on_hold: jazz.wav
        """),
    )
    assert p.code == "missing_prompt" and "music_on_hold: file 'jazz.wav' not found" in p.message
    assert p.line == 8
