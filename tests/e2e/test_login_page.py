"""A person logs in through the real page in headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.browser import CHROMIUM_ARGS, wait_until
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var")


async def test_login_through_the_page(chromium: str, sqlite_settings: Settings, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    run_cli(sqlite_settings, "demo", "--seed-only")
    with live_server(sqlite_settings, tmp_path) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.goto(f"{server.url}/login")
            assert await page.title() == "用户登录 · 阳光招标"
            await page.fill("input[name=username]", "bidder")
            await page.fill("input[name=password]", "wrong-password")
            await page.click("#login-submit")
            assert "用户名或密码错误" in await page.inner_text("#login-error")
            await page.fill("input[name=username]", "bidder")
            await page.fill("input[name=password]", "sunbid-demo-2026")
            await page.click("#login-submit")
            await page.wait_for_url(f"{server.url}/")
            assert "宏达建筑 投标人" in await page.inner_text("#welcome")
            cookies = await page.context.cookies()
            session = next(c for c in cookies if c["name"] == "sunbid_session")
            assert session["httpOnly"] is True
            await page.screenshot(path=str(tmp_path / "logged-in.png"), full_page=True)
            await page.click("text=退出")
            await page.wait_for_selector("#login-link")
            await browser.close()


async def test_audit_page_shows_the_log_and_new_entries_live(
    chromium: str, sqlite_settings: Settings, tmp_path: Path
) -> None:
    import httpx
    from playwright.async_api import async_playwright

    run_cli(sqlite_settings, "demo", "--seed-only")
    with live_server(sqlite_settings, tmp_path) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.goto(f"{server.url}/audit")
            before = await page.locator("#audit-table tbody tr").count()
            assert before > 0
            async with httpx.AsyncClient(base_url=server.url) as http:
                size = (await http.get("/api/audit/checkpoint")).json()["size"]
            assert await page.inner_text("#audit-size") == str(size)
            newest = await page.inner_text("#audit-table tbody tr:first-child td:first-child")
            assert newest == str(size - 1)
            await wait_until(page, "document.getElementById('audit-live') !== null")
            await page.wait_for_timeout(300)  # the socket subscribes right after load
            async with httpx.AsyncClient(base_url=server.url) as http:
                login = {"username": "admin", "password": "sunbid-demo-2026"}
                token = (await http.post("/api/auth/tokens", json=login)).json()["token"]
                body = {
                    "username": "live.viewer",
                    "password": "viewer-pw-1",
                    "display_name": "V",
                    "roles": ["expert"],
                }
                created = await http.post(
                    "/api/users", json=body, headers={"Authorization": f"Bearer {token}"}
                )
                assert created.status_code == 201
            await wait_until(
                page,
                f"document.querySelectorAll('#audit-table tbody tr').length === {before + 1}",
                timeout=10000,
            )
            # The live row reads as words (web/audit_words.py), not as the stored kind.
            assert "创建账户" in await page.inner_text("#audit-table tbody tr:first-child")
            await browser.close()
