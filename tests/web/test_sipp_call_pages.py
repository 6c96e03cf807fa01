"""The pages with a real SIP call: `alur serve` runs as a process (SIP and HTTP), sipp dials in and
presses 1 for the queue; the offer pops on Alice's desktop while her sipp phone rings, she accepts on
the desktop (the phone picks up by itself), types notes, hangs up from the desktop; the wrap-up form
(with the notes) is sent from the page, and the wallboard and the supervisor's report count the call."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from webkit import LAPTOP

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))

from e2e_env import make_project  # noqa: E402
from serve_process import start_serve  # noqa: E402
from sipp import audio_and_dtmf_pcap, free_port, run_sipp  # noqa: E402

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("sipp", "espeak-ng", "sox")),
    reason="a real SIP call needs sipp, espeak-ng and sox (see .ci/run)",
)


def token(root: Path, db: Path, *grant: str) -> str:
    command = [sys.executable, "-m", "alur.cli", "token", "create", *grant, "-p", str(root), "--db", str(db)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


async def open_page(browser: Any, url: str, secret: str, page_name: str) -> Any:
    page = await (await browser.new_context(viewport=LAPTOP)).new_page()
    page.on("pageerror", lambda e: print(f"browser error: {e}"))
    await page.goto(f"{url}/ui/")
    await page.fill("#token", secret)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{url}/ui/*.html")
    if not page.url.endswith(page_name):
        await page.goto(f"{url}/ui/{page_name}")
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")
    return page


async def test_a_sipp_call_through_the_desktop_wallboard_and_report(browser: Any, tmp_path: Path) -> None:
    sip, http, alice, bob = free_port(), free_port(), free_port(), free_port()
    root = make_project(tmp_path / "project", alice=alice, bob=bob, trunk=free_port(), ring_timeout=10,
                        wrap_up=120)  # fmt: skip
    db = tmp_path / "events.db"
    agent_token = token(root, db, "--role", "agent", "--agent", "alice")
    admin_token = token(root, db, "--role", "admin")
    proc, _ = await start_serve(root, sip, db, tmp_path, http_port=http)
    url = f"http://127.0.0.1:{http}"
    tasks: list[asyncio.Task[Any]] = []
    try:
        desk = await open_page(browser, url, agent_token, "agent.html")
        board = await open_page(browser, url, admin_token, "wallboard.html")
        offered = board.locator("[data-queue=support] [data-figure=offered]")
        await expect(offered).to_have_text("0")
        state = desk.locator("#state")
        await expect(state).to_have_text("Ready")

        agent_pcap = audio_and_dtmf_pcap(tmp_path / "agent.pcap", audio_seconds=1, ssrc=0x7777)
        caller_pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=3, digits="1", digit_at=0.1)
        tasks.append(asyncio.create_task(run_sipp(
            "agent_pick_up.xml", "", port=alice, media_port=free_port(), workdir=tmp_path,
            keys={"pcap": str(agent_pcap)}, calls=2, timeout=60,
        )))  # fmt: skip  # rings until the desktop accepts, then picks up by itself
        tasks.append(asyncio.create_task(run_sipp(
            "caller_wait_bye.xml", f"127.0.0.1:{sip}", port=free_port(), media_port=free_port(),
            workdir=tmp_path, keys={"pcap": str(caller_pcap)}, params={"wait_ms": 1500, "talk_ms": 0},
            timeout=60,
        )))  # fmt: skip  # stays on the line until the server says goodbye

        offer = desk.locator("#offer")
        await expect(offer).to_be_visible(timeout=20_000)
        await expect(offer).to_contain_text("support")
        await desk.click("#accept")  # it rings on alice's phone: accepted here, the phone picks up
        await expect(state).to_have_text("On a call", timeout=10_000)
        await expect(offer).to_be_hidden()
        await desk.fill("#call-notes", "asked about the invoice")
        await desk.click("#hangup")
        await expect(state).to_have_text("Wrap-up", timeout=20_000)
        await expect(desk.locator("#notes")).to_have_value("asked about the invoice")
        await desk.click("#wrapup-form button[type=submit]")
        await expect(state).to_have_text("Ready")
        await expect(desk.locator("#calls-today")).to_have_text("1")

        await expect(offered).to_have_text("1")
        await expect(board.locator("[data-queue=support] [data-figure=asa]")).not_to_have_text("–")
        console = await open_page(browser, url, admin_token, "supervisor.html")
        await console.click("#report-form button[type=submit]")
        answered = console.locator("#charts svg").first.locator("rect title")
        await expect(answered).to_contain_text([": 1", ": 1"])  # offered 1, answered 1 in this interval
        results = await asyncio.gather(*tasks)
        assert all(r.ok for r in results), [r.errors or r.stderr for r in results]
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 15)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_flow_edited_in_the_designer_is_what_the_next_sipp_call_hears(
    browser: Any, tmp_path: Path
) -> None:
    """Edit the live flow in the designer: a dangling target is shown and refused, the fixed flow is
    published, and the next real call runs the new version (its words, its new node)."""
    from alur.core import events as ev
    from alur.store.event_store import EventStore

    sip, http = free_port(), free_port()
    root = make_project(tmp_path / "project", alice=free_port(), bob=free_port(), trunk=free_port())
    db = tmp_path / "events.db"
    admin_token = token(root, db, "--role", "admin")
    proc, _ = await start_serve(root, sip, db, tmp_path, http_port=http)
    try:
        designer = await open_page(browser, f"http://127.0.0.1:{http}", admin_token, "designer.html")
        await designer.click("#flows [data-flow=support]")
        source = designer.locator("#source")
        await expect(source).to_have_value(re.compile(r"^flow: support", re.M))
        text = (await source.input_value()).replace('say: "Hello."', 'say: "Welcome to version two."')
        dangling = text.replace('"2": bye', '"2": farewell')
        await designer.fill("#source", dangling)
        await expect(designer.locator("#problems li[data-node=menu]")).to_contain_text("farewell")
        await designer.click("#publish")
        await expect(designer.locator("#message")).to_contain_text("farewell")  # refused whole
        await designer.fill(
            "#source", dangling + '  farewell:\n    type: play\n    say: "See you."\n    next: bye\n'
        )
        await expect(designer.locator("#problems li")).to_have_count(0)
        await designer.click("#publish")
        await expect(designer.locator("#message")).to_have_text("Published support version 1.")

        pcap = audio_and_dtmf_pcap(tmp_path / "caller.pcap", audio_seconds=1, digits="2", digit_at=0.1)
        caller = await run_sipp(
            "caller_wait_bye.xml", f"127.0.0.1:{sip}", port=free_port(), media_port=free_port(),
            workdir=tmp_path, keys={"pcap": str(pcap)}, params={"wait_ms": 1500, "talk_ms": 0}, timeout=60,
        )  # fmt: skip
        assert caller.ok, caller.errors or caller.stderr  # the server said goodbye
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 15)
    store = EventStore(str(db))
    events = list(store.events())
    store.close()
    [arrived] = [e for e in events if isinstance(e, ev.CallArrived)]
    assert (arrived.flow, arrived.flow_version) == ("support", 1)
    said = [e.prompt for e in events if isinstance(e, ev.PromptPlayed)]
    assert "Welcome to version two." in said and "See you." in said and "Hello." not in said
