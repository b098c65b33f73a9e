"""The opening hall in headless Chromium: a public observer watches an opening from the deadline to the
published record — phase, countdown, progress and the 唱标 table update live over the room socket —
and the host's own page starts it. Real ``sunbid serve`` process; Debian's chromium via Playwright."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from bidding.models import Opening, Tender
from core.clock import format_local
from core.runtime import Runtime
from core.settings import Settings
from tests.bidding.helpers import make_world, published_tender, register_all, seal, upload
from tests.bidding.test_opening import file_key
from tests.support.browser import CHROMIUM_ARGS, wait_until
from tests.support.factories import PASSWORD
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e

CODE = "JLZB-2026-001"


async def test_an_observer_watches_the_opening_complete(tmp_path: Path, chromium: str) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    runtime = Runtime.build(settings)
    prices = ["11000000.00", "10900000.00", "10800000.00"]
    try:
        with live_server(settings, tmp_path) as server:
            async with async_playwright() as pw, httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                world = await make_world(runtime, http, bidders=3)
                tender = await published_tender(runtime, http, world)
                await register_all(http, world)
                keys = []
                for bidder, price in zip(world.bidders, prices, strict=True):
                    sealed = seal(tmp_path, tender, bidder, price=price)
                    response = await upload(http, bidder, sealed)
                    assert response.status_code == 201, response.text
                    keys.append(file_key(sealed, bidder.identity))

                browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                observer = await browser.new_page(viewport={"width": 1100, "height": 900})
                await observer.goto(f"{server.url}/tenders/{CODE}/opening")
                assert await observer.inner_text("#phase") == "尚未开标"
                # First paint is the truth: without JavaScript the hall counts down to the deadline.
                nojs = await (await browser.new_context(java_script_enabled=False)).new_page()
                await nojs.goto(f"{server.url}/tenders/{CODE}/opening")
                assert await nojs.inner_text("#phase") == "尚未开标"
                assert ":" in await nojs.inner_text("#countdown")
                async with runtime.sessions() as session:
                    deadline = await session.scalar(select(Tender.bid_deadline))
                assert await nojs.inner_text("#ends-at") == format_local(deadline)  # Beijing time

                # The deadline passes; the scheduler opens the tender without anyone pressing a button.
                async with runtime.transaction() as session:
                    await session.execute(
                        update(Tender).values(bid_deadline=datetime.now(UTC) - timedelta(seconds=1))
                    )
                await observer.wait_for_selector("#phase[data-phase=awaiting_host]", timeout=15000)

                # The host starts from the host's own page.
                host = await (await browser.new_context()).new_page()
                target = f"/tenders/{CODE}/opening"
                await host.goto(f"{server.url}/login?next={target}")
                await host.fill("input[name=username]", "agent1")
                await host.fill("input[name=password]", PASSWORD)
                await host.click("#login-submit")
                await host.wait_for_url(f"{server.url}{target}")
                await host.click("#start")
                await observer.wait_for_selector("#phase[data-phase=decrypting]", timeout=15000)
                await wait_until(
                    observer, "document.getElementById('countdown').textContent.includes(':')", timeout=5000
                )
                countdown = await observer.inner_text("#countdown")
                assert countdown.startswith(("30:", "29:")), countdown  # the tender's 30-minute window

                for bidder, key in zip(world.bidders, keys, strict=True):
                    done = await http.post(
                        f"/api/tenders/{CODE}/lots/1/opening/key",
                        json={"file_key": key},
                        headers=bidder.headers,
                    )
                    assert done.status_code == 200, done.text
                await wait_until(
                    observer, "document.getElementById('n-opened').textContent === '3'", timeout=15000
                )

                # The window ends: the table fills in, the bidders confirm, the host finishes.
                async with runtime.transaction() as session:
                    await session.execute(
                        update(Opening).values(window_ends_at=datetime.now(UTC) - timedelta(seconds=1))
                    )
                await observer.wait_for_selector("#phase[data-phase=confirming]", timeout=15000)
                await wait_until(
                    observer, "document.querySelectorAll('#table tbody tr').length === 3", timeout=15000
                )
                cells = await observer.inner_text("#table tbody")
                assert all(f"{Decimal(price):,.2f}" in cells for price in prices) and "李四" in cells
                assert (await observer.inner_text("#coefficient")) != "—"
                for bidder in world.bidders:
                    ok = await http.post(
                        f"/api/tenders/{CODE}/lots/1/opening/confirm", headers=bidder.headers
                    )
                    assert ok.status_code == 200, ok.text
                await host.click("#finish")
                await observer.wait_for_selector("#phase[data-phase=closed]", timeout=15000)
                assert await observer.is_visible("#record-published")

                # A late visitor (English) replays the whole opening from the room log.
                late = await (await browser.new_context()).new_page()
                await late.goto(f"{server.url}/tenders/{CODE}/opening?lang=en")
                await late.wait_for_selector("#phase[data-phase=closed]", timeout=15000)
                assert "Opening hall" in await late.inner_text("h1")
                assert await late.locator("#table tbody tr").count() == 3
                # The same without JavaScript: the server renders the phase, table and proceedings.
                await nojs.goto(f"{server.url}/tenders/{CODE}/opening?lang=en")
                assert await nojs.get_attribute("#phase", "data-phase") == "closed"
                assert await nojs.locator("#table tbody tr").count() == 3
                assert await nojs.is_visible("#record-published")
                proceedings = await nojs.inner_text("#log")
                assert "The opening record was published" in proceedings
                assert "record.published" not in proceedings
                await browser.close()
    finally:
        await runtime.close()


async def test_a_visitor_watches_the_demo_opening_end_to_end(tmp_path: Path, chromium: str) -> None:
    """`sunbid demo`: a visitor sees countdown → progress → the 唱标 table fill → the record published,
    while the demo bidders and host play their parts (demo/opening.py) — nobody touches a thing."""
    from playwright.async_api import async_playwright

    from demo.opening import LIVE_PREFIX

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "demo", "--seed-only")
    code = f"{LIVE_PREFIX}001"
    with live_server(settings, tmp_path, demo=True) as server:  # only the demo's server plays it
        async with async_playwright() as pw, httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            for _ in range(60):  # the running server's driver publishes the live tender at once
                found = await http.get(f"/api/tenders/{code}")
                if found.status_code == 200:
                    break
                await asyncio.sleep(0.5)
            assert found.status_code == 200, found.text
            assert found.json()["state"] == "published"

            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1100, "height": 900})
            await page.goto(f"{server.url}/tenders/{code}")
            await page.click(".opening-link")
            await page.wait_for_url(f"{server.url}/tenders/{code}/opening?lot=1")
            assert await page.inner_text("#phase") == "尚未开标"
            await wait_until(
                page, "document.getElementById('countdown').textContent.includes(':')", timeout=5000
            )
            assert (await page.inner_text("#countdown")).startswith(("0:", "1:"))  # to the deadline

            await page.wait_for_selector("#phase[data-phase=awaiting_host]", timeout=90_000)
            await page.wait_for_selector("#phase[data-phase=decrypting]", timeout=30_000)
            await wait_until(page, "document.getElementById('n-opened').textContent === '3'", timeout=60_000)
            await page.wait_for_selector("#phase[data-phase=confirming]", timeout=90_000)
            await wait_until(
                page, "document.querySelectorAll('#table tbody tr').length === 3", timeout=15_000
            )
            assert (await page.inner_text("#coefficient")) != "—"
            await page.wait_for_selector("#phase[data-phase=closed]", timeout=90_000)
            assert await page.is_visible("#record-published")
            rows = await page.locator("#table tbody tr[data-outcome=opened]").count()
            assert rows == 3
            log = await page.inner_text("#log")
            assert "投标人提出异议" in log and "主持人答复异议" in log and "开标记录已发布" in log
            await browser.close()
