"""First-contact resolution: repeats within the window by number or directory id; anonymous callers
are never taken for one another."""

from __future__ import annotations

from alur.core import events as ev
from alur.metrics.fcr import DAY, FirstContactFold


def call(fold: FirstContactFold, call_id: str, at: float, caller: str, answered: bool = True) -> None:
    fold.apply(ev.CallArrived(at, call_id, caller, "1000", "main"))
    if answered:
        fold.apply(ev.Answered(at + 5, call_id, "ayu", "billing", 5.0))


def test_a_call_back_inside_the_window_makes_a_repeat_and_outside_it_does_not() -> None:
    fold = FirstContactFold(repeat_days=3)
    call(fold, "a", 0, "+62811")
    call(fold, "b", 2 * DAY, "+62811", answered=False)  # 2 days later: a repeat of a
    call(fold, "c", 10 * DAY, "+62811")  # 8 days after b: c stands
    call(fold, "d", 0, "anonymous")
    call(fold, "e", 1, "anonymous", answered=False)  # another anonymous caller, not d's customer
    assert fold.repeats() == {"a"}
    assert fold.resolved() == {"c", "d"}


def test_the_wrap_up_can_mark_a_call_unresolved_and_change_its_mind() -> None:
    fold = FirstContactFold(repeat_days=7)
    call(fold, "a", 0, "+62811")
    fold.apply(ev.Disposition(100, "a", "ayu", "refund", False))
    assert fold.resolved() == set()
    fold.apply(ev.Disposition(200, "a", "ayu", "refund", True))
    assert fold.resolved() == {"a"}
