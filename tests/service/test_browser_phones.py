"""Agents' browser phones as the service sees them: one page per agent, messages passed on only from it,
and a closed page counted gone only once the reconnect grace passes without it coming back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from alur.config.project import BrowserPhoneSettings, ProjectSettings
from alur.service.phones import BrowserPhones


def phones(grace: float = 0.2) -> tuple[BrowserPhones, list[Any]]:
    hub = BrowserPhones(BrowserPhoneSettings(reconnect_grace=grace))
    seen: list[Any] = []
    hub.on_message = lambda agent, message: seen.append(("message", agent, message["type"]))
    hub.on_attach = lambda agent: seen.append(("attach", agent))
    hub.on_detach = lambda agent: seen.append(("detach", agent))
    hub.on_gone = lambda agent: seen.append(("gone", agent))
    return hub, seen


async def test_a_page_gets_the_ice_servers_and_its_messages_reach_the_adapter() -> None:
    hub = BrowserPhones(
        BrowserPhoneSettings.model_validate(
            {"ice_servers": [{"urls": "turn:turn.example.com:3478", "username": "u", "credential": "p"}]}
        )
    )
    seen: list[Any] = []
    hub.on_message = lambda agent, message: seen.append((agent, message))
    sent: list[Any] = []
    page = hub.attach("ayu", sent.append)
    assert sent[0]["type"] == "hello"
    turn = {"urls": ["turn:turn.example.com:3478"], "username": "u", "credential": "p"}
    assert sent[0]["ice_servers"] == [turn]
    assert sent[0]["codecs"] == ["PCMU", "opus"]
    hub.deliver(page, {"type": "hangup", "leg": "b1"})
    assert seen == [("ayu", {"type": "hangup", "leg": "b1"})]


async def test_a_second_page_replaces_the_first_which_is_no_longer_heard() -> None:
    hub, seen = phones()
    first_sent: list[Any] = []
    first = hub.attach("ayu", first_sent.append)
    second = hub.attach("ayu", lambda m: None)
    assert first_sent[-1] == {"type": "replaced"}
    hub.deliver(first, {"type": "reject"})
    hub.deliver(second, {"type": "hangup"})
    hub.detach(first)  # the old page closing does not take the agent's phone away
    assert hub.attached("ayu")
    assert seen == [("attach", "ayu"), ("attach", "ayu"), ("message", "ayu", "hangup")]


async def test_a_page_back_within_the_grace_is_not_gone() -> None:
    hub, seen = phones(grace=0.3)
    hub.detach(hub.attach("ayu", lambda m: None))
    assert not hub.attached("ayu")
    await asyncio.sleep(0)  # the loop turns once; no wall-clock wait, which a busy machine could stretch
    hub.attach("ayu", lambda m: None)  # back within the grace, however slow the machine
    await asyncio.sleep(0.4)  # past the grace: its timer, had it not been cancelled, has run by now
    assert ("gone", "ayu") not in seen
    assert seen == [("attach", "ayu"), ("detach", "ayu"), ("attach", "ayu")]


async def test_a_page_not_back_within_the_grace_is_gone() -> None:
    hub, seen = phones(grace=0.1)
    hub.detach(hub.attach("ayu", lambda m: None))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2
    while ("gone", "ayu") not in seen:
        assert loop.time() < deadline, seen
        await asyncio.sleep(0.02)


async def test_without_telephony_a_page_is_told_calls_cannot_reach_it() -> None:
    hub = BrowserPhones()
    sent: list[Any] = []
    page = hub.attach("ayu", sent.append)
    assert sent[0]["ready"] is False
    hub.deliver(page, {"type": "echo", "sdp": ""})
    assert sent[-1]["type"] == "error"


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({"ice_servers": [{"urls": "http://stun.example.com"}]}, "stun:, stuns:, turn: or turns:"),
        ({"codecs": ["G729"]}, "PCMU"),
        ({"reconnect_grace": 0}, "greater than 0"),
    ],
)
def test_bad_browser_phone_settings_are_refused_with_the_reason(section: dict[str, Any], words: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        ProjectSettings.model_validate({"browser_phone": section})
    assert words in str(caught.value)
