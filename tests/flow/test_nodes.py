"""Every node type, run through the real interpreter with the scripted caller channel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flowkit import TUESDAY_10, flow, project_from, run_call

from alur.core.clock import VirtualClock
from alur.core.events import (
    CallArrived,
    CallEnded,
    CallerAuthenticated,
    CallTransferred,
    DigitsCollected,
    HttpRequested,
    MenuInputRejected,
    MenuOptionChosen,
    NodeEntered,
    PromptPlayed,
    VariableSet,
    VoicemailRecorded,
)
from alur.flow.interpreter import FlowRunner
from alur.flow.services import DirectoryUnavailable, HttpResponse
from alur.testing.channel import HangUp, Press, ScriptedConnect, ScriptedQueue, Silence


def test_play_say_file_language_and_template(tmp_path):
    (tmp_path / "p" / "prompts").mkdir(parents=True, exist_ok=True)
    (tmp_path / "p" / "prompts" / "hello.wav").write_bytes(b"RIFF")
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: set
          vars: {n: 3, language: id}
          next: a
        a:
          type: play
          say: {en: "Hello", id: "Halo, Anda punya ${vars.n} pesan"}
          next: b
        b:
          type: play
          file: hello.wav
          next: c
        c:
          type: play
          say: "Fixed English"
          language: en
          voice: en-us+f3
          next: bye
        bye:
          type: hangup
          prompt: "Goodbye."
        """),
    )
    run = run_call(p)
    assert run.result.prompts == ["Halo, Anda punya 3 pesan", "hello.wav", "Fixed English", "Goodbye."]
    played = run.channel.played
    assert played[0].language == "id" and played[0].text == "Halo, Anda punya 3 pesan"
    assert played[1].file == "hello.wav" and played[1].text is None
    assert played[2].language == "en" and played[2].voice == "en-us+f3"
    assert [e.prompt for e in run.kinds(PromptPlayed)] == run.result.prompts
    assert run.result.how == "flow_hangup"
    assert run.channel.closed == "normal"


MENU = flow("""
    start:
      type: menu
      prompt: "Press 1 for sales, 2 for support."
      options:
        "1": sales
        "2": {next: support, label: Support}
      retries: 1
      invalid_prompt: "Invalid."
      timeout_prompt: "Nothing heard."
      variable: choice
      fail: failed
    sales:
      type: hangup
      prompt: "sales"
    support:
      type: hangup
      prompt: "support"
    failed:
      type: hangup
      prompt: "failed"
    """)


def test_menu_valid_choice_logs_option_and_sets_variable(tmp_path):
    run = run_call(project_from(tmp_path, MENU), ["2"])
    assert run.result.nodes == ["start", "support"]
    assert run.result.vars["choice"] == "2"
    chosen = run.kinds(MenuOptionChosen)
    assert [(c.flow, c.node, c.option) for c in chosen] == [("main", "start", "2")]


def test_menu_invalid_then_timeout_goes_to_fail_with_prompts(tmp_path):
    run = run_call(project_from(tmp_path, MENU), ["9", Silence()])
    assert run.result.nodes == ["start", "failed"]
    assert run.result.prompts == [
        "Press 1 for sales, 2 for support.",
        "Invalid.",
        "Press 1 for sales, 2 for support.",
        "failed",
    ]
    assert [(r.digits, r.reason) for r in run.kinds(MenuInputRejected)] == [("9", "invalid"), ("", "timeout")]


def test_menu_retry_then_valid(tmp_path):
    run = run_call(project_from(tmp_path, MENU), [Silence(), "1"])
    assert run.result.nodes == ["start", "sales"]
    assert "Nothing heard." in run.result.prompts


def test_menu_on_timeout_target_and_multi_digit_options(tmp_path):
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: menu
          prompt: "Enter 10 or 11"
          options: {"10": a, "11": a}
          retries: 0
          on_timeout: t
          fail: f
        a: {type: hangup}
        t: {type: hangup}
        f: {type: hangup}
        """),
    )
    assert run_call(p, [Silence()]).result.nodes == ["start", "t"]
    assert run_call(p, ["7#"]).result.nodes == ["start", "f"]
    assert run_call(p, ["11"]).result.nodes == ["start", "a"]


COLLECT = flow("""
    start:
      type: collect
      prompt: "Enter your order number."
      variable: order
      min_digits: 4
      max_digits: 6
      pattern: "^9[0-9]+$"
      retries: 1
      invalid_prompt: "Not valid."
      next: ok
      fail: ko
    ok: {type: hangup}
    ko: {type: hangup}
    """)


def test_collect_terminator_pattern_and_retries(tmp_path):
    p = project_from(tmp_path, COLLECT)
    run = run_call(p, ["9123#"])
    assert run.result.vars["order"] == "9123" and run.result.nodes == ["start", "ok"]
    assert run.kinds(DigitsCollected)[0].ended_by == "terminator"
    run = run_call(p, ["1234#", "98765#"])
    assert run.result.vars["order"] == "98765"
    assert run.result.prompts.count("Not valid.") == 1
    run = run_call(p, ["12#", Silence()])
    assert run.result.nodes == ["start", "ko"] and "order" not in run.result.vars


def test_collect_stops_at_max_digits_and_inter_digit_timeout(tmp_path):
    p = project_from(tmp_path, COLLECT)
    run = run_call(p, ["9999999"])
    assert run.result.vars["order"] == "999999"
    assert run.kinds(DigitsCollected)[0].ended_by == "max_digits"
    run = run_call(p, [Press("91234", gap=5.0), "95555#"])  # gaps longer than the inter-digit timeout
    first = run.kinds(DigitsCollected)[0]
    assert (first.digits, first.ended_by) == ("9", "timeout")
    assert run.result.vars["order"] == "95555"


AUTH = flow("""
    start:
      type: authenticate
      id_prompt: "Customer number?"
      pin_prompt: "PIN?"
      invalid_prompt: "Wrong."
      attempts: 2
      next: ok
      fail: ko
      error: down
    ok:
      type: play
      say: "Hi ${customer.name}"
      next: bye
    ko: {type: hangup}
    down: {type: hangup}
    bye: {type: hangup}
    """)


def test_authenticate_success_sets_customer_and_hides_pin(tmp_path):
    run = run_call(project_from(tmp_path, AUTH), ["42#", "1234"])
    assert run.result.nodes == ["start", "ok", "bye"]
    assert run.result.customer["name"] == "Budi" and run.result.customer["vip"] is True
    assert "pin" not in run.result.customer
    assert run.result.vars["customer_id"] == "42"
    assert "Hi Budi" in run.result.prompts
    auth = run.kinds(CallerAuthenticated)
    assert [(a.customer_id, a.success, a.attempt) for a in auth] == [("42", True, 1)]
    assert all("1234" not in e.digits for e in run.kinds(DigitsCollected))  # PINs never reach the log


def test_authenticate_fails_after_attempts(tmp_path):
    run = run_call(project_from(tmp_path, AUTH), ["42#", "9999", "43#", "7000"])
    assert run.result.nodes == ["start", "ko"]
    assert [a.success for a in run.kinds(CallerAuthenticated)] == [False, False]
    assert run.result.prompts.count("Wrong.") == 1
    assert run.result.customer == {}


def test_authenticate_leading_zero_pin(tmp_path):
    run = run_call(project_from(tmp_path, AUTH), ["43#", "0007"])
    assert run.result.nodes[:2] == ["start", "ok"]


class DownDirectory:
    async def authenticate(self, customer_id, pin):
        raise DirectoryUnavailable("directory down")

    async def find_by_phone(self, phone):
        return None


def test_authenticate_directory_unavailable_goes_to_error(tmp_path):
    run = run_call(project_from(tmp_path, AUTH), ["42#", "1234"], directory=DownDirectory())
    assert run.result.nodes == ["start", "down"]
    assert run.result.error == "directory down"


HOURS = flow("""
    start:
      type: hours
      calendar: office
      open: o
      closed: c
      holiday: h
    o: {type: hangup}
    c: {type: hangup}
    h: {type: hangup}
    """)


def jakarta(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp() - 7 * 3600


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (jakarta(2026, 11, 24, 10), "o"),  # Tuesday morning
        (jakarta(2026, 11, 24, 7, 59), "c"),  # before opening
        (jakarta(2026, 11, 24, 17, 0), "c"),  # closing time is closed
        (jakarta(2026, 11, 29, 10), "c"),  # Sunday
        (jakarta(2026, 8, 17, 10), "h"),  # Independence Day
        (jakarta(2026, 12, 24, 11), "o"),  # special half day, morning
        (jakarta(2026, 12, 24, 13), "c"),  # special half day, afternoon
    ],
)
def test_hours_open_closed_holiday_in_time_zone(tmp_path, at, expected):
    assert run_call(project_from(tmp_path, HOURS), at=at).result.nodes == ["start", expected]


BRANCH = flow("""
    start:
      type: branch
      conditions:
        - when: has(customer.vip) && customer.vip
          next: vip
        - when: caller_id.startsWith("+62") && now.hour < 12 && now.day == "tue"
          next: morning
        - when: vars.missing > 1
          next: vip
      default: other
    vip: {type: hangup}
    morning: {type: hangup}
    other: {type: hangup}
    """)


def test_branch_conditions_in_order_and_default(tmp_path):
    p = project_from(tmp_path, BRANCH)
    assert run_call(p, caller_id="+62811").result.nodes == ["start", "morning"]


def test_branch_runtime_error_ends_call_cleanly(tmp_path):
    p = project_from(tmp_path, BRANCH)
    run = run_call(p, caller_id="+1555", at=jakarta(2026, 11, 24, 15))
    assert run.result.how == "error"
    assert "missing" in run.result.error
    ended = run.kinds(CallEnded)[-1]
    assert ended.how == "error"
    assert ended.node == "start" and ended.error == run.result.error  # the log says where and what


def test_split_is_exact_over_time(tmp_path):
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: split
          branches:
            - {percent: 30, next: a}
            - {percent: 50, next: b}
            - {percent: 20, next: c}
        a: {type: hangup}
        b: {type: hangup}
        c: {type: hangup}
        """),
    )
    runner = FlowRunner(p, clock=VirtualClock(0.0))  # replaced per call by run_call
    counts = {"a": 0, "b": 0, "c": 0}
    for i in range(200):
        counts[run_call(p, runner=runner).result.nodes[1]] += 1
        if i == 9:
            assert counts == {"a": 3, "b": 5, "c": 2}
    assert counts == {"a": 60, "b": 100, "c": 40}


def test_set_typed_values_and_language(tmp_path):
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: set
          vars:
            language: id
            count: 2
            vip: "${caller_id == '+62811'}"
            label: "caller ${caller_id}"
            nested: {a: 1}
          next: bye
        bye: {type: hangup}
        """),
    )
    run = run_call(p, caller_id="+62811")
    assert run.result.language == "id"
    assert run.result.vars == {"count": 2, "vip": True, "label": "caller +62811", "nested": {"a": 1}}
    assert [e.name for e in run.kinds(VariableSet)] == ["language", "count", "vip", "label", "nested"]


class FakeHttp:
    def __init__(self, response):
        self.response = response
        self.requests = []

    async def request(self, method, url, *, headers, json, timeout):
        self.requests.append((method, url, headers, json, timeout))
        return self.response


HTTP = flow("""
    start:
      type: set
      vars: {account: "A-7"}
      next: call
    call:
      type: http
      method: POST
      url: "https://crm.test/accounts/${vars.account}"
      headers: {X-Caller: "${caller_id}"}
      body: {account: "${vars.account}", source: ivr}
      timeout: 2
      result:
        balance: response.balance
        late: response.days > 30
      next: ok
      fail: ko
    ok: {type: hangup}
    ko: {type: hangup}
    """)


def test_http_maps_json_into_variables(tmp_path):
    http = FakeHttp(HttpResponse(200, {"balance": 1500, "days": 45}))
    run = run_call(project_from(tmp_path, HTTP), http=http, caller_id="+62811")
    assert run.result.nodes == ["start", "call", "ok"]
    assert run.result.vars["balance"] == 1500 and run.result.vars["late"] is True
    assert http.requests == [
        (
            "POST",
            "https://crm.test/accounts/A-7",
            {"X-Caller": "+62811"},
            {"account": "A-7", "source": "ivr"},
            2.0,
        )
    ]
    req = run.kinds(HttpRequested)[0]
    assert (req.url, req.status, req.ok) == ("https://crm.test/accounts/A-7", 200, True)


@pytest.mark.parametrize(
    "response",
    [
        HttpResponse(None, None, "timeout after 2s"),
        HttpResponse(500, {"error": "x"}),
        HttpResponse(200, {"unexpected": 1}),  # the mapping names a key the answer lacks
    ],
)
def test_http_failures_take_fail_target(tmp_path, response):
    run = run_call(project_from(tmp_path, HTTP), http=FakeHttp(response))
    assert run.result.nodes == ["start", "call", "ko"]
    assert "balance" not in run.result.vars
    assert run.result.error


def test_http_without_client_fails_cleanly(tmp_path):
    run = run_call(project_from(tmp_path, HTTP))
    assert run.result.nodes[-1] == "ko"


QUEUE = flow(
    """
    start:
      type: queue
      queue: billing
      prompt: "Please hold."
      priority: "${has(customer.vip) && customer.vip ? 10 : 1}"
      skills: {billing: 4, english: 2}
      language: "${language}"
      call_type: billing
      max_wait: 120
      announce_every: 20
      music_on_hold: moh.wav
      offer_callback: true
      attributes: {segment: "${caller_id}"}
      timeout: vm
      overflow: ov
      fail: sorry
    vm:
      type: voicemail
      mailbox: billing
      prompt: "Leave a message."
    ov: {type: hangup}
    sorry: {type: hangup}
    """,
    language="id",
)


def test_queue_request_carries_priority_skills_language(tmp_path):
    run = run_call(project_from(tmp_path, QUEUE), caller_id="+62811")
    q = run.result.queue
    assert q is not None and run.queue.requests == [q]
    assert (q.queue, q.priority, q.skills, q.language, q.vip) == (
        "billing",
        1,
        (("billing", 4), ("english", 2)),
        "id",
        False,
    )
    assert (q.max_wait, q.announce_every, q.music_on_hold, q.offer_callback) == (120, 20, "moh.wav", True)
    assert q.attributes == {"segment": "+62811"} and q.call_type == "billing"
    assert run.result.how == "answered"
    assert run.result.ended == pytest.approx(TUESDAY_10 + 1.0 + 5 + 30)  # prompt, wait, talk


def test_queue_outcomes_route_to_targets(tmp_path):
    p = project_from(tmp_path, QUEUE)
    run = run_call(p, queue=ScriptedQueue("timeout", after=120))
    assert run.result.nodes == ["start", "vm"] and run.result.how == "voicemail"
    assert run.kinds(VoicemailRecorded)[0].mailbox == "billing"
    assert run_call(p, queue=ScriptedQueue("full")).result.nodes == ["start", "sorry"]
    assert run_call(p, queue=ScriptedQueue("overflow")).result.nodes == ["start", "ov"]
    # an overflow that names a node of the flow goes there
    assert run_call(p, queue=ScriptedQueue("overflow", target="vm")).result.nodes == ["start", "vm"]
    run = run_call(p, queue=ScriptedQueue("abandoned", after=30))
    assert run.result.how == "abandoned" and run.result.nodes == ["start"]


def test_queue_without_targets_ends_with_outcome(tmp_path):
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: queue
          queue: support
        """),
    )
    run = run_call(p, queue=ScriptedQueue("no_agents"))
    assert run.result.how == "queue_no_agents"
    q = run.result.queue
    assert q.vip is False and q.priority == 0 and q.language is None


def test_caller_hangs_up_while_queued(tmp_path):
    p = project_from(tmp_path, QUEUE)
    left = []
    queue = ScriptedQueue("answered", after=600)

    async def watching(channel, request):
        channel.on_hangup(lambda: left.append(channel.clock.now()))
        return await queue(channel, request)

    run = run_call(p, queue=watching, hangup_after=45)
    assert run.result.how == "caller_hangup"
    assert left == [TUESDAY_10 + 45]
    assert run.kinds(CallEnded)[-1].at == TUESDAY_10 + 45


TRANSFER = flow("""
    start:
      type: transfer
      number: "+62${vars.missing_ok}"
      fail: ko
    ko: {type: hangup}
    """)


def test_transfer_answered_busy_and_failed(tmp_path):
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: transfer
          number: "+6221${caller_id}"
          prompt: "Transferring you."
          timeout: 25
          busy: b
          fail: f
        b: {type: hangup}
        f: {type: hangup}
        """),
    )
    run = run_call(p, caller_id="555")
    assert run.result.how == "transferred"
    assert [(t.destination, t.kind) for t in run.kinds(CallTransferred)] == [("+6221555", "external")]
    assert run_call(p, connect=ScriptedConnect("busy")).result.nodes == ["start", "b"]
    assert run_call(p, connect=ScriptedConnect("no_answer")).result.nodes == ["start", "f"]


def test_ring_group_answer_and_fail(tmp_path):
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: ring_group
          members: ["101", "102"]
          strategy: sequential
          fail: vm
        vm:
          type: voicemail
          mailbox: "desk-${dialed}"
          prompt: "Leave a message."
          next: bye
        bye: {type: hangup}
        """),
    )
    connect = ScriptedConnect("answered", answered_by="102")
    run = run_call(p, connect=connect)
    assert run.result.how == "ring_group_answered"
    assert connect.calls == [(["101", "102"], "sequential")]
    assert run.kinds(CallTransferred)[0].destination == "102"
    run = run_call(p, connect=ScriptedConnect("no_answer"), record_seconds=12)
    assert run.result.nodes == ["start", "vm", "bye"] and run.result.how == "flow_hangup"
    vm = run.kinds(VoicemailRecorded)[0]
    assert (vm.mailbox, vm.duration) == ("desk-100", 12)


def test_goto_flow_keeps_variables(tmp_path):
    main = flow("""
        start:
          type: set
          vars: {reason: closed}
          next: go
        go:
          type: goto_flow
          flow: other
        """)
    other = flow(
        """
        first: {type: play, say: "first", next: second}
        second:
          type: play
          say: "Reason: ${vars.reason}"
          next: bye
        bye: {type: hangup}
        """,
        start="first",
        name="other",
    )
    run = run_call(project_from(tmp_path, {"main": main, "other": other}))
    assert run.result.path == [
        ("main", "start"),
        ("main", "go"),
        ("other", "first"),
        ("other", "second"),
        ("other", "bye"),
    ]
    assert "Reason: closed" in run.result.prompts
    assert run.result.flow == "other"


def test_hangup_anywhere_is_logged_once(tmp_path):
    run = run_call(project_from(tmp_path, MENU), [HangUp(2.0)])
    assert run.result.how == "caller_hangup"
    ended = run.kinds(CallEnded)
    assert len(ended) == 1 and ended[0].node == "start"
    assert ended[0].at == pytest.approx(TUESDAY_10 + run.channel.prompt_seconds(run.channel.played[0]) + 2.0)
    # a hang-up in the middle of a prompt
    run = run_call(project_from(tmp_path, MENU), hangup_after=0.5)
    assert run.result.how == "caller_hangup" and run.kinds(CallEnded)[0].at == TUESDAY_10 + 0.5


def test_events_describe_the_call(tmp_path):
    run = run_call(project_from(tmp_path, MENU), ["1"], caller_id="+62811", dialed="100")
    arrived = run.kinds(CallArrived)[0]
    assert (arrived.caller_id, arrived.dialed, arrived.flow) == ("+62811", "100", "main")
    assert [(e.node, e.node_type) for e in run.kinds(NodeEntered)] == [("start", "menu"), ("sales", "hangup")]
    times = [e.at for e in run.events]
    assert times == sorted(times)


def test_flow_for_number_and_default(tmp_path):
    other = flow(
        """
        first: {type: hangup}
        """,
        start="first",
        name="other",
    )
    settings = 'timezone: UTC\nnumbers: {"200": other}\ndefault_flow: main\n'
    p = project_from(tmp_path, {"main": MENU, "other": other}, settings=settings)
    assert run_call(p, dialed="200").result.flow == "other"
    assert run_call(p, [HangUp()], dialed="999").result.flow == "main"


def test_loop_without_waiting_is_stopped(tmp_path):
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: branch
          conditions:
            - {when: "true", next: again}
          default: bye
        again:
          type: set
          vars: {x: 1}
          next: start
        bye: {type: hangup}
        """),
    )
    run = run_call(p)
    assert run.result.how == "loop_limit" and "loops" in run.result.error


def test_authenticate_by_caller_id_asks_only_the_pin(tmp_path):
    text = AUTH.replace("attempts: 2", "attempts: 2\n    use_caller_id: true")
    (tmp_path / "p" / "directory").mkdir(parents=True)
    p = project_from(tmp_path, text)
    p.customers["42"]["phone"] = "+62811"
    run = run_call(p, ["1234"], caller_id="+62811")
    assert run.result.nodes == ["start", "ok", "bye"]
    assert run.result.prompts[:2] == ["PIN?", "Hi Budi"]
    # a wrong PIN: the second attempt asks for the ID too
    run = run_call(p, ["0000", "42#", "1234"], caller_id="+62811")
    assert run.result.nodes[:2] == ["start", "ok"]
    assert run.result.prompts[:4] == ["PIN?", "Wrong.", "Customer number?", "PIN?"]
    # an unknown number is asked for everything
    run = run_call(p, ["42#", "1234"], caller_id="+1555")
    assert run.result.prompts[:2] == ["Customer number?", "PIN?"]


@pytest.mark.parametrize("when", [0.5, 3.0, 8.0])
def test_hangup_during_voicemail_and_transfer(tmp_path, when):
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: transfer
          number: "100"
          fail: vm
        vm:
          type: voicemail
          mailbox: m
          prompt: "Leave a message."
        """),
    )
    run = run_call(p, connect=ScriptedConnect("busy", after=2.0), hangup_after=when, record_seconds=30)
    assert run.result.how == "caller_hangup"
    assert run.kinds(CallEnded)[0].at == pytest.approx(TUESDAY_10 + when)
    assert not run.kinds(VoicemailRecorded)


def test_barge_in_cuts_the_menu_prompt_short(tmp_path):
    p = project_from(tmp_path, MENU)
    run = run_call(p, [Press("2", after=0.5, barge_in=True)])
    assert run.result.nodes == ["start", "support"]
    chosen = run.kinds(MenuOptionChosen)[0]
    assert chosen.at == pytest.approx(TUESDAY_10 + 0.5)  # no wait for the prompt's end (2.8 s)


def test_barge_in_press_after_the_prompt_end(tmp_path):
    p = project_from(tmp_path, MENU)
    run = run_call(p, [Press("1", after=4.0, barge_in=True)])
    assert run.result.nodes == ["start", "sales"]
    chosen = run.kinds(MenuOptionChosen)[0]
    assert chosen.at == pytest.approx(TUESDAY_10 + 4.0)


def test_no_barge_in_on_a_voicemail_greeting(tmp_path):
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: voicemail
          mailbox: m
          prompt: "Please leave a message after the tone, thank you."
          next: menu
        menu:
          type: menu
          prompt: "Press 1."
          options: {"1": bye}
          fail: bye
        bye: {type: hangup}
        """),
    )
    run = run_call(p, [Press("1", after=0.5, barge_in=True)], record_seconds=5)
    assert run.result.nodes == ["start", "menu", "bye"]
    assert run.kinds(VoicemailRecorded)[0].at == pytest.approx(TUESDAY_10 + 9 * 0.4 + 5)


def test_customer_dates_are_usable_in_expressions(tmp_path):
    text = flow("""
        start:
          type: authenticate
          id_prompt: "ID?"
          pin_prompt: "PIN?"
          next: check
          fail: bye
        check:
          type: branch
          conditions:
            - when: customer.since < "2021-01-01"
              next: loyal
          default: bye
        loyal: {type: hangup}
        bye: {type: hangup}
        """)
    customers = 'customers:\n  - {id: "7", pin: "1111", since: 2020-03-01}\n'
    p = project_from(tmp_path, text, extra={"directory/customers.yaml": customers})
    run = run_call(p, ["7#", "1111"])
    assert run.result.nodes == ["start", "check", "loyal"]
    assert run.result.customer["since"] == "2020-03-01"


async def test_builtin_directory_matches_phone_numbers_on_digits():
    from alur.flow.services import BuiltinDirectory

    directory = BuiltinDirectory(
        {"1": {"id": "1", "pin": "9", "phone": "+62 811-0000"}, "2": {"id": "2", "phone": "unknown"}}
    )
    for caller in ("+628110000", "628110000", "sip:+628110000@10.0.0.1;user=phone", "tel:+62-811-0000"):
        assert (await directory.find_by_phone(caller)) == {"id": "1", "phone": "+62 811-0000"}
    assert await directory.find_by_phone("+628110001") is None
    assert await directory.find_by_phone("") is None
    assert await directory.find_by_phone("anonymous") is None
    assert await directory.authenticate("1", "9") == {"id": "1", "phone": "+62 811-0000"}
    assert await directory.authenticate("1", "") is None
