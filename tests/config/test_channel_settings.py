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


def test_a_response_target_is_checked_with_its_file_and_line(tmp_path: Path) -> None:
    mail = "name: mail\nchannel: email\nring_timeout: 60\nresponse_target: -5\n"
    with pytest.raises(ProjectInvalid) as caught:
        chat_project(tmp_path / "a", **{"queues/mail.yaml": mail})
    assert str(caught.value).splitlines()[1:] == [
        "queues/mail.yaml:4: response_target: Input should be greater than 0 (got -5)"
    ]
    calls = "name: calls\nresponse_target: 60\n"
    applies = "queues/calls.yaml.*response_target applies to chat, sms and email"
    with pytest.raises(ProjectInvalid, match=applies):
        chat_project(tmp_path / "b", **{"queues/calls.yaml": calls})
    project = chat_project(tmp_path / "c")
    assert project.queues["mail"].target == 4 * 3600.0  # e-mail has a target unless it names one
    assert project.queues["web"].target is None
