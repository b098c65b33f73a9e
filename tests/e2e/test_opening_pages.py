"""The opening hall in headless Chromium: a public observer watches an opening from the deadline to the
published record — phase, countdown, progress and the 唱标 table update live over the room socket —
and the host's own page starts it. Real ``sunbid serve`` process; Debian's chromium via Playwright."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from bidding.models import Opening, Tender
from core.runtime import Runtime
from core.settings import Settings
from tests.bidding.helpers import make_world, published_tender, register_all, seal, upload
from tests.bidding.test_opening import file_key
from tests.support.factories import PASSWORD
from tests.support.live import live_server, run_cli
from tests.support.services import missing

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("SUNBID_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CODE = "JLZB-2026-001"


@pytest.fixture
def chromium() -> str:
    if not shutil.which(CHROMIUM):
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


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
                await observer.wait_for_function(
                    "document.getElementById('countdown').textContent.includes(':')", timeout=5000
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
                await observer.wait_for_function(
                    "document.getElementById('n-opened').textContent === '3'", timeout=15000
                )

                # The window ends: the table fills in, the bidders confirm, the host finishes.
                async with runtime.transaction() as session:
                    await session.execute(
                        update(Opening).values(window_ends_at=datetime.now(UTC) - timedelta(seconds=1))
                    )
                await observer.wait_for_selector("#phase[data-phase=confirming]", timeout=15000)
                await observer.wait_for_function(
                    "document.querySelectorAll('#table tbody tr').length === 3", timeout=15000
                )
                cells = await observer.inner_text("#table tbody")
                assert all(price in cells for price in prices) and "李四" in cells
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
                await browser.close()
    finally:
        await runtime.close()
