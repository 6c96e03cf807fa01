"""Overload control's measures on a real event loop and a real socket: a stalled loop refuses new
calls until the stall is forgotten, a backlog of unread datagrams refuses them, and start-up costs are
not held against the first calls."""

from __future__ import annotations

import asyncio
import socket
import time

from alur.telephony.overload import OverloadGuard


async def until(check, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def test_a_stalled_loop_refuses_calls_until_the_stall_decays() -> None:
    guard = OverloadGuard(max_loop_lag=0.15, max_cpu=2.0)
    guard.start(None)
    try:
        time.sleep(0.4)  # the loop is stuck: no probe runs
        assert guard.overloaded()
        await until(lambda: not guard.overloaded())  # the decaying maximum forgets it
        figures = guard.figures()
        assert figures["refused_loop_lag"] >= 1 and figures["loop_lag_max"] >= 0.35
        assert figures["refused_sip_backlog"] == 0 and figures["refused_cpu"] == 0
    finally:
        guard.stop()


async def test_start_up_lag_is_forgotten() -> None:
    guard = OverloadGuard(max_loop_lag=0.15, max_cpu=2.0)
    guard.start(None)
    try:
        time.sleep(0.4)  # loading, the first garbage collection...
        await asyncio.sleep(0)
        guard.forget()
        assert not guard.overloaded()
        assert guard.figures()["invites_refused"] == 0
    finally:
        guard.stop()


async def test_unread_datagrams_past_the_limit_refuse_calls() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    guard = OverloadGuard(max_sip_backlog=64 * 1024, max_loop_lag=60.0, max_cpu=2.0)  # backlog alone
    guard.start(listener)
    try:
        assert not guard.overloaded() and guard.backlog() == 0
        for _ in range(200):
            sender.sendto(b"INVITE sip:100@x SIP/2.0\r\n" + b"x" * 600, listener.getsockname())
        await until(lambda: guard.backlog() > 64 * 1024)
        assert guard.overloaded()
        assert guard.figures()["refused_sip_backlog"] == 1
        while guard.backlog():
            listener.recv(2048)
        assert not guard.overloaded()
    finally:
        guard.stop()
        listener.close()
        sender.close()
