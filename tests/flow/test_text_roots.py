"""Bare text variables (`${language}`, `${caller_id}`...) skip CEL but give what CEL gives."""

from __future__ import annotations

import pytest
from flowkit import flow, project_from, run_call

from alur.core.clock import VirtualClock
from alur.flow.call import Call
from alur.flow.expr import TEXT_ROOTS, compile_expression, compile_template
from alur.flow.interpreter import FlowRunner
from alur.sim.report import compiled_engine
from alur.testing.channel import SimChannel


def test_text_variables_follow_the_call_through_prompts_and_queue(tmp_path):
    p = project_from(
        tmp_path,
        flow("""
        start:
          type: play
          say: "${language}|${caller_id}|${dialed}|${call_id}|${flow}"
          next: switch
        switch:
          type: set
          vars: {language: id}
          next: again
        again:
          type: play
          say: "${language}"
          next: wait
        wait:
          type: queue
          queue: support
          language: "${language}"
        """),
    )
    run = run_call(p, caller_id="+62811", dialed="100")
    assert run.result.prompts == ["en|+62811|100|c1|main", "id"]
    assert run.queue.requests[0].language == "id"


def test_fast_path_agrees_with_cel_and_falls_back_for_other_values(tmp_path):
    p = project_from(tmp_path, flow("start: {type: hangup}"))
    clock = VirtualClock(0.0)
    runner = FlowRunner(p, clock=clock)
    call = Call(SimChannel(clock, call_id="c9", caller_id="sip:7@pbx", dialed="100"), runner, p.flows["main"])
    call.set_var("language", "id")
    for root in sorted(TEXT_ROOTS):
        expression = compile_expression(root)
        assert expression.bare == root
        assert expression.evaluate(call) == expression.evaluate(call.as_dict())
    assert compile_expression("language + ''").bare is None
    assert compile_template("${language}-${flow}").render(call) == "id-main"

    class Unnamed:  # a leg whose caller id is not text: CEL answers, as before
        call_id, caller_id, dialed = "c10", None, "100"

    unnamed = Call(Unnamed(), runner, p.flows["main"])  # type: ignore[arg-type]
    if compiled_engine():  # it checks the declared types (caller_id: str) as it reads them
        with pytest.raises(TypeError):
            compile_expression("caller_id").evaluate(unnamed)
    else:
        assert compile_expression("caller_id").evaluate(unnamed) is None
