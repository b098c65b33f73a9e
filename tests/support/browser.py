"""Headless Chromium for the page tests: Debian's ``chromium`` (Playwright cannot download browsers)."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from typing import Any

import pytest

from tests.support.services import missing

CHROMIUM = os.environ.get("SUNBID_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str:
    """The browser's path, or the test is skipped (locally) / failed (in CI) naming what to install."""
    if not shutil.which(CHROMIUM):
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


def is_csp_violation(text: str) -> bool:
    """Chromium reports what the Content-Security-Policy blocked as a console message."""
    return "Content Security Policy" in text or text.startswith("Refused to")


def watch_csp(monkeypatch: pytest.MonkeyPatch, violations: list[str]) -> None:
    """Record every CSP violation of every page a test opens (each page test launches its own browser)."""
    from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page

    def listen(page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if is_csp_violation(message.text):
                violations.append(f"{page.url}: {message.text}")

        page.on("console", on_console)

    new_page, new_context = Browser.new_page, Browser.new_context

    async def watched_page(self: Browser, *args: Any, **kwargs: Any) -> Page:
        page = await new_page(self, *args, **kwargs)
        listen(page)
        return page

    async def watched_context(self: Browser, *args: Any, **kwargs: Any) -> BrowserContext:
        context = await new_context(self, *args, **kwargs)
        context.on("page", listen)
        return context

    monkeypatch.setattr(Browser, "new_page", watched_page)
    monkeypatch.setattr(Browser, "new_context", watched_context)


async def wait_until(page: Any, expression: str, *, arg: Any = None, timeout: float = 30_000) -> None:  # noqa: ASYNC109
    """``page.wait_for_function`` without ``eval`` in the page, which the Content-Security-Policy
    refuses: the expression is evaluated over the DevTools protocol, which the policy does not govern."""
    from playwright.async_api import Error

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if await page.evaluate(expression, arg):
                return
        except Error as error:  # a navigation replaced the page under the check: try again
            if "context was destroyed" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true within {timeout:.0f} ms: {expression}")
        await asyncio.sleep(0.1)
