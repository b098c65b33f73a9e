"""A supervisor decides the demo appeal in headless Chromium; the public page shows the correction."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.browser import CHROMIUM_ARGS
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e


async def test_supervisor_revokes_on_appeal_and_the_public_page_follows(
    tmp_path: Path, chromium: str
) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "demo", "--seed-only")
    with live_server(settings, tmp_path) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.goto(f"{server.url}/login?next=/credit/admin")
            await page.fill("input[name=username]", "supervisor")
            await page.fill("input[name=password]", "sunbid-demo-2026")
            await page.click("#login-submit")
            await page.wait_for_url(f"{server.url}/credit/admin")
            appeal = page.locator("#appeals tr").nth(1)
            subject_link = await appeal.locator("a").first.get_attribute("href")
            assert subject_link and "网络故障" in await appeal.inner_text()
            await appeal.locator("select[name=outcome]").select_option("revoked")
            await appeal.locator("input[name=reason]").fill("经核实系运营商网络故障")
            await appeal.locator("button").click()
            await page.wait_for_url(f"{server.url}/credit/admin")
            assert await page.locator("#appeals").count() == 0
            public = await browser.new_page()
            await public.goto(f"{server.url}{subject_link}")
            assert await public.inner_text("#index") == "98.00"  # only the 2-point B09 deduction is left
            assert await public.locator("#chart svg polyline").count() == 1
            assert "撤销投标" not in await public.inner_text("#deductions")
            await public.screenshot(path=str(tmp_path / "credit-subject.png"), full_page=True)
            await browser.close()
