"""One bidder's journey on the tender page in headless Chromium, in Chinese and English: register from
the page, a sealed bid submitted (receipt), then the deadline passes and the opening opens the bid.
Real ``sunbid serve`` process (its scheduler opens the tender); Debian's chromium via Playwright."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bidding.models import Tender
from core.runtime import Runtime
from core.settings import Settings
from tests.bidding.helpers import make_world, published_tender, seal, upload
from tests.bidding.test_opening import file_key
from tests.support.browser import CHROMIUM_ARGS
from tests.support.factories import PASSWORD
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e

CODE = "JLZB-2026-001"
SHOTS = os.environ.get("SUNBID_SCREENSHOTS")


async def states(page: Any) -> dict[str, str]:
    steps = page.locator("#journey li.journey-step")
    found = {}
    for i in range(await steps.count()):
        step = steps.nth(i)
        found[(await step.get_attribute("id") or "")[5:]] = await step.get_attribute("data-state") or ""
    return found


async def test_a_bidder_follows_its_own_journey_from_registering_to_the_opening(
    tmp_path: Path, chromium: str
) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    runtime = Runtime.build(settings)
    try:
        with live_server(settings, tmp_path) as server:
            async with async_playwright() as pw, httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                world = await make_world(runtime, http, bidders=1)
                bidder = world.bidders[0]
                tender = await published_tender(runtime, http, world)
                browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = await browser.new_page(viewport={"width": 1100, "height": 1400})
                target = f"/tenders/{CODE}"
                await page.goto(f"{server.url}/login?next={target}")
                await page.fill("input[name=username]", bidder.username)
                await page.fill("input[name=password]", PASSWORD)
                await page.click("#login-submit")
                await page.wait_for_url(f"{server.url}{target}")

                # Not registered yet: registering is the next step, the rest waits.
                await page.goto(f"{server.url}{target}?lang=zh")
                assert (await states(page))["register"] == "todo"
                assert await page.inner_text("#journey-next") == "下一步：报名"
                assert (await states(page))["seal"] == "locked"
                await page.goto(f"{server.url}{target}?lang=en")
                assert await page.inner_text("#journey-next") == "Next: Register"
                assert "Registration is open until" in await page.inner_text("#step-register")

                # Register from the journey (a POST form with its CSRF field).
                await page.click("#step-register button#register")
                await page.wait_for_selector("#step-register[data-state=done]")
                assert "Registered on" in await page.inner_text("#step-register")
                assert await page.inner_text("#journey-next") == "Next: Prepare and seal the bid"
                schema = page.locator("#step-seal a[download]")
                assert (
                    await schema.get_attribute("href") == f"/api/tenders/{CODE}/lots/1/bid-form.schema.json"
                )

                # A sealed bid is submitted: the submit and receipt steps are done, with Beijing time.
                sealed = seal(tmp_path, tender, bidder, price="10950000.50")
                assert (await upload(http, bidder, sealed)).status_code == 201
                submission_id = sealed.manifest.submission_id
                await page.goto(f"{server.url}{target}?lang=zh")
                found = await states(page)
                assert (found["seal"], found["submit"], found["receipt"]) == ("done", "done", "done")
                if SHOTS:
                    await page.locator("#journey").screenshot(path=str(Path(SHOTS) / "journey-submitted.png"))
                text = await page.inner_text("#step-submit")
                assert f"投标 {submission_id} 于" in text and "（北京时间）递交" in text
                receipt = page.locator("#step-receipt a[download]")
                assert await receipt.get_attribute("href") == f"/api/submissions/{submission_id}/receipt"
                async with page.expect_download() as download:
                    await receipt.click()
                saved = tmp_path / "receipt.json"
                await (await download.value).save_as(saved)
                assert submission_id in saved.read_text("utf-8")

                # The deadline passes; the server's scheduler opens the tender by itself.
                async with runtime.transaction() as session:
                    await session.execute(
                        update(Tender).values(bid_deadline=datetime.now(UTC) - timedelta(seconds=1))
                    )
                for _ in range(60):
                    if (await http.get(f"/api/tenders/{CODE}")).json()["state"] == "opening":
                        break
                    await asyncio.sleep(0.5)
                await page.goto(f"{server.url}{target}?lang=zh")
                assert (await states(page))["opening"] == "waiting"
                assert "等待主持人开始开标" in await page.inner_text("#step-opening")

                started = await http.post(f"/api/tenders/{CODE}/opening/start", headers=world.agent)
                assert started.status_code == 200, started.text
                await page.goto(f"{server.url}{target}?lang=en")
                assert (await states(page))["opening"] == "todo"
                assert await page.inner_text("#journey-next") == "Next: Opening"
                hall = page.locator("#step-opening a.button")
                assert await hall.get_attribute("href") == f"/tenders/{CODE}/opening?lot=1"

                revealed = await http.post(
                    f"/api/tenders/{CODE}/lots/1/opening/key",
                    json={"file_key": file_key(sealed, bidder.identity)},
                    headers=bidder.headers,
                )
                assert revealed.status_code == 200, revealed.text
                await page.goto(f"{server.url}{target}?lang=en")
                assert (await states(page))["opening"] == "done"
                assert "Lot 1: opened; price 10,950,000.50 yuan." in await page.inner_text("#step-opening")
                if SHOTS:
                    await page.locator("#journey").screenshot(path=str(Path(SHOTS) / "journey-opened-en.png"))
                await page.goto(f"{server.url}{target}?lang=zh")
                assert "标段 1：已解密，投标报价 10,950,000.50 元。" in await page.inner_text("#step-opening")
                assert (await states(page))["result"] == "waiting"
                await browser.close()
    finally:
        await runtime.close()
