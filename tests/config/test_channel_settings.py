"""`channels:` in alur.yaml: what it names must exist and be of the right channel, one line each."""

from __future__ import annotations

from pathlib import Path

import pytest
from chatkit import chat_project

from alur.config.project import ProjectInvalid


def test_channels_name_existing_flows_and_queues_of_their_channel(tmp_path: Path) -> None:
    bad = (
        "name: shop\ndefault_flow: main\nchannels:\n  chat: {flow: nowhere}\n"
        "  sms: {queue: calls, gateways: [{name: g, secret: x, send_url: 'http://127.0.0.1:1/'}]}\n"
        "  email: {queue: post, address: help@shop.example}\n"
    )
    with pytest.raises(ProjectInvalid) as caught:
        chat_project(tmp_path, **{"alur.yaml": bad})
    text = str(caught.value)
    assert "channels.chat.flow 'nowhere' does not exist" in text
    assert "channels.sms.queue 'calls' is a voice queue (give it 'channel: sms')" in text
    assert "channels.email.queue 'post' does not exist" in text


def test_an_unsigned_gateway_is_refused(tmp_path: Path) -> None:
    settings = (
        "name: shop\ndefault_flow: main\nchannels:\n  sms: {queue: sms, gateways: [{name: g, send_url: x}]}\n"
    )
    with pytest.raises(ProjectInvalid, match="needs 'secret' or 'secret_env'"):
        chat_project(tmp_path, **{"alur.yaml": settings})


def test_a_deflect_node_needs_an_sms_gateway(tmp_path: Path) -> None:
    flow = (
        "flow: main\nstart: link\nnodes:\n"
        "  link:\n    type: deflect\n    message: 'https://shop.example/chat'\n    next: bye\n"
        "  bye:\n    type: hangup\n"
    )
    with pytest.raises(ProjectInvalid, match=r"deflect node\(s\) main.link send SMS, but alur.yaml has no"):
        chat_project(tmp_path, **{"flows/main.yaml": flow})
