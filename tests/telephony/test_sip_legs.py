"""SIP leg states: the transition tables are complete, and a move they do not list is refused."""

from __future__ import annotations

import pytest

from alur.core.errors import IllegalTransition
from alur.telephony.sip.legs import (
    CLIENT_TRANSITIONS,
    SERVER_TRANSITIONS,
    ClientLegState,
    ServerLegState,
    checked_move,
)


@pytest.mark.parametrize(
    ("states", "table", "final"),
    [
        (ServerLegState, SERVER_TRANSITIONS, {ServerLegState.ENDED}),
        (ClientLegState, CLIENT_TRANSITIONS, {ClientLegState.ENDED, ClientLegState.FAILED}),
    ],
)
def test_every_state_has_a_row_and_only_the_end_is_final(states, table, final):
    assert set(table) == set(states)
    assert {s for s in states if not table[s]} == final


def test_allowed_move_returns_the_new_state():
    S = ServerLegState
    assert checked_move("c1", S.EARLY, S.ANSWERED, SERVER_TRANSITIONS) is S.ANSWERED


@pytest.mark.parametrize(
    ("old", "new", "table"),
    [
        (ServerLegState.CONFIRMED, ServerLegState.EARLY, SERVER_TRANSITIONS),
        (ServerLegState.ENDED, ServerLegState.CONFIRMED, SERVER_TRANSITIONS),
        (ServerLegState.EARLY, ServerLegState.CONFIRMED, SERVER_TRANSITIONS),  # no ACK before the 200
        (ClientLegState.FAILED, ClientLegState.CONFIRMED, CLIENT_TRANSITIONS),
        (ClientLegState.RINGING, ClientLegState.ENDED, CLIENT_TRANSITIONS),  # ringing ends by CANCEL
        (ClientLegState.ENDED, ClientLegState.CALLING, CLIENT_TRANSITIONS),
    ],
)
def test_illegal_move_names_the_leg_and_the_states(old, new, table):
    with pytest.raises(IllegalTransition) as caught:
        checked_move("call-7", old, new, table)
    assert f"SIP leg 'call-7' cannot go from {old.value} to {new.value}" in str(caught.value)
    assert caught.value.code == "illegal_transition"
