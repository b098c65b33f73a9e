"""A visitor browses the public portal in headless Chromium: from the home page to the award
announcements, into one award notice and on to the tender's full public history; then the trading
statistics with their charts. Real ``sunbid serve`` process; Debian's chromium via Playwright."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from core.runtime import Runtime
from core.settings import Settings
from tests.publication.portal import A, B, build
from tests.support.browser import CHROMIUM_ARGS
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e


async def test_from_the_portal_to_an_award_and_the_tender_history(tmp_path: Path, chromium: str) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    runtime = Runtime.build(settings)
    try:
        with live_server(settings, tmp_path) as server:
            async with async_playwright() as pw, httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                portal = await build(runtime, http)
                award_b = portal.notices[B][-1]
                browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = await browser.new_page(viewport={"width": 1100, "height": 900})
                await page.goto(f"{server.url}/")
                await page.click("#nav-awards")
                await page.wait_for_url(f"{server.url}/awards")
                assert await page.title() == "中标结果公告 · 阳光招标"
                assert await page.locator("#award-table .award-row").count() == 3
                await page.screenshot(path=str(tmp_path / "awards.png"), full_page=True)
                winners = await page.locator("#award-table .winner").all_inner_texts()
                assert winners == ["测试bidder10", "测试bidder11", "测试bidder10"]

                # the newest announcement first: tender B, two lots
                await page.click(f'#award-table a.award-notice[href="/notices/{award_b}"]')
                await page.wait_for_url(f"{server.url}/notices/{award_b}")
                assert await page.inner_text("h1") == "教学设备 中标结果公告"

                await page.click("#history-link")
                await page.wait_for_url(f"{server.url}/tenders/{B}/history")
                events = page.locator("#history li.event")
                kinds = [await events.nth(i).get_attribute("data-kind") for i in range(await events.count())]
                assert kinds == ["tender", "opening_record", "award"]
                bids = await page.locator(".opening-bids tr").all_inner_texts()
                assert len(bids) == 1 + 3 and "1,850,000.00" in bids[2]
                await page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
                awards = await page.inner_text(".award-lines")
                assert "990,000.00" in awards and "10.00%" in awards
                await page.click(f"#notice-{award_b} a.ocds-link")
                await page.wait_for_url(f"{server.url}/api/ocds/records/ocds-sunbid-{B}")
                assert f"ocds-sunbid-{B}" in await page.inner_text("body")
                await page.go_back()

                # the English switch, then the statistics with their server-rendered charts
                await page.click("#lang-switch")
                await page.wait_for_selector("text=Public history of the tender")
                await page.click("#nav-statistics")
                await page.wait_for_url(f"{server.url}/statistics")
                assert await page.inner_text("#total-tenders") == "3"
                assert await page.locator("figure.chart svg").count() == 4
                assert await page.locator("svg rect[data-label='Goods']").count() == 2
                await page.screenshot(path=str(tmp_path / "statistics.png"), full_page=True)
                await page.goto(f"{server.url}/tenders/{A}/history")
                assert "11,000,000.00" in await page.inner_text(".award-lines")
                await browser.close()
    finally:
        await runtime.close()
