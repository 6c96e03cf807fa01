"""The supervisor console in a real browser: an agent's pause and ready on the desktop show in the agents
table live; a waiting call shows why it waits, its priority can be raised and it can be moved; the
interval report draws its charts and downloads as CSV; an agent token cannot open the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apikit import Api
from playwright.async_api import expect
from webkit import TV, logged_in, shot

from alur.core import events as ev


async def test_the_console_follows_an_agent_and_acts_on_a_waiting_call(
    browser: Any, api: Api, tmp_path: Path
) -> None:
    console = await logged_in(browser, api, "admin")
    await expect(console).to_have_url(f"{api.url}/ui/supervisor.html")
    desk = await logged_in(browser, api, "agent")
    ayu = console.locator("[data-agent=ayu] [data-col=state]")
    await expect(ayu).to_have_text("Offline")
    await expect(desk.locator("#live")).to_have_attribute("data-state", "on")
    await desk.click("#login")
    await expect(ayu).to_have_text("Ready")
    await desk.select_option("#reason", "training")
    await desk.click("#pause")
    await expect(ayu).to_have_text("Paused (training)")

    api.place_call("q1")  # ayu is paused: the call waits in billing
    call = console.locator("[data-call=q1]")
    await expect(call).to_contain_text("+6281100000001")
    await call.locator("[data-action=why]").click()
    await expect(console.locator("#explain")).to_contain_text("q1")
    await call.locator("[data-action=priority]").click()
    await expect(call.locator("[data-col=priority]")).to_have_text("10")
    await shot(console, tmp_path, "supervisor-1366")
    await call.locator("select").select_option("sales")
    await call.locator("[data-action=move]").click()
    await expect(call.locator("td").first).to_have_text("sales")

    await console.locator("[data-agent=ayu] [data-action=ready]").click()  # the supervisor readies ayu
    await expect(desk.locator("#state")).to_have_text("Ready")

    await console.click("#report-form button[type=submit]")
    await expect(console.locator("#charts svg")).to_have_count(5)
    async with console.expect_download() as download_info:
        await console.click("#report-csv")
    download = await download_info.value
    csv_path = tmp_path / "interval.csv"
    await download.save_as(csv_path)
    assert csv_path.read_text().splitlines()[0].startswith("start,arrived,offered,answered,abandoned")
    await console.set_viewport_size(TV)
    await shot(console, tmp_path, "supervisor-1920")


async def test_an_agent_token_cannot_open_the_console(browser: Any, api: Api) -> None:
    page = await logged_in(browser, api, "agent")
    await page.goto(f"{api.url}/ui/supervisor.html")
    await expect(page.locator("#message")).to_have_text("Your token does not open that page.")


async def test_fcr_and_ivr_option_charts_and_their_csv(browser: Any, api: Api, tmp_path: Path) -> None:
    await api.call("agent", "POST", "/agents/ayu/login")
    for call_id, resolved in (("f1", True), ("f2", False)):
        api.place_call(call_id, caller_id=f"+6281100000{call_id[1]}")  # two customers: no repeat call
        await api.call("agent", "POST", "/agents/ayu/offer/accept")
        await api.call("agent", "POST", "/agents/ayu/hangup")
        body = {"disposition": "paid", "resolved": resolved, "ready": True}
        assert (await api.call("agent", "POST", "/agents/ayu/wrap-up", json=body)).status_code == 200
    now = api.center.clock.now()
    for call_id, option in (("f1", "2"), ("f2", "2"), ("f3", "1")):
        api.center.publish(ev.MenuOptionChosen(now, call_id, "main", "menu", option))
    await api.settle()

    console = await logged_in(browser, api, "admin", lang="id")  # all queues: f3 joined none
    await console.click("#report-form button[type=submit]")
    fcr = console.locator("#charts svg[data-chart=fcr]")
    await expect(fcr).to_contain_text("Selesai pada kontak pertama · total 50%")
    await expect(fcr.locator("rect title")).to_have_text(["billing Selesai pada kontak pertama: 50%"])
    ivr = console.locator("#charts svg[data-chart=ivr]")
    await expect(ivr.locator("rect title")).to_have_text(
        ["menu 2 Berapa kali dipilih: 2", "menu 1 Berapa kali dipilih: 1"]
    )
    await shot(console, tmp_path, "supervisor-reports-1366-id")
    async with console.expect_download() as download_info:
        await console.click("#report-csv-ivr")
    path = tmp_path / "ivr.csv"
    await (await download_info.value).save_as(path)
    assert path.read_text().splitlines()[:2] == ["flow,node,option,count,share", f"main,menu,2,2,{2 / 3}"]
    async with console.expect_download() as download_info:
        await console.click("#report-csv-queue")
    path = tmp_path / "queue.csv"
    await (await download_info.value).save_as(path)
    header, billing = path.read_text().splitlines()[:2]
    assert header.endswith("resolved,fcr") and billing.startswith("billing,") and billing.endswith(",1,0.5")
