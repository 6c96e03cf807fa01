"""Deflection from the IVR: a menu option sends the caller an SMS with a chat link through the
project's gateway (a local HTTP server here) and ends the call; when the gateway cannot be reached the
flow takes the node's `fail` path (a project with a deflect node and no gateway does not load)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from apikit import Api, start_api
from chatkit import chat_project
from httpsink import Sink, http_sink

from alur.core import events as ev
from alur.core.channel import (
    ConnectOutcome,
    DigitsResult,
    Prompt,
    QueueOutcome,
    QueueRequest,
    Recording,
    SpeechGrammar,
)  # fmt: skip

IVR = """\
flow: ivr
start: menu
nodes:
  menu:
    type: menu
    prompt: "For an agent press 1. To get a chat link by SMS press 2."
    options: {"1": agent, "2": link}
    fail: agent
  agent:
    type: queue
    queue: calls
    fail: bye
  link:
    type: deflect
    message: {en: "Continue in chat: https://shop.example/chat?from=${caller_id}", id: "Lanjut di chat"}
    prompt: "We have sent you a link. Goodbye."
    fail: agent
  bye:
    type: hangup
"""


class Keypad:
    """A caller who presses the given keys, one per question, at once."""

    dialed = "100"

    def __init__(self, call_id: str, caller_id: str, keys: list[str]) -> None:
        self.call_id, self.caller_id, self.keys = call_id, caller_id, keys
        self.heard: list[str] = []

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> None:
        self.heard.append(prompt.text or "")

    async def collect_digits(
        self, max_digits: int, *, timeout: float, inter_digit_timeout: float,
        terminator: str | None = "#", speech: SpeechGrammar | None = None,
    ) -> DigitsResult:  # fmt: skip
        return DigitsResult(self.keys.pop(0), "max_digits") if self.keys else DigitsResult("", "timeout")

    async def record(self, *, max_seconds: float, silence_timeout: float, beep: bool = True) -> Recording:
        return Recording("", 0.0)

    async def enqueue(self, request: QueueRequest) -> QueueOutcome:
        return QueueOutcome("no_agents")

    async def bridge(
        self, destinations: list[str], *, timeout: float, strategy: str = "ring_all"
    ) -> ConnectOutcome:
        return ConnectOutcome("failed")

    async def transfer(self, number: str, *, timeout: float) -> ConnectOutcome:
        return ConnectOutcome("failed")

    async def hangup(self, reason: str = "normal") -> None:
        pass


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    async with http_sink() as running:
        yield running


async def start(tmp_path: Path, settings: str) -> AsyncIterator[Api]:
    chat_project(tmp_path / "p", **{"alur.yaml": settings, "flows/ivr.yaml": IVR})
    async for api in start_api(tmp_path / "p", f"sqlite:///{tmp_path / 'a.db'}"):
        yield api


async def test_a_caller_gets_the_chat_link_by_sms_and_the_call_ends(tmp_path: Path, sink: Sink) -> None:
    settings = (
        "name: shop\ndefault_flow: main\nchannels:\n  sms:\n    queue: sms\n    gateways:\n"
        f"      - {{name: gw, secret: s, sender: '+6200', send_url: '{sink.url}/send'}}\n"
    )
    async for api in start(tmp_path, settings):
        caller = Keypad("v1", "+6281200001", ["2"])
        result = await api.center.runner.run_call(caller, flow="ivr")
        assert (result.how, result.node) == ("deflected", "link")
        assert caller.heard[-1] == "We have sent you a link. Goodbye."
        sent = await sink.next()
        assert sent.path == "/send"
        assert b'"text": "Continue in chat: https://shop.example/chat?from=+6281200001"' in sent.body
        await api.settle()
        [fact] = [e for e in api.store.events() if isinstance(e, ev.Deflected)]
        assert (fact.to, fact.sent, fact.channel) == ("+6281200001", True, "sms")


async def test_when_the_gateway_cannot_be_reached_the_flow_takes_the_fail_path(tmp_path: Path) -> None:
    unreachable = "http://127.0.0.1:9/send"  # the discard port: nothing listens
    settings = (
        "name: shop\ndefault_flow: main\nchannels:\n  sms:\n    queue: sms\n    gateways:\n"
        f"      - {{name: gw, secret: s, sender: '+6200', send_url: '{unreachable}'}}\n"
    )
    async for api in start(tmp_path, settings):
        result = await api.center.runner.run_call(Keypad("v2", "+6281200001", ["2"]), flow="ivr")
        assert "agent" in result.nodes and result.how != "deflected"
        await api.settle()
        [fact] = [e for e in api.store.events() if isinstance(e, ev.Deflected)]
        assert not fact.sent and "unreachable" in fact.error
