"""Headless Chromium for the page tests: Debian's ``chromium`` (Playwright cannot download browsers)."""

from __future__ import annotations

import os
import shutil

from tests.support.services import missing

CHROMIUM = os.environ.get("SUNBID_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str:
    """The browser's path, or the test is skipped (locally) / failed (in CI) naming what to install."""
    if not shutil.which(CHROMIUM):
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM
