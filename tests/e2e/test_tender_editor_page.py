"""The tender editor's control for ``publish_contract_document`` (the signed contract document is
published, issue 19 point 5), in headless Chromium against a real ``sunbid serve``: the agent ticks it,
saves the draft, and the tender's page says so; the stored tender carries the term, which contracts
reads when it opens the contract. An unticked draft says the document is not published. English too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bidding import service as bidding
from core.runtime import Runtime
from core.settings import Settings
from crypto.age import X25519Identity
from tests.support.browser import CHROMIUM_ARGS
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e

PASSWORD = "sunbid-demo-2026"


def local(moment: datetime) -> str:
    return (moment + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


async def draft(page: Any, url: str, code: str, *, publish_document: bool) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    await page.goto(f"{url}/agent/tenders/new")
    await page.fill("input[name=code]", code)
    await page.fill("input[name=title]", "船营区滨江步道改造工程")
    await page.fill("input[name=budget]", "3000000.00")
    await page.fill("input[name=ceiling_price]", "2900000.00")
    await page.fill("input[name=bond_amount]", "50000")
    await page.fill("input[name=registration_start]", local(now))
    await page.fill("input[name=registration_end]", local(now + timedelta(days=10)))
    await page.fill("input[name=clarification_deadline]", local(now + timedelta(days=15)))
    await page.fill("input[name=bid_deadline]", local(now + timedelta(days=21)))
    await page.fill("input[name=opening_recipient]", X25519Identity.generate().recipient().to_str())
    if publish_document:
        await page.check("#publish-contract-document")
    await page.click("#save-draft")
    await page.wait_for_selector("#contract-document")


async def stored_terms(settings: Settings, code: str) -> dict[str, Any]:
    runtime = Runtime.build(settings)
    try:
        async with runtime.sessions() as session:
            return dict((await bidding.tender_by_code(session, code)).rules or {})
    finally:
        await runtime.close()


async def test_the_editor_sets_that_the_contract_document_is_published(tmp_path: Path, chromium: str) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "demo", "--seed-only")
    with live_server(settings, tmp_path) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.goto(f"{server.url}/login")
            await page.fill("input[name=username]", "agent")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("#login-submit")
            await page.wait_for_url(f"{server.url}/")
            await page.goto(f"{server.url}/agent/tenders/new")
            label = await page.inner_text("label:has(#publish-contract-document)")
            assert "合同签订后公开合同文本" in label
            assert not await page.is_checked("#publish-contract-document")  # off unless the agent says so
            await draft(page, server.url, "E2E-CD-001", publish_document=True)
            shown = page.locator("#contract-document")
            assert await shown.get_attribute("data-published") == "yes"
            assert "签订后公开" in await shown.inner_text()
            await draft(page, server.url, "E2E-CD-002", publish_document=False)
            assert await shown.get_attribute("data-published") == "no"
            assert "不公开" in await shown.inner_text()
            # the same control and its words in English
            await page.goto(f"{server.url}/agent/tenders/new?lang=en")
            english = await page.inner_text("label:has(#publish-contract-document)")
            assert "Publish the signed contract document" in english
            await page.goto(f"{server.url}/tenders/E2E-CD-001?lang=en")
            assert "Published once signed" in await page.inner_text("#contract-document")
            await browser.close()
    assert (await stored_terms(settings, "E2E-CD-001")).get("publish_contract_document") == 1
    assert "publish_contract_document" not in await stored_terms(settings, "E2E-CD-002")
