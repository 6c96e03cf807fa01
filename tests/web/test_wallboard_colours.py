"""The wallboard's colours follow each queue's thresholds from its file (`wallboard:` in
queues/NAME.yaml), the defaults where a queue gives none; the level is also written in words."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from apikit import BILLING, Api, make_project, start_api
from playwright.async_api import expect
from webkit import TV, logged_in, shot


@pytest.fixture
async def strict_billing(tmp_path: Path) -> AsyncIterator[Api]:
    root = make_project(tmp_path / "project")
    (root / "queues" / "billing.yaml").write_text(BILLING + "wallboard:\n  waiting: {warn: 1, alert: 2}\n")
    async for running in start_api(root, f"sqlite:///{tmp_path / 'alur.db'}"):
        yield running


async def test_each_queue_is_coloured_by_its_own_thresholds(
    browser: Any, strict_billing: Api, tmp_path: Path
) -> None:
    api = strict_billing
    queues = (await api.call("admin", "GET", "/queues")).json()["queues"]
    colours = {q["queue"]: q["wallboard"]["waiting"] for q in queues}
    assert colours == {"billing": {"warn": 1, "alert": 2}, "sales": {"warn": 3, "alert": 6}}

    page = await logged_in(browser, api, "admin", TV)
    await page.goto(f"{api.url}/ui/wallboard.html")
    billing, sales = page.locator("[data-queue=billing]"), page.locator("[data-queue=sales]")
    await expect(billing.locator("[data-figure=waiting]")).to_have_class("value ok")
    api.place_call("b1")
    api.place_call("s1", queue="sales")
    await expect(billing.locator("[data-figure=waiting]")).to_have_class("value warn")
    await expect(billing.locator(".figure[data-level=warn] .level")).to_have_text("▲ watch")
    await expect(sales.locator("[data-figure=waiting]")).to_have_text("1")
    await expect(sales.locator("[data-figure=waiting]")).to_have_class("value ok")  # default: warn from 3
    api.place_call("b2")
    await expect(billing.locator("[data-figure=waiting]")).to_have_class("value bad")
    await expect(billing.locator("[data-figure=waiting] + .level")).to_have_text("● alert")
    await shot(page, tmp_path, "wallboard-colours-1920")
