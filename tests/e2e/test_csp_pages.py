"""The pages under the Content-Security-Policy in headless Chromium: the public pages and the API docs
render with nothing blocked (the ``chromium`` fixture fails the test on any violation the browser
reports) and nothing loaded from another origin; the API docs work offline; an injected inline
script is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.browser import CHROMIUM_ARGS, is_csp_violation
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e

PUBLIC_PAGES = [
    "/", "/tenders", "/notices", "/awards", "/statistics", "/credit", "/credit/rules", "/catalog",
    "/catalog/stats", "/audit", "/login", "/no-such-page",
]  # fmt: skip


async def test_public_pages_and_api_docs_run_under_the_policy(
    chromium: str, csp_violations: list[str], tmp_path: Path
) -> None:
    from playwright.async_api import Request, async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "demo", "--seed-only")
    with live_server(settings, tmp_path) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            elsewhere: list[str] = []

            def outside(request: Request) -> None:
                if not request.url.startswith((server.url, "data:")):
                    elsewhere.append(request.url)

            page.on("request", outside)
            for path in PUBLIC_PAGES:
                response = await page.goto(f"{server.url}{path}")
                assert (
                    response is not None
                    and "script-src 'self'" in response.headers["content-security-policy"]
                )
                await page.wait_for_load_state("networkidle")

            # The API docs: Swagger UI from our own static files lists the operations.
            await page.goto(f"{server.url}/schema")
            await page.wait_for_selector(".opblock", timeout=30_000)
            # Swagger UI 5 renders a long list of operations virtually, as the reader scrolls: scroll
            # through it and count the operations that came into view.
            paths: set[str] = set()
            for _ in range(80):
                paths |= set(await page.locator(".opblock-summary-path").all_inner_texts())
                await page.mouse.wheel(0, 1500)
                await page.wait_for_timeout(100)
            assert len(paths) > 20, paths
            assert any("/api/admin/" in p for p in paths) and any("/api/catalog" in p for p in paths)
            assert "sunbid API" in await page.inner_text("#swagger-container")
            assert not elsewhere, elsewhere

            # The policy is really enforced: a script injected inline does not run, and the browser says so.
            await page.goto(f"{server.url}/")
            async with page.expect_console_message(lambda m: is_csp_violation(m.text)):
                await page.evaluate(
                    "() => { const s = document.createElement('script');"
                    " s.textContent = 'document.body.dataset.injected = 1'; document.head.appendChild(s); }"
                )
            assert await page.evaluate("() => document.body.dataset.injected") is None
            await browser.close()
    assert len(csp_violations) == 1 and "script-src" in csp_violations[0]
    csp_violations.clear()  # the one provoked on purpose
