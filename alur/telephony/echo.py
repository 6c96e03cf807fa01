"""The echo extension (`*43` unless `server.features.echo` says otherwise): a caller hears themselves,
which checks a phone, a headset and the network path in one call. The browser phone's device check
calls the same service through its WebRTC gateway, so it tests the path a real call takes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from alur.media.rtp import RtpStream, echo
from alur.telephony.sip.sdp import build_answer
from alur.telephony.sip.server_call import ServerCall

MAX_SECONDS = 600.0  # a forgotten test call ends by itself


class EchoExtension:
    def __init__(self, code: str, new_stream: Callable[[], RtpStream], *, max_seconds: float = MAX_SECONDS):
        self.code = code  # "" turns the extension off
        self.new_stream = new_stream
        self.max_seconds = max_seconds

    def dialled(self, dialed: str) -> bool:
        return bool(self.code) and dialed == self.code

    async def serve(self, call: ServerCall, params: Any, host: str) -> None:
        """Answer, echo until the caller hangs up (or `max_seconds`), then hang up ourselves."""
        stream = self.new_stream()
        port = await call.open_media(stream)
        if port is None:
            return
        stream.agree(params)
        echo(stream)
        ended = asyncio.Event()
        call.on_ended = lambda why: ended.set()
        call.answer(build_answer(host, port, params))
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ended.wait(), self.max_seconds)
            if not ended.is_set():
                call.hangup()
        finally:
            stream.close()
