"""Log-in and the wallboard in a real browser: the token or a user's name and password opens the page of
its role, a bad token or password is refused in one line (repeated failures are throttled), log-out ends
the session, a call that starts waiting appears on the wallboard without a reload, and the
wallboard reconnects by itself when the server comes back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apikit import Api
from playwright.async_api import expect
from webkit import TV, logged_in, shot

from alur.api.server import ApiServer
from alur.store.users import UserStore


async def test_each_role_lands_on_its_page_and_a_bad_token_is_refused(browser: Any, api: Api) -> None:
    page = await logged_in(browser, api, "agent")
    await expect(page).to_have_url(f"{api.url}/ui/agent.html")
    page = await logged_in(browser, api, "supervisor")
    await expect(page).to_have_url(f"{api.url}/ui/supervisor.html")
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{api.url}/ui/")
    await page.fill("#token", "alur_not_a_token")
    await page.click("button[type=submit]")
    await expect(page.locator("#message")).to_have_text("This token is not valid.")


async def test_a_person_logs_in_with_a_name_and_password_and_out_again(browser: Any, api: Api) -> None:
    UserStore(api.store.engine).create("ayu", "sunflower-42", "agent", agent_id="ayu")
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{api.url}/ui/")
    await page.fill("#name", "ayu")
    await page.fill("#password", "wrong-password")
    await page.press("#password", "Enter")
    await expect(page.locator("#message")).to_have_text("The name or the password is wrong.")
    await expect(page.locator("#password")).to_have_value("")
    await page.fill("#password", "sunflower-42")
    await page.press("#password", "Enter")
    await expect(page).to_have_url(f"{api.url}/ui/agent.html")
    await expect(page.locator("#who")).to_have_text("ayu")
    token = await page.evaluate("sessionStorage.getItem('alur.token')")
    assert (
        await api.call(None, "GET", "/me", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200
    await page.click("#logout")
    await expect(page).to_have_url(f"{api.url}/ui/index.html")
    assert (
        await api.call(None, "GET", "/me", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 401


async def test_repeated_bad_passwords_are_throttled_in_the_page(browser: Any, api: Api) -> None:
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{api.url}/ui/")
    await page.select_option("#lang", "id")
    await page.fill("#name", "boss")
    for _ in range(5):
        await page.fill("#password", "guess-guess")
        await page.click("button[type=submit]")
        await expect(page.locator("#message")).to_have_text("Nama atau kata sandi salah.")
        await page.evaluate("document.getElementById('message').textContent = ''")
    await page.fill("#password", "guess-guess")
    await page.click("button[type=submit]")
    await expect(page.locator("#message")).to_contain_text("Terlalu banyak percobaan masuk yang gagal")


async def test_an_agent_token_cannot_open_the_wallboard(browser: Any, api: Api) -> None:
    page = await logged_in(browser, api, "agent")
    await expect(page).to_have_url(f"{api.url}/ui/agent.html")
    await page.goto(f"{api.url}/ui/wallboard.html")
    await expect(page.locator("#message")).to_have_text("Your token does not open that page.")


async def test_a_waiting_call_appears_on_the_wallboard_live(browser: Any, api: Api, tmp_path: Path) -> None:
    page = await logged_in(browser, api, "admin", TV)
    await page.goto(f"{api.url}/ui/wallboard.html")
    billing = page.locator("[data-queue=billing]")
    await expect(billing.locator("[data-figure=waiting]")).to_have_text("0")
    await expect(page.locator("#live")).to_have_attribute("data-state", "on")
    api.place_call("w1")  # nobody is logged in: it waits
    await expect(billing.locator("[data-figure=waiting]")).to_have_text("1")
    await expect(billing.locator("[data-figure=offered]")).to_have_text("1")
    await expect(billing.locator("[data-figure=longest]")).not_to_have_text("0:00", timeout=5000)
    await shot(page, tmp_path, "wallboard-1920")
    await page.set_viewport_size({"width": 1366, "height": 768})
    await page.select_option("#lang", "id")
    await expect(billing.locator(".figure .label").first).to_have_text("Menunggu")
    await shot(page, tmp_path, "wallboard-1366-id")


async def test_the_wallboard_reconnects_after_the_server_restarts(browser: Any, api: Api) -> None:
    page = await logged_in(browser, api, "supervisor")
    await page.goto(f"{api.url}/ui/wallboard.html")
    live = page.locator("#live")
    await expect(live).to_have_attribute("data-state", "on")
    port = api.server.port
    await api.server.stop()
    await expect(live).to_have_attribute("data-state", "off")
    api.place_call("r1")  # while the page is cut off
    again = ApiServer(api.center, "127.0.0.1", port)
    await again.start()
    try:
        await expect(live).to_have_attribute("data-state", "on", timeout=15000)
        await expect(page.locator("[data-queue=billing] [data-figure=waiting]")).to_have_text("1")
    finally:
        await again.stop()
