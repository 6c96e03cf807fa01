"""An offer withdrawn while the agent's phone leg is still being set up (its RTP port opening) must
not leave that phone ringing: the leg is hung up the moment it exists.

The agents' phones here are an in-memory endpoint: a connector whose `ring` waits until the test
lets it go, standing where the SIP connector would open a port and send the INVITE.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from projectkit import tiny_project

from alur.core.channel import QueueRequest
from alur.core.clock import RealClock
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.telephony.connect import Target
from alur.telephony.live import LiveQueues


class Leg:
    def __init__(self) -> None:
        self.result: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.hung_up = False
        self.on_ringing = lambda: None

    def hangup(self) -> None:
        self.hung_up = True
        if not self.result.done():
            self.result.set_result("cancelled")


class SlowPhones:
    """Rings when the test says so; remembers every leg it made."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.asked = asyncio.Event()
        self.legs: list[Leg] = []

    async def ring(
        self, target: Target, *, caller_id: str, timeout: float | None, headers: dict[str, str] | None = None
    ) -> Leg:
        self.asked.set()
        await self.go.wait()
        leg = Leg()
        self.legs.append(leg)
        return leg

    def resolve(self, destination: str) -> Target | None:
        return None


async def test_a_phone_is_not_left_ringing_for_an_offer_withdrawn_while_its_leg_was_set_up(
    tmp_path: Path,
) -> None:
    project = tiny_project(tmp_path)
    phones = SlowPhones()
    async with ContactCenter(project, clock=RealClock(asyncio.get_running_loop())) as center:
        live = LiveQueues(
            center,
            phones,  # type: ignore[arg-type]
            lambda agent: Target("sip:a@127.0.0.1", ("127.0.0.1", 5999), agent_id=agent),
            center.spawn,
        )
        center.execute(cmd.Enqueue("c1", QueueRequest("sales")))  # nobody in: it waits
        center.execute(cmd.RequestCallback("c1", "+62811"))  # the caller leaves a number
        center.execute(cmd.Login("ana"))  # the callback is offered to ana: her phone starts
        await asyncio.wait_for(phones.asked.wait(), 5)
        center.execute(cmd.Pause("ana", "break"))  # the offer is withdrawn before the leg exists
        await center.settle()
        phones.go.set()

        async def leg_made() -> None:
            while not phones.legs:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(leg_made(), 5)
        await asyncio.sleep(0)  # the ring task goes on right after `ring` returns the leg
        await center.settle()
        assert phones.legs[0].hung_up  # stopped at once
        assert live.ringing == {}  # and not kept as ringing for an offer that is gone
        assert center.router.agent_state("ana").value == "paused"
