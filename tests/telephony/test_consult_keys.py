"""The agent's keypad during a talk: feature codes become consultation requests, other keys (such as
the recording's pause code) go on unchanged; the service refuses a consultation no talk carries."""

from __future__ import annotations

from pathlib import Path

import pytest
from projectkit import tiny_project

from alur.core.clock import VirtualClock
from alur.core.errors import AlurError
from alur.service import commands as cmd
from alur.service.center import ContactCenter
from alur.telephony.consult import ConsultControl


def keyed(digits: str) -> tuple[list[tuple[str, str]], str]:
    control = ConsultControl()
    passed: list[str] = []
    key = control.keypad(passed.append)
    for digit in digits:
        key(digit)
    requests = []
    while not control.requests.empty():
        requests.append(control.requests.get_nowait())
    return requests, "".join(passed)


def test_feature_codes_become_requests_and_other_keys_pass_on() -> None:
    assert keyed("*71001#") == ([("consult", "1001")], "")
    assert keyed("*8*9*0") == ([("complete", ""), ("cancel", ""), ("conference", "")], "")
    assert keyed("*1") == ([], "*1")  # the recording's pause code is not taken
    assert keyed("5*7#") == ([], "5")  # a consultation with no destination asks nothing


async def test_the_service_refuses_a_consultation_no_talk_carries(tmp_path: Path) -> None:
    async with ContactCenter(tiny_project(tmp_path), clock=VirtualClock(0.0)) as center:
        with pytest.raises(AlurError) as err:
            center.execute(cmd.Consult("c1", "budi"))
        assert (err.value.code, err.value.value) == ("no_device", "c1")
        asked: list[tuple[str, str]] = []
        center.devices.consults["c1"] = lambda action, destination: asked.append((action, destination))
        center.execute(cmd.Consult("c1", "budi"))
        center.execute(cmd.ConsultStep("c1", "complete"))
        with pytest.raises(AlurError) as bad:
            center.execute(cmd.ConsultStep("c1", "park"))
        assert bad.value.code == "bad_command"
        assert asked == [("consult", "budi"), ("complete", "")]
