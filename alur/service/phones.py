"""Agents' browser phones: which agent has a desktop page open as their phone, and its messages.

The HTTP API holds the page's WebSocket; the SIP adapter rings the browser and carries its media. They
are separate adapters, so they meet here: the API attaches a page (a way to send it a message) and
delivers what the page says; the SIP adapter sends the page offers and session descriptions and is told
when an agent's page comes and goes. A page that closes has `reconnect_grace` seconds to come back (a
reload, a short network drop) before the agent's phone counts as gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from alur.config.project import BrowserPhoneSettings

log = logging.getLogger("alur.phones")

Message = dict[str, Any]


class PhonePage:
    """One open page of an agent acting as their phone."""

    def __init__(self, agent_id: str, send: Callable[[Message], None]) -> None:
        self.agent_id = agent_id
        self._send = send
        self.open = True

    def send(self, message: Message) -> None:
        if self.open:
            self._send(message)


class BrowserPhones:
    """The pages attached now, by agent; the one adapter driving their calls listens through the
    `on_*` hooks."""

    def __init__(self, settings: BrowserPhoneSettings | None = None) -> None:
        self.settings = settings or BrowserPhoneSettings()
        self.pages: dict[str, PhonePage] = {}
        self._gone_timers: dict[str, asyncio.TimerHandle] = {}
        self.on_message: Callable[[str, Message], None] | None = None  # (agent id, message)
        self.on_attach: Callable[[str], None] = lambda agent_id: None
        self.on_detach: Callable[[str], None] = lambda agent_id: None  # closed (may come back)
        self.on_gone: Callable[[str], None] = lambda agent_id: None  # closed and not back in time
        self.echo_extension = ""  # what a desk phone dials for the same test as the page's (set by SIP)

    def hello(self) -> Message:
        """What a page needs before it can call: the ICE servers (STUN/TURN) and preferred codecs."""
        servers = [s.model_dump() for s in self.settings.ice_servers]
        for server in servers:
            server["urls"] = list(server["urls"])
        return {
            "type": "hello",
            "ice_servers": servers,
            "codecs": list(self.settings.codecs),
            "reconnect_grace": self.settings.reconnect_grace,
            "ready": self.on_message is not None,  # a SIP adapter carries the calls
            "echo_extension": self.echo_extension,
        }

    def attach(self, agent_id: str, send: Callable[[Message], None]) -> PhonePage:
        """A page of `agent_id` is their phone from now on (an older page of theirs is told it is not)."""
        old = self.pages.get(agent_id)
        if old is not None:
            old.send({"type": "replaced"})
            old.open = False
        timer = self._gone_timers.pop(agent_id, None)
        if timer is not None:
            timer.cancel()
        page = PhonePage(agent_id, send)
        self.pages[agent_id] = page
        page.send({**self.hello(), "agent": agent_id})  # the page holds and resumes through the API
        self.on_attach(agent_id)
        return page

    def detach(self, page: PhonePage) -> None:
        """The page closed; unless another page of the agent took over, the grace starts."""
        page.open = False
        agent_id = page.agent_id
        if self.pages.get(agent_id) is not page:
            return
        del self.pages[agent_id]
        self.on_detach(agent_id)
        loop = asyncio.get_running_loop()
        self._gone_timers[agent_id] = loop.call_later(self.settings.reconnect_grace, self._gone, agent_id)

    def _gone(self, agent_id: str) -> None:
        self._gone_timers.pop(agent_id, None)
        if agent_id in self.pages:
            return
        try:
            self.on_gone(agent_id)
        except Exception:  # a timer callback must not raise into the loop
            log.exception("browser phone of %s: handling its loss failed", agent_id)

    def deliver(self, page: PhonePage, message: Message) -> None:
        """A message from a page: passed on if the page is still the agent's phone."""
        if self.pages.get(page.agent_id) is not page:
            return
        if self.on_message is None:
            page.send({"type": "error", "message": "no telephony runs in this server: calls cannot reach it"})
            return
        self.on_message(page.agent_id, message)

    def attached(self, agent_id: str) -> bool:
        return agent_id in self.pages

    def send(self, agent_id: str, message: Message) -> bool:
        page = self.pages.get(agent_id)
        if page is None:
            return False
        page.send(message)
        return True

    def close(self) -> None:
        for timer in self._gone_timers.values():
            timer.cancel()
        self._gone_timers.clear()
