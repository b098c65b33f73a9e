"""An objection during the candidates' publicity suspends the award until it is answered, in headless
Chromium against a real ``sunbid serve``: a bidder files it from its objections page; the host's award
button in the evaluation room is refused and says why; the agent answers from the inbox (the due time in
Beijing time); the award then goes through. The lot is evaluated and its candidates published in the
server's database beforehand (tests/disputes/world.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.pool import NullPool

from core.clock import ManualClock
from core.runtime import Runtime
from core.settings import Settings
from evaluation.models import Evaluation
from tests.disputes.world import CODE, in_publicity
from tests.evaluation.world import EvalWorld
from tests.support.browser import CHROMIUM_ARGS, wait_until
from tests.support.factories import PASSWORD
from tests.support.live import live_server, run_cli
from web.app import create_app

pytestmark = pytest.mark.e2e

ROOM = f"{CODE}-1"
REASON = "第一中标候选人的项目经理同时在其他在建项目任职"


async def build(settings: Settings, tmp_path: Path) -> EvalWorld:
    """The lot in publicity, built on a clock a month back (so all it dated lies in the server's past)."""
    clock = ManualClock(datetime.now(UTC) - timedelta(days=30))
    runtime = Runtime.build(settings, clock, engine_options={"poolclass": NullPool})
    try:
        async with AsyncTestClient(app=create_app(runtime=runtime)) as client:
            return await in_publicity(runtime, client, clock, tmp_path)
    finally:
        await runtime.close()


async def publicity_ends(settings: Settings, moment: datetime) -> None:
    """Move the publicity's end (the live server's clock is the real one)."""
    runtime = Runtime.build(settings)
    try:
        async with runtime.transaction() as session:
            await session.execute(update(Evaluation).values(publicity_ends=moment))
    finally:
        await runtime.close()


async def login(page: Any, url: str, username: str, target: str) -> None:
    await page.goto(f"{url}/login?next={target}")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_url(f"{url}{target}")


async def test_an_objection_in_publicity_suspends_the_award_until_answered(
    tmp_path: Path, chromium: str
) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var", run_scheduler=False)
    run_cli(settings, "db", "upgrade")
    ew = await build(settings, tmp_path)
    await publicity_ends(settings, datetime.now(UTC) + timedelta(hours=1))  # the publicity is running
    with live_server(settings, tmp_path) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            bidder = await (await browser.new_context()).new_page()
            await login(bidder, server.url, ew.bidding.bidders[2].username, f"/objections?tender={CODE}")
            await bidder.select_option("select[name=kind]", "result")
            await bidder.fill("input[name=lot]", "1")
            await bidder.fill("textarea[name=reason]", REASON)
            await bidder.click("#objection-submit")
            await bidder.wait_for_selector("#objections tr[data-pending=yes]")
            assert "定标暂停" in await bidder.inner_text("#objections tr[data-pending=yes] .status")

            await publicity_ends(settings, datetime.now(UTC) - timedelta(seconds=1))  # the publicity is over
            host = await (await browser.new_context()).new_page()
            await login(host, server.url, "agent1", f"/evaluations/{ROOM}")
            await host.wait_for_selector("#conn[data-state=online]")
            await host.click("#award button[data-act=award]")
            await wait_until(
                host, "document.querySelector(\"[data-err='award']\").textContent.includes('suspended')"
            )
            said = await host.inner_text("[data-err='award']")
            assert "定标已暂停" in said and "evaluation result is unanswered" in said

            inbox = await host.context.new_page()
            await inbox.goto(f"{server.url}/objections/inbox")
            row = inbox.locator("#objections tr[data-pending=yes]")
            assert ew.bidding.bidders[2].code in ew.bidder_codes
            assert "测试bidder12" in await row.inner_text()  # the agent sees who objected
            assert await row.locator(".tag").count() == 1  # the clock's warning
            await row.locator("textarea[name=answer]").fill("经核查，该项目经理已办理变更手续")
            await row.locator("button").click()
            await inbox.wait_for_selector("#objections tr[data-pending=no]")

            await host.reload()
            await host.wait_for_selector("#conn[data-state=online]")
            await host.click("#award button[data-act=award]")
            await host.wait_for_selector("#awarded")
            await browser.close()
