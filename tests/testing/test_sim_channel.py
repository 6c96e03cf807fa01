"""The scripted caller channel's plug-in points, as test-flow and the simulator both use them."""

from __future__ import annotations

from collections.abc import Coroutine
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alur.core.channel import DigitsResult, Prompt, QueueOutcome, QueueRequest
from alur.core.clock import VirtualClock
from alur.core.errors import CallerHungUp
from alur.core.tasks import Future, run_until_complete
from alur.testing.channel import DigitsAsk, Press, Response, ScriptedCaller, Silence, SimChannel

MENU = SimpleNamespace(type="menu", options={"1": "a", "2": "b"})
PLAY = SimpleNamespace(type="play")
PROMPT = Prompt(text="press one or two")  # 3 s with the fixed length below


class Deciding:
    """A behaviour like the simulator's: it decides while the menu prompt plays, and hears each node."""

    def __init__(self, press: Press) -> None:
        self.press = press
        self.entered: list[tuple[str, str, str]] = []
        self.asked: list[DigitsAsk] = []
        self.barged = 0

    def node_entered(self, flow: str, node: str, model: Any) -> None:
        self.entered.append((flow, node, model.type))

    def barge(self) -> Press | None:
        self.barged += 1
        return self.press if self.barged == 1 else None

    def respond(self, ask: DigitsAsk) -> Response:
        self.asked.append(ask)
        return Silence()


def channel(clock: VirtualClock, caller: Any, **kw: Any) -> SimChannel:
    return SimChannel(clock, call_id="c1", caller=caller, prompt_seconds=lambda p: 3.0, **kw)


def collect(
    ch: SimChannel, max_digits: int = 1, terminator: str | None = "#"
) -> Coroutine[Any, Any, DigitsResult]:
    return ch.collect_digits(max_digits, timeout=5.0, inter_digit_timeout=2.0, terminator=terminator)


def test_behaviour_hears_each_node_and_keys_cut_the_prompt() -> None:
    clock = VirtualClock(0.0)
    caller = Deciding(Press("2", after=1.0, barge_in=True))
    ch = channel(clock, caller)

    async def call() -> DigitsResult:
        ch.node_entered("main", "menu", MENU)
        await ch.play(PROMPT)
        assert clock.now() == 1.0  # cut short by the key
        return await collect(ch)

    assert run_until_complete(clock, call()) == DigitsResult("2", "max_digits")
    assert caller.entered == [("main", "menu", "menu")] and caller.asked == []


@pytest.mark.parametrize("keep, expected", [(True, DigitsResult("2", "max_digits")), (False, None)])
def test_keys_typed_ahead_and_never_read_die_with_the_node_when_asked(keep: bool, expected: Any) -> None:
    clock = VirtualClock(0.0)
    caller = Deciding(Press("2", after=1.0, barge_in=True))
    ch = channel(clock, caller, keep_typeahead=keep)

    async def call() -> DigitsResult:
        ch.node_entered("main", "greeting", PLAY)
        await ch.play(PROMPT)
        ch.node_entered("main", "menu", MENU)
        return await collect(ch)

    result = run_until_complete(clock, call())
    if keep:  # test-flow: keys pressed during the greeting answer the menu that follows
        assert result == expected and caller.asked == []
    else:  # the simulator: a choice belongs to the node it was made in
        assert result == DigitsResult("", "timeout") and clock.now() == 1.0 + 5.0  # cut, then timeout
        assert [a.node for a in caller.asked] == ["menu"] and caller.asked[0].options == ("1", "2")


@pytest.mark.parametrize("after, heard_at", [(1.0, 3.0), (5.0, 5.0)])
def test_keys_decided_during_a_prompt_without_barge_in_come_after_it(after: float, heard_at: float) -> None:
    clock = VirtualClock(0.0)
    ch = channel(clock, Deciding(Press("1", after=after, barge_in=False)))

    async def call() -> DigitsResult:
        ch.node_entered("main", "menu", MENU)
        await ch.play(PROMPT)
        assert clock.now() == 3.0  # the prompt plays to its end
        return await collect(ch)

    assert run_until_complete(clock, call()) == DigitsResult("1", "max_digits")
    assert clock.now() == heard_at


@pytest.mark.parametrize(
    "terminator, expected, took",
    [
        ("#", DigitsResult("123", "terminator"), 1.0 + 2 * 0.5 + 0.5),
        (None, DigitsResult("123", "timeout"), 4.0),
    ],
)
def test_a_short_entry_ends_with_the_terminator_key(
    terminator: str | None, expected: Any, took: float
) -> None:
    clock = VirtualClock(0.0)
    ch = channel(clock, ScriptedCaller([Press("123", after=1.0, gap=0.5, terminate=True)]))
    result = run_until_complete(clock, collect(ch, max_digits=6, terminator=terminator))
    assert result == expected and clock.now() == pytest.approx(took)


def test_queue_handler_may_hand_back_a_future() -> None:
    clock = VirtualClock(0.0)
    seen: list[QueueRequest] = []

    def engine(ch: SimChannel, request: QueueRequest) -> Future[QueueOutcome]:
        seen.append(request)
        future: Future[QueueOutcome] = Future()
        clock.call_later(30.0, lambda: future.set_result(QueueOutcome("answered", agent_id="a1", wait=30.0)))
        return future

    ch = channel(clock, ScriptedCaller([]), queue=engine)
    outcome = run_until_complete(clock, ch.enqueue(QueueRequest(queue="support")))
    assert outcome.agent_id == "a1" and clock.now() == 30.0 and seen[0].queue == "support"


def test_caller_hanging_up_while_a_future_queue_handler_waits() -> None:
    clock = VirtualClock(0.0)
    never: Future[QueueOutcome] = Future()
    ch = channel(clock, ScriptedCaller([]), queue=lambda ch, r: never, hangup_at=12.0)
    gone: list[float] = []
    ch.on_hangup(lambda: gone.append(clock.now()))
    with pytest.raises(CallerHungUp):
        run_until_complete(clock, ch.enqueue(QueueRequest(queue="support")))
    assert gone == [12.0] and ch.hung_up


@settings(max_examples=150, deadline=None)
@given(
    digits=st.text("0123456789*", min_size=1, max_size=8),
    after=st.floats(0, 8),
    gap=st.floats(0, 3),
    max_digits=st.integers(1, 8),
    terminator=st.sampled_from(["#", None]),
    terminate=st.booleans(),
)
def test_collected_digits_are_what_the_caller_typed_within_the_limits(
    digits: str, after: float, gap: float, max_digits: int, terminator: str | None, terminate: bool
) -> None:
    clock = VirtualClock(0.0)
    ch = channel(clock, ScriptedCaller([Press(digits, after=after, gap=gap, terminate=terminate)]))
    result = run_until_complete(clock, collect(ch, max_digits=max_digits, terminator=terminator))
    assert digits.startswith(result.digits) and len(result.digits) <= max_digits
    assert (result.ended_by == "max_digits") == (len(result.digits) == max_digits)
    if after > 5.0:  # slower than the timeout: nothing heard
        assert result == DigitsResult("", "timeout") and clock.now() == 5.0
    else:
        assert result.digits and clock.now() <= after + len(digits) * gap + 2.0 + 1e-9
