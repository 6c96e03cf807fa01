"""CEL expressions and templates; the split's exactness and the scripted channel's timing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alur.core.clock import VirtualClock
from alur.core.errors import CallerHungUp
from alur.core.tasks import run_until_complete
from alur.flow.expr import ExpressionError, compile_expression, compile_template
from alur.flow.nodes.split import SplitNode
from alur.testing.channel import DigitsAsk, HangUp, Press, ScriptedCaller, SimChannel


def test_expression_evaluates_over_call_context():
    e = compile_expression("customer.tier == 'gold' && vars.count >= 2 && caller_id.startsWith('+62')")
    assert e.truth({"customer": {"tier": "gold"}, "vars": {"count": 3}, "caller_id": "+6281"}) is True
    assert e.truth({"customer": {"tier": "silver"}, "vars": {"count": 3}, "caller_id": "+6281"}) is False


def test_expression_errors_are_domain_errors():
    with pytest.raises(ExpressionError, match="unknown variable"):
        compile_expression("os.system('x')")
    with pytest.raises(ExpressionError, match="column"):
        compile_expression("1 +")
    e = compile_expression("vars.n > 1")
    with pytest.raises(ExpressionError, match="no such key"):
        e.evaluate({"vars": {}})
    with pytest.raises(ExpressionError, match="not true/false"):
        compile_expression("vars.n").truth({"vars": {"n": 1}})
    with pytest.raises(ExpressionError):
        e.evaluate({"vars": {"n": "text"}})


def test_templates_render_and_keep_types():
    t = compile_template("Balance ${vars.b}, paid ${vars.paid}, ${vars.f}")
    assert t.render({"vars": {"b": 1500, "paid": True, "f": 2.0}}) == "Balance 1500, paid true, 2"
    assert compile_template("${vars.n + 1}").value({"vars": {"n": 1}}) == 2
    assert compile_template("plain").is_constant
    with pytest.raises(ExpressionError, match="unclosed"):
        compile_template("oops ${vars.x")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=97), min_size=2, max_size=5).filter(lambda w: sum(w) < 100),
    st.integers(min_value=1, max_value=400),
)
def test_split_counts_never_drift_from_the_exact_share(weights, calls):
    percents = weights + [100 - sum(weights)]
    node = SplitNode.model_validate(
        {"type": "split", "branches": [{"percent": p, "next": f"b{i}"} for i, p in enumerate(percents)]}
    )
    state = [0.0] * len(percents)

    class Runner:
        def split_state(self, flow, node_id, n):
            return state

    class Call:
        runner = Runner()
        node_id = "s"

        class flow:
            name = "f"

    counts = [0] * len(percents)
    for _ in range(calls):
        target = run_until_complete(VirtualClock(), node.run(Call()))
        counts[int(target[1:])] += 1
    for count, percent in zip(counts, percents, strict=True):
        assert abs(count - calls * percent / 100) < len(percents)
    if calls % 100 == 0:
        assert counts == [calls * p // 100 for p in percents]


def run_collect(steps, **kw):
    clock = VirtualClock(0.0)
    asks: list[DigitsAsk] = []

    class Caller:  # the script, with each ask noted
        def __init__(self) -> None:
            self.script = ScriptedCaller(steps)

        def barge(self):
            return self.script.barge()

        def respond(self, ask):
            asks.append(ask)
            return self.script.respond(ask)

    ch = SimChannel(clock, call_id="x", caller=Caller())
    ch.node_entered("f", "menu1", type("M", (), {"type": "menu", "options": {"1": "a", "2": "b"}})())

    async def go():
        return await ch.collect_digits(
            kw.get("max_digits", 4), timeout=5, inter_digit_timeout=2, terminator=kw.get("terminator", "#")
        )

    return run_until_complete(clock, go()), clock.now(), asks


def test_sim_channel_digit_timing():
    result, now, asks = run_collect([Press("12#", after=1.5, gap=0.5)])
    assert (result.digits, result.ended_by, now) == ("12", "terminator", 2.5)
    assert asks[0].options == ("1", "2") and asks[0].node == "menu1" and asks[0].attempt == 1
    result, now, _ = run_collect([Press("1234567", after=1, gap=0.5)])
    assert (result.digits, result.ended_by, now) == ("1234", "max_digits", 2.5)
    result, now, _ = run_collect([Press("12", after=1, gap=0.5)])
    assert (result.digits, result.ended_by, now) == (
        "12",
        "timeout",
        3.5,
    )  # waits out the inter-digit timeout
    result, now, _ = run_collect([Press("1", after=6)])
    assert (result.digits, result.ended_by, now) == ("", "timeout", 5.0)  # too late


def test_sim_channel_hangup_raises_at_the_right_time():
    with pytest.raises(CallerHungUp):
        run_collect([HangUp(after=3)])
    clock = VirtualClock(100.0)
    ch = SimChannel(clock, call_id="x", hangup_at=104.0)
    gone = []
    ch.on_hangup(lambda: gone.append(clock.now()))

    async def long_wait():
        await ch.sleep(60)

    with pytest.raises(CallerHungUp):
        run_until_complete(clock, long_wait())
    assert gone == [104.0] and ch.hung_up
