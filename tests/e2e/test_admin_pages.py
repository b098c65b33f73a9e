"""An admin runs the centre's accounts from the pages, in headless Chromium under the strict CSP:
log in → land on the dashboard → create a user (password generated, shown once) → the user logs in →
the admin disables the account → the user's open session ends at once. Each step is in the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from tests.support.browser import CHROMIUM_ARGS
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e

ADMIN_PASSWORD = "admin-password-1"


async def test_admin_creates_and_disables_a_user(chromium: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    run_cli(
        settings,
        "user",
        "create",
        "root",
        "--role",
        "admin",
        "--name",
        "管理员",
        "--password",
        ADMIN_PASSWORD,
    )
    with live_server(settings, tmp_path) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            admin = await browser.new_page()
            await admin.goto(f"{server.url}/login")
            await admin.fill("input[name=username]", "root")
            await admin.fill("input[name=password]", ADMIN_PASSWORD)
            await admin.click("#login-submit")
            await admin.wait_for_url(f"{server.url}/admin")
            assert await admin.inner_text("#admin-dashboard") == "管理工作台"
            assert await admin.locator("#nav-admin").count() == 1

            await admin.click("#admin-users-link")
            await admin.fill("#user-form input[name=username]", "Li.Na")
            await admin.fill("#user-form input[name=display_name]", "李娜")
            await admin.check("#user-form input[name=roles][value=agent]")
            await admin.click("#user-create")
            await admin.wait_for_selector("#created-password")
            password = (await admin.inner_text("#created-password code")).strip()
            assert len(password) >= 12
            assert "李娜" in await admin.inner_text("#user-list")

            async with httpx.AsyncClient(base_url=server.url) as user:
                login = await user.post("/api/auth/login", json={"username": "li.na", "password": password})
                assert login.status_code == 200
                assert (await user.get("/api/auth/me")).status_code == 200

                await admin.click("#user-list >> text=li.na")
                assert await admin.inner_text("#live-tokens") == "1"
                await admin.click("#user-disable")
                await admin.wait_for_selector("#admin-done")
                assert await admin.inner_text("#user-state") == "已停用"
                assert await admin.inner_text("#live-tokens") == "0"
                assert (await user.get("/api/auth/me")).status_code == 401
                user.cookies.clear()  # a fresh try, as from the CLI
                again = await user.post("/api/auth/login", json={"username": "li.na", "password": password})
                assert again.status_code == 401

            await admin.goto(f"{server.url}/admin/users?lang=en")
            assert await admin.inner_text("h1") == "Users"
            await browser.close()
        async with httpx.AsyncClient(base_url=server.url) as http:
            entries = (await http.get("/api/audit/entries", params={"limit": 1000})).json()
    bodies = [json.loads(e["entry"]) for e in entries]
    kinds = [b["kind"] for b in bodies]
    assert "account.created" in kinds and "account.disabled" in kinds
    assert password not in json.dumps(bodies)
