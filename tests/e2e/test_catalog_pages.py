"""A citizen searches the service-hall catalog in Chinese and opens a 一件事 bundle (headless Chromium)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.browser import CHROMIUM_ARGS
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("SUNBID_SCREENSHOTS")  # a folder to keep the screenshots in, for a look


async def test_search_in_chinese_and_open_a_bundle(chromium: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    shots = Path(SHOTS) if SHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    run_cli(settings, "demo", "--seed-only")
    with live_server(settings, tmp_path) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1200, "height": 900})
            await page.goto(f"{server.url}/catalog")
            assert await page.title() == "政务服务事项目录 · 阳光招标"
            await page.fill("input[name=q]", "食品经营")
            await page.select_option("select[name=level]", "city")
            await page.click("#catalog-submit")
            await page.wait_for_url("**/catalog?q=*")
            results = await page.inner_text("#catalog-results")
            assert "食品经营许可（新办）" in results and "吉林市市场监督管理局" in results
            assert "共 5 个事项" in await page.inner_text("#catalog-total")  # 新办/变更/延续/注销 + 处罚
            await page.screenshot(path=str(shots / "catalog-search.png"), full_page=True)
            await page.click("text=食品经营许可（新办）")
            await page.wait_for_selector("#item-materials")
            assert "经营场所使用证明" in await page.inner_text("#item-materials")
            await page.go_back()
            await page.click("#bundle-list >> text=我要开餐馆")
            await page.wait_for_url("**/catalog/bundles/YJS-CY-001")
            assert "我要开餐馆" in await page.inner_text("#bundle-name")
            materials = await page.inner_text("#bundle-materials")
            assert materials.count("营业执照") == 1  # asked by several items, listed once
            assert "并联办理承诺时限" in await page.inner_text("#bundle-limits")
            await page.screenshot(path=str(shots / "catalog-bundle.png"), full_page=True)
            await page.click("#lang-switch")
            await page.wait_for_selector("text=Merged materials")
            await page.goto(f"{server.url}/catalog/stats?lang=zh")
            assert "承诺时限压缩率" in await page.inner_text("main")
            await page.screenshot(path=str(shots / "catalog-stats.png"), full_page=True)
            await browser.close()
