"""The agent desktop during a call: notes typed while talking survive a reload and fill the wrap-up form;
transfer sends the contract's request (to, kind, mode), a warm transfer shows complete / back-to-caller
until one is chosen, and a refusal shows its message; hold turns into resume and back.

The transfer and hold routes are answered here by the browser's request interception (the page's side of the
contract: which request goes out, how the page reacts to a 2xx and to a 4xx); the routes themselves
are tested with the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apikit import Api
from playwright.async_api import expect
from webkit import logged_in, shot


async def answer(page: Any, path: str, status: int, body: dict[str, Any], seen: list[Any]) -> None:
    async def handle(route: Any) -> None:
        seen.append((route.request.method, json.loads(route.request.post_data or "null")))
        await route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    await page.unroute(f"**/agents/ayu/{path}")
    await page.route(f"**/agents/ayu/{path}", handle)


async def test_notes_and_transfer_during_a_call(browser: Any, api: Api, tmp_path: Path) -> None:
    page = await logged_in(browser, api, "agent")
    state = page.locator("#state")
    await page.click("#login")
    await expect(state).to_have_text("Ready")
    api.place_call("n1")
    await page.click("#accept")
    await expect(state).to_have_text("On a call")

    await page.fill("#call-notes", "wants a refund of the May invoice")
    await page.reload()
    await expect(page.locator("#call-notes")).to_have_value("wants a refund of the May invoice")

    seen: list[Any] = []
    await answer(page, "transfer", 200, {"ok": True}, seen)
    await page.select_option("#transfer-kind", "agent")
    await page.fill("#transfer-to", "sari")
    await page.select_option("#transfer-mode", "consult")
    await page.click("#transfer-go")
    await expect(page.locator("#consulting")).to_be_visible()
    await expect(page.locator("#consulting-text")).to_contain_text("Consulting sari")
    await expect(page.locator("#transfer-go")).to_be_disabled()
    assert seen == [("POST", {"to": "sari", "kind": "agent", "mode": "consult"})]
    await shot(page, tmp_path, "agent-consulting-1366")

    await answer(page, "transfer/cancel", 200, {"ok": True}, seen)
    await page.click("#transfer-cancel")
    await expect(page.locator("#consulting")).to_be_hidden()
    assert seen[-1][0] == "POST"

    refusal = {"error": "unknown_queue", "message": "to: unknown queue 'sails' (queues: billing, sales)"}
    await answer(page, "transfer", 422, refusal, seen)
    await page.select_option("#transfer-kind", "queue")
    await expect(page.locator("#transfer-targets option[value=sales]")).to_have_count(1)
    await page.fill("#transfer-to", "sails")
    await page.select_option("#transfer-mode", "blind")
    await page.click("#transfer-go")
    await expect(page.locator("#message")).to_have_text(refusal["message"])
    await expect(page.locator("#consulting")).to_be_hidden()
    assert seen[-1] == ("POST", {"to": "sails", "kind": "queue", "mode": "blind"})

    hold = page.locator("#hold")
    await answer(page, "hold", 200, {"call_id": "n1", "held": True}, seen)
    await page.click("#hold")
    await expect(hold).to_have_attribute("aria-pressed", "true")
    await expect(hold).to_have_text("Resume")
    await answer(page, "resume", 200, {"call_id": "n1", "held": False}, seen)
    await page.click("#hold")
    await expect(hold).to_have_text("Hold")
    assert seen[-2:] == [("POST", None), ("POST", None)]

    await page.click("#hangup")
    await expect(state).to_have_text("Wrap-up")
    await expect(page.locator("#notes")).to_have_value("wants a refund of the May invoice")
    await page.select_option("#disposition", "refund")
    await page.click("#wrapup-form button[type=submit]")
    await expect(state).to_have_text("Ready")
    left = await page.evaluate("Object.keys(sessionStorage).filter((k) => k === 'alur.notes.n1')")
    assert left == []  # the notes went with the wrap-up


async def test_the_call_tools_read_in_indonesian(browser: Any, api: Api) -> None:
    page = await logged_in(browser, api, "agent", lang="id")
    await page.click("#login")
    api.place_call("n2")
    await page.click("#accept")
    await expect(page.locator("#transfer legend")).to_have_text("Alihkan")
    await expect(page.locator("label[for=call-notes]")).to_have_text("Catatan (terbawa ke wrap-up)")
    await page.click("#transfer-go")  # no destination
    await expect(page.locator("#message")).to_have_text("Isi tujuan pengalihan.")
