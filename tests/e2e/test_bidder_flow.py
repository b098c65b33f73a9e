"""A bidder walks through the portal in headless Chromium: finds a tender, registers, downloads the
documents, uploads a bid sealed with the client, and sees its receipt. The agent publishes first."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bidding.client import seal_bid
from core.settings import Settings
from crypto.age import X25519Identity
from crypto.signing import public_key_to_text, signing_key_from_identity
from tests.support.browser import CHROMIUM_ARGS
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e

PASSWORD = "sunbid-demo-2026"
SHOTS = os.environ.get("SUNBID_SCREENSHOTS")


async def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_url(f"{base}/")


async def test_a_bidder_registers_downloads_uploads_and_sees_the_receipt(
    tmp_path: Path, chromium: str
) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "demo", "--seed-only")
    shots = Path(SHOTS) if SHOTS else tmp_path
    opening = X25519Identity.generate()
    bidder_key = X25519Identity.generate()
    now = datetime.now(UTC).replace(microsecond=0)
    local = lambda moment: (moment + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    with live_server(settings, tmp_path) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            agent = await browser.new_page()
            await login(agent, server.url, "agent")
            await agent.goto(f"{server.url}/agent/tenders/new")
            await agent.fill("input[name=code]", "E2E-2026-001")
            await agent.fill("input[name=title]", "昌邑区市民广场改造工程")
            await agent.fill("input[name=budget]", "3000000.00")
            await agent.fill("input[name=ceiling_price]", "2900000.00")
            await agent.fill("input[name=bond_amount]", "50000")
            await agent.fill("input[name=registration_start]", local(now))
            await agent.fill("input[name=registration_end]", local(now + timedelta(days=10)))
            await agent.fill("input[name=clarification_deadline]", local(now + timedelta(days=15)))
            await agent.fill("input[name=bid_deadline]", local(now + timedelta(days=21)))
            await agent.fill("input[name=opening_recipient]", opening.recipient().to_str())
            await agent.screenshot(path=str(shots / "editor.png"), full_page=True)
            await agent.click("#save-draft")
            await agent.wait_for_selector("#publish")
            await agent.click("#publish")
            await agent.wait_for_selector("#tender-state")
            assert "报名中" in await agent.inner_text("#tender-state")
            # The agent adds the tender document through the API, as a client would.
            async with httpx.AsyncClient(base_url=server.url) as http:
                login_as = lambda name: {"username": name, "password": PASSWORD}  # noqa: E731
                token = (await http.post("/api/auth/tokens", json=login_as("agent"))).json()
                stored = await http.put(
                    "/api/tenders/E2E-2026-001/documents/招标文件.txt",
                    content="第一章 招标公告\n".encode() * 100,
                    headers={"Authorization": f"Bearer {token['token']}"},
                )
                assert stored.status_code == 201
                btoken = (await http.post("/api/auth/tokens", json=login_as("bidder"))).json()
                auth = {"Authorization": f"Bearer {btoken['token']}"}
                me = (await http.get("/api/auth/me", headers=auth)).json()
                key = public_key_to_text(signing_key_from_identity(bidder_key).public_key())
                path = f"/api/organisations/{me['organisation_id']}/signing-key"
                org = await http.put(path, json={"signing_key": key}, headers=auth)
                assert org.status_code == 200, org.text
                tender = (await http.get("/api/tenders/E2E-2026-001")).json()

            page = await browser.new_page()
            await login(page, server.url, "bidder")
            await page.goto(f"{server.url}/tenders")
            await page.screenshot(path=str(shots / "tenders.png"), full_page=True)
            await page.click("text=昌邑区市民广场改造工程")
            await page.click("#register")
            await page.wait_for_selector("#registered")
            async with page.expect_download() as download_info:
                await page.click("a.doc-link")
            download = await download_info.value
            saved = tmp_path / "doc.txt"
            await download.save_as(saved)
            assert saved.read_text().startswith("第一章 招标公告")
            form = {"price": "2850000.00", "duration_days": 180, "quality": "合格", "project_manager": "陈"}
            sealed = seal_bid(
                tender=tender,
                lot="1",
                form=form,
                attachments=[],
                identity=bidder_key,
                signing_key=signing_key_from_identity(bidder_key),
                bidder=org.json()["credit_code"],
                out=tmp_path / "bid.age",
            )
            await page.set_input_files("#envelope", str(sealed.envelope))
            await page.set_input_files("#manifest", str(sealed.manifest_path))
            await page.click("#submit-bid")
            await page.wait_for_selector("#upload-result.ok", timeout=15000)
            assert "投标已受理" in await page.inner_text("#upload-result")
            await page.wait_for_selector("#my-bids")
            assert sealed.manifest.submission_id in await page.inner_text("#my-bids")
            await page.screenshot(path=str(shots / "tender-bidder.png"), full_page=True)
            await page.goto(f"{server.url}/bidder")
            assert sealed.manifest.submission_id in await page.inner_text("#my-submissions")
            await page.goto(f"{server.url}/bidder?lang=en")
            assert "Bidder console" in await page.inner_text("h1")
            await page.screenshot(path=str(shots / "console-en.png"), full_page=True)
            await page.goto(f"{server.url}/notices?lang=zh")
            assert "昌邑区市民广场改造工程" in await page.inner_text("#notice-table")
            await page.screenshot(path=str(shots / "notices.png"), full_page=True)
            receipt = json.loads(sealed.manifest_path.read_text())
            assert receipt["statement"]["tender"] == "E2E-2026-001"
            await browser.close()
