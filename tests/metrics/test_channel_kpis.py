"""Figures per channel from the log: offered, handled, first response (voice: the wait; a
conversation: until the agent's first message), handle time, FCR across channels (the same customer
coming back on another channel within the window is not resolved at first contact) and concurrency."""

from __future__ import annotations

import pytest

from alur.core import events as ev
from alur.metrics.channels import ChannelFold

CHANNELS = {"calls": "voice", "web": "chat", "mail": "email"}


def test_per_channel_figures_and_fcr_across_channels() -> None:
    fold = ChannelFold(CHANNELS, fcr_window=3600)
    log: list[ev.Event] = [
        ev.ConversationStarted(0, "chat-1", "chat", phone="+6281200001"),
        ev.CallQueued(1, "chat-1", "web", 0),
        ev.Answered(31, "chat-1", "ayu", "web", 30),
        ev.ConversationStarted(40, "chat-2", "chat", phone="+6281299999"),
        ev.CallQueued(40, "chat-2", "web", 0),
        ev.Answered(50, "chat-2", "ayu", "web", 10),
        ev.ConversationMessage(61, "chat-1", "chat", "out", "agent", "Hello", "ayu"),
        ev.ConversationMessage(80, "chat-2", "chat", "out", "agent", "Hi", "ayu"),
        ev.TalkEnded(131, "chat-1", "ayu", "web", 100),
        ev.TalkEnded(150, "chat-2", "ayu", "web", 100),
        ev.CallArrived(1000, "v1", "081200001", "100", "main"),  # chat-1's customer calls back
        ev.CallQueued(1001, "v1", "calls", 0),
        ev.Answered(1011, "v1", "budi", "calls", 10),
        ev.TalkEnded(1071, "v1", "budi", "calls", 60),
    ]
    for e in log:
        fold.apply(e)
    rows = {r["channel"]: r for r in fold.rows()}
    chat, voice = rows["chat"], rows["voice"]
    assert (chat["offered"], chat["handled"]) == (2, 2)
    assert chat["first_response"] == pytest.approx((61 + 40) / 2)  # 61 s and 40 s from the start
    assert chat["handle_time"] == pytest.approx(100)
    assert (chat["resolved_first_contact"], chat["fcr"]) == (1, 0.5)  # chat-1's customer called back
    assert (voice["first_response"], voice["fcr"]) == (10, 1.0)
    ayu = next(a for a in fold.agents(200) if a["agent_id"] == "ayu")
    assert ayu["most_at_once"] == 2
    assert ayu["average_at_once"] == pytest.approx((19 * 1 + 81 * 2 + 19 * 1) / 119)
