"""Commands are plain data: they cross a wire and come back equal; bad ones are named."""

from __future__ import annotations

import json

import pytest

from alur.core.channel import QueueRequest
from alur.service import commands as cmd


@pytest.mark.parametrize(
    "command",
    [
        cmd.Enqueue("c1", QueueRequest("billing", priority=5, skills=(("billing", 3),), language="id")),
        cmd.Answer("r1"),
        cmd.Decline("r1", "busy"),
        cmd.Hangup("c1", "agent"),
        cmd.Pause("ayu", "lunch"),
        cmd.WrapUp("ayu", "c1", "sale", resolved=False, notes="call back", ready=True),
    ],
)
def test_a_command_survives_json(command: cmd.Command) -> None:
    wire = json.dumps(cmd.command_to_dict(command))
    assert cmd.command_from_dict(json.loads(wire)) == command


def test_unknown_commands_and_fields_are_named() -> None:
    with pytest.raises(cmd.BadCommand, match="unknown command 'Dance'"):
        cmd.command_from_dict({"command": "Dance"})
    with pytest.raises(cmd.BadCommand, match=r"command Pause: unknown field\(s\) \['minutes'\]"):
        cmd.command_from_dict({"command": "Pause", "agent_id": "ayu", "minutes": 5})
    with pytest.raises(cmd.BadCommand, match="command Pause: "):
        cmd.command_from_dict({"command": "Pause"})  # agent_id missing
