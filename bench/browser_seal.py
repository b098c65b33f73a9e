"""Sealing + upload throughput in the browser (web/static/bidding/seal.js) against the CLI.

Usage: .venv/bin/python bench/browser_seal.py [--size-mib 100] [--chromium /usr/bin/chromium]

One ``sunbid serve`` process, one tender, one bidder. The same bid package (bid.json and one
attachment of SIZE MiB of random bytes, like a scanned or already compressed PDF) is sealed and
uploaded twice:

  browser  headless Chromium (Playwright) on the sealing page: the bidder's identity file is loaded,
           the form filled and the attachment picked first; the clock runs from the click on "seal
           and submit" to the receipt on the page (zip + deflate, age encryption, SHA-256, signing,
           upload, receipt);
  cli      ``sunbid bid seal`` then ``sunbid bid submit``, as subprocesses (start-up included).

While the browser seals, the page's V8 heap is sampled over the DevTools protocol every 50 ms
(``Runtime.getHeapUsage``: used JS heap, and the ArrayBuffer backing stores beside it, which hold
the bytes in flight). The envelope itself waits for the upload in the browser's blob store, outside
both. The last line printed is one JSON object: ``browser_mib_s``, ``cli_mib_s``, ``ratio``
(browser / cli), ``browser_peak_js_heap_mib``, ``browser_peak_array_buffers_mib``, ``size_mib``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from tests.bidding.helpers import make_world, published_tender, register_all  # noqa: E402
from tests.support.browser import CHROMIUM_ARGS  # noqa: E402
from tests.support.factories import PASSWORD  # noqa: E402
from tests.support.live import SUNBID, live_server, run_cli, settings_env  # noqa: E402

MIB = 1 << 20
CODE = "BENCH-SEAL-001"
FORM = {"price": "10980000.00", "duration_days": 365, "quality": "合格", "project_manager": "李四"}


def write_random(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with path.open("wb") as fh:
        for i in range(size // MIB):
            fh.write(block[i % 251 :] + block[: i % 251])  # no two MiB alike, cheaply


async def browser_run(
    chromium: str, base: str, username: str, identity: Path, attachment: Path, debug: bool = False
) -> tuple[float, float, float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        await page.goto(f"{base}/login")
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("#login-submit")
        await page.wait_for_url(f"{base}/")
        await page.goto(f"{base}/tenders/{CODE}/lots/1/seal")
        await page.set_input_files("#identity-file", str(identity))
        await page.click("#identity-load")
        await page.wait_for_selector("#signing-key-status.ok", timeout=60_000)
        for name, value in FORM.items():
            await page.fill(f"#field-{name}", str(value))
        await page.set_input_files("#attachments", str(attachment))
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("HeapProfiler.collectGarbage")
        peaks = {"used": 0.0, "buffers": 0.0}
        sampling = True

        async def sample() -> None:
            while sampling:
                usage = await cdp.send("Runtime.getHeapUsage")
                peaks["used"] = max(peaks["used"], usage["usedSize"])
                peaks["buffers"] = max(peaks["buffers"], usage.get("backingStorageSize", 0))
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        if debug:
            page.on("console", lambda m: print("console:", m.text, file=sys.stderr))
        start = time.perf_counter()
        await page.click("#seal-submit", no_wait_after=True)
        await page.wait_for_selector("#seal-status.ok, #seal-status.error", timeout=3_600_000)
        elapsed = time.perf_counter() - start
        sampling = False
        await sampler
        status = await page.inner_text("#seal-status")
        if "error" in (await page.get_attribute("#seal-status", "class") or ""):
            raise RuntimeError(f"the browser did not submit: {status}")
        await browser.close()
        return elapsed, peaks["used"] / MIB, peaks["buffers"] / MIB


def cli_run(
    settings: Settings, work: Path, identity: Path, attachment: Path, base: str, username: str
) -> float:
    env = {**settings_env(settings), "SUNBID_CLIENT_CONFIG": str(work / "client.json")}
    (work / "password.txt").write_text(PASSWORD + "\n")
    (work / "bid.json").write_text(json.dumps(FORM, ensure_ascii=False))

    def sunbid(*args: str) -> None:
        done = subprocess.run([SUNBID, *args], env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"sunbid {args[0]}: {done.stderr}")

    sunbid("login", "--server", base, "--username", username, "--password-file", str(work / "password.txt"))
    out = work / "cli-bid.age"
    start = time.perf_counter()
    sunbid(
        "bid", "seal", "--tender", CODE, "--lot", "1", "--form", str(work / "bid.json"),
        "--attach", str(attachment), "--identity", str(identity), "-o", str(out),
    )  # fmt: skip
    sunbid("bid", "submit", str(out))
    return time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--debug", action="store_true", help="Echo the page's console on stderr.")
    parser.add_argument("--chromium", default=os.environ.get("SUNBID_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sunbid-bench-seal-") as tmp:
        work = Path(tmp)
        settings = Settings(var_dir=work / "var")
        run_cli(settings, "db", "upgrade")
        runtime = Runtime.build(settings)
        attachment = work / "attachment.bin"
        write_random(attachment, args.size_mib * MIB)
        try:
            with live_server(settings, work) as server:
                async with httpx.AsyncClient(base_url=server.url, timeout=120) as http:
                    world = await make_world(runtime, http, bidders=1)
                    envelope_limit = max(64, args.size_mib * 2)
                    await published_tender(runtime, http, world, CODE, max_envelope_mib=envelope_limit)
                    await register_all(http, world, CODE)
                bidder = world.bidders[0]
                identity = work / "identity.txt"
                identity.write_text(bidder.identity.to_str() + "\n")
                print(f"sealing {args.size_mib} MiB in Chromium ...", file=sys.stderr)
                browser_s, heap, buffers = await browser_run(
                    args.chromium, server.url, bidder.username, identity, attachment, args.debug
                )
                print(f"browser: {browser_s:.1f} s; sealing with the CLI ...", file=sys.stderr)
                cli_s = cli_run(settings, work, identity, attachment, server.url, bidder.username)
                print(f"cli: {cli_s:.1f} s", file=sys.stderr)
        finally:
            await runtime.close()
    result: dict[str, Any] = {
        "size_mib": args.size_mib,
        "browser_s": round(browser_s, 2),
        "cli_s": round(cli_s, 2),
        "browser_mib_s": round(args.size_mib / browser_s, 2),
        "cli_mib_s": round(args.size_mib / cli_s, 2),
        "ratio": round(cli_s / browser_s, 3),
        "browser_peak_js_heap_mib": round(heap, 1),
        "browser_peak_array_buffers_mib": round(buffers, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
