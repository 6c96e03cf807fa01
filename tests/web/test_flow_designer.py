"""The flow designer in a real browser: the project's flow opens with its diagram; a dangling target
shows its message on the node at fault; the fixed flow publishes as version 1, and version 0 can be
made live again."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from apikit import MAIN, Api
from playwright.async_api import expect
from webkit import TV, logged_in, shot

from alur.core import events as ev


async def test_an_error_shows_on_its_node_and_the_fixed_flow_publishes(
    browser: Any, api: Api, tmp_path: Path
) -> None:
    page = await logged_in(browser, api, "admin", TV)
    await page.goto(f"{api.url}/ui/designer.html")
    await expect(page.locator("#source")).to_have_value(MAIN)
    queue_node = page.locator("#diagram g.node", has=page.locator("title", has_text="queue"))
    await expect(queue_node).to_have_count(1)

    await page.fill("#source", MAIN.replace("answered: bye", "answered: nowhere"))
    await expect(page.locator("#problems li[data-node=queue]")).to_contain_text("nowhere")
    await expect(queue_node.locator("text.problem")).to_contain_text("nowhere")
    await expect(page.locator("#diagram")).to_have_class("stale")
    await shot(page, tmp_path, "designer-error-1920")
    await page.click("#publish")
    await expect(page.locator("#message")).to_contain_text("nowhere")
    assert api.center.flows.live["main"] == 0  # refused whole

    fixed = (
        MAIN.replace("answered: bye", "answered: thanks")
        + "  thanks:\n    type: play\n    say: Thanks\n    next: bye\n"
    )
    await page.fill("#source", fixed)
    await expect(page.locator("#problems li")).to_have_count(0)
    await expect(page.locator("#diagram g.node", has=page.locator("title", has_text="thanks"))).to_have_count(
        1
    )
    await page.click("#publish")
    await expect(page.locator("#message")).to_have_text("Published main version 1.")
    assert api.center.flows.live["main"] == 1
    await expect(page.locator("#flows [data-flow=main]")).to_have_text("main (v1)")
    await shot(page, tmp_path, "designer-published-1920")

    await page.locator("#versions [data-version='0'] [data-action=rollback]").click()
    await expect(page.locator("#versions [data-version='0']")).to_contain_text("live")
    assert api.center.flows.live["main"] == 0


async def test_the_diagram_is_labelled_with_the_version_being_edited(browser: Any, api: Api) -> None:
    page = await logged_in(browser, api, "admin")
    await page.goto(f"{api.url}/ui/designer.html")
    title = page.locator("#diagram svg g.graph > text")
    await expect(page.locator("#editing")).to_have_text("main v0")
    await expect(title).to_have_text("main (v0)")
    await page.fill("#source", MAIN.replace("type: hangup", "type: hangup\n    reason: done"))
    await page.click("#publish")
    await expect(page.locator("#editing")).to_have_text("main v1")
    await expect(title).to_have_text("main (v1)")
    await page.locator("#versions [data-version='0'] [data-action=open]").click()
    await expect(page.locator("#editing")).to_have_text("main v0")
    await expect(title).to_have_text("main (v0)")


async def test_a_new_flow_from_a_template_is_tested_and_published(
    browser: Any, api: Api, tmp_path: Path
) -> None:
    (api.root / "tests").mkdir()
    (api.root / "tests" / "survey.yaml").write_text(
        "cases:\n  - name: the survey follows the talk\n    flow: survey_line\n"
        "    queue: {result: answered, after: 5, talk: 30}\n    caller: ['5', '1']\n"
        "    expect:\n      path: [to_agent, survey, goodbye]\n"
    )
    page = await logged_in(browser, api, "admin", TV)
    await page.goto(f"{api.url}/ui/designer.html")
    await expect(page.locator("#template option")).to_have_count(4)
    await page.select_option("#template", "survey")
    await page.click("#use-template")
    await expect(page.locator("#editing")).to_have_text("survey_line · new, not yet published")
    await expect(page.locator("#source")).to_have_value(re.compile("queue: billing"))
    await expect(page.locator("#diagram g.node", has=page.locator("title", has_text="survey"))).to_have_count(
        1
    )
    await expect(page.locator("#problems li")).to_have_count(0)

    await page.click("#run-tests")
    await expect(page.locator("#tests-summary")).to_have_text("1 passed, 0 failed")
    await expect(page.locator("#test-results [data-passed=true]")).to_contain_text(
        "the survey follows the talk"
    )
    await page.fill(
        "#source",
        (await page.locator("#source").input_value()).replace("goodbye", "farewell"),
    )
    await page.click("#run-tests")
    await expect(page.locator("#tests-summary")).to_have_text("0 passed, 1 failed")
    await expect(page.locator("#test-results [data-passed=false] li").first).to_contain_text("path")
    farewell = page.locator("#diagram g.node", has=page.locator("title", has_text="farewell"))
    await expect(farewell).to_have_count(1)  # the diagram follows the edit
    await shot(page, tmp_path, "designer-tests-1920")

    await page.select_option("#template", "survey")
    await page.click("#use-template")
    await page.click("#publish")
    await expect(page.locator("#message")).to_have_text("Published survey_line version 1.")
    await expect(page.locator("#flows [data-flow=survey_line]")).to_have_text("survey_line (v1)")
    assert api.center.flows.live["survey_line"] == 1


async def test_the_live_diagram_counts_callers_per_node(browser: Any, api: Api, tmp_path: Path) -> None:
    center, now = api.center, api.center.clock.now()
    for call_id in ("a1", "a2"):
        center.publish(ev.NodeEntered(now, call_id, "main", "queue", "queue"))
    center.publish(ev.CallEnded(now, "a2", "caller_hangup", "queue"))
    page = await logged_in(browser, api, "admin", TV)
    await page.goto(f"{api.url}/ui/designer.html")
    queue_node = page.locator("#diagram g.node", has=page.locator("title", has_text="queue"))
    await expect(queue_node.locator("text.activity")).to_have_text("▶ 1 ↳ 2 ✆ 1")
    await expect(page.locator("#activity-note")).to_be_visible()
    center.publish(ev.NodeEntered(now, "a3", "main", "queue", "queue"))  # a new caller: the page follows
    await expect(queue_node.locator("text.activity")).to_have_text("▶ 2 ↳ 3 ✆ 1", timeout=15_000)
    await shot(page, tmp_path, "designer-live-1920")
    await page.fill("#source", MAIN.replace("type: hangup", "type: hangup\n    reason: done"))
    await page.click("#publish")  # v1 is live now and has no calls yet
    await expect(page.locator("#editing")).to_have_text("main v1")
    await page.locator("#versions [data-version='0'] [data-action=open]").click()
    await expect(page.locator("#diagram text.activity")).to_have_count(0)  # v0 is not the live version
    await expect(page.locator("#activity-note")).to_be_hidden()
