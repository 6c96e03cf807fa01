"""A small multichannel contact center for tests: a web chat flow, chat/SMS/e-mail queues, two agents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alur.config.project import Project, load_project

FILES = {
    "alur.yaml": ("name: shop\ntimezone: UTC\nnumbers:\n  '100': main\nchannels:\n  chat: {flow: webchat}\n"),
    "flows/main.yaml": (
        "flow: main\nstart: q\nnodes:\n"
        "  q:\n    type: queue\n    queue: calls\n    fail: bye\n"
        "  bye:\n    type: hangup\n"
    ),
    "flows/webchat.yaml": (
        "flow: webchat\nstart: open\nnodes:\n"
        "  open:\n    type: hours\n    calendar: always\n    open: hello\n    closed: shut\n"
        "  shut:\n    type: play\n    say: We are closed.\n    next: bye\n"
        "  hello:\n    type: play\n    say: {en: Hello! Welcome to the shop., id: Halo! Selamat datang.}\n"
        "    next: topic\n"
        "  topic:\n    type: menu\n    prompt: What can we help with?\n"
        "    options:\n      '1': {next: chat_queue, label: Orders}\n"
        "      '2': {next: chat_queue, label: Returns}\n    fail: chat_queue\n"
        "  chat_queue:\n    type: queue\n    queue: web\n    fail: bye\n"
        "  bye:\n    type: hangup\n"
    ),
    "calendars/always.yaml": ("name: always\ntimezone: UTC\nhours:\n  mon-sun: ['00:00-24:00']\n"),
    "queues/calls.yaml": "name: calls\nring_timeout: 20\n",
    "queues/web.yaml": "name: web\nchannel: chat\ncapacity: 2\nring_timeout: 60\n",
    "queues/sms.yaml": "name: sms\nchannel: sms\nring_timeout: 60\n",
    "queues/mail.yaml": (
        "name: mail\nchannel: email\nring_timeout: 60\nservice_level: {percent: 90, seconds: 3600}\n"
    ),
    "agents/agents.yaml": (
        "agents:\n"
        "  - {id: ayu, name: Ayu, queues: [calls, web, sms, mail], capacity: {chat: 2, sms: 2, email: 2}}\n"
        "  - {id: budi, queues: [calls]}\n"
    ),
    "directory/customers.yaml": (
        "customers:\n  - {id: C100, name: Dewi, phone: '+6281200001', email: dewi@example.com}\n"
    ),
}


def chat_project(root: Path, **changes: str) -> Project:
    for name, text in {**FILES, **changes}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return load_project(root)


BOARD_AGENTS = (
    "agents:\n"
    "  - {id: ayu, name: Ayu, queues: [calls, web, sms, mail], capacity: {chat: 3, sms: 2, email: 2}}\n"
    "  - {id: budi, queues: [calls]}\n"
)
BOARD_MAIL = "name: mail\nchannel: email\nring_timeout: 60\nresponse_target: 0.5\n"


async def channel_board(tmp_path: Path) -> AsyncIterator[Any]:
    """The shop with an e-mail queue whose response target passes in half a second and an agent who
    takes chats, SMS and e-mails, behind the real API (the supervisor's views of digital work)."""
    from apikit import start_api  # tests/api is on the path of the suites that use this

    chat_project(tmp_path / "p", **{"agents/agents.yaml": BOARD_AGENTS, "queues/mail.yaml": BOARD_MAIL})
    async for running in start_api(tmp_path / "p", f"sqlite:///{tmp_path / 'a.db'}"):
        yield running
