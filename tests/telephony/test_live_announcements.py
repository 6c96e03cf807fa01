"""What a waiting caller hears: the estimated wait is announced only when there is an estimate."""

from __future__ import annotations

from alur.core.channel import QueueRequest
from alur.core.clock import VirtualClock
from alur.routing import AgentConfig, QueueConfig, Router
from alur.telephony.live import queue_announcement


def test_no_wait_is_announced_while_nobody_is_staffed() -> None:
    router = Router.from_config(
        [QueueConfig(name="support", expected_handle_time=240)],
        [AgentConfig.model_validate({"id": "ana", "queues": ["support"]})],
        clock=VirtualClock(0.0),
    )
    request = QueueRequest(queue="support", announce_position=True, announce_wait=True)
    router.enqueue("c1", request)
    text = queue_announcement(router, "c1", request)
    assert text == "You are number 1 in line."
    router.login("ana", paused="break")
    assert queue_announcement(router, "c1", request) == "You are number 1 in line."  # paused: not staffed
