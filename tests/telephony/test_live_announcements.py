"""What a waiting caller hears: the estimated wait is announced only when there is an estimate."""

from __future__ import annotations

from alur.core.announcements import Announcements
from alur.core.channel import QueueRequest
from alur.core.clock import VirtualClock
from alur.routing import AgentConfig, QueueConfig, Router
from alur.telephony.live import queue_announcements


def test_no_wait_is_announced_while_nobody_is_staffed() -> None:
    router = Router.from_config(
        [QueueConfig(name="support", expected_handle_time=240)],
        [AgentConfig.model_validate({"id": "ana", "queues": ["support"]})],
        clock=VirtualClock(0.0),
    )
    request = QueueRequest(queue="support", announce_position=True, announce_wait=True)
    router.enqueue("c1", request)
    said = Announcements()

    def news() -> list[str]:
        return [announcement for announcement, _prompt in queue_announcements(router, said, "c1", request)]

    assert news() == ["queue.position"]
    router.login("ana", paused="break")
    assert news() == ["queue.position"]  # paused: not staffed, still no estimate
    router.unpause("ana")
    router.pause("ana", "break")
    router.unpause("ana")  # staffed (the offer made to her keeps the call in line)
    assert "queue.wait" in news()
