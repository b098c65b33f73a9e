"""A bidder decrypts its own bid from the opening hall in headless Chromium (issue #16): the page unwraps
the file key from the identity file locally and sends only the key, as `sunbid bid decrypt` does, and
shows the bid's state live. A bid sealed with the CLI's code and one sealed on the sealing page
(seal.js) open side by side in the same opening, each revealed once from the browser and once from the
CLI (two lots, roles swapped); a third lot shows a rejection with its reason. Every
request and socket frame the bidders' pages send is captured: none carries an identity, a passphrase
or the bid's content. Real ``sunbid serve`` process; Debian's chromium via Playwright."""

from __future__ import annotations

import asyncio
import io
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bidding.client import Sealed
from bidding.models import Tender
from core.runtime import Runtime
from core.settings import Settings
from crypto.age import ScryptRecipient, X25519Identity, encrypt
from tests.bidding.helpers import SECRET_FORM_TEXT, make_world, published_tender, register_all, upload
from tests.bidding.helpers import seal as cli_seal
from tests.bidding.test_opening import file_key
from tests.support.browser import CHROMIUM_ARGS
from tests.support.factories import PASSWORD
from tests.support.live import SUNBID, live_server, run_cli, settings_env

pytestmark = pytest.mark.e2e

CODE = "JLZB-2026-001"
LOTS = [
    {"number": "1", "title": "一标段", "budget": "6000000.00", "ceiling_price": "5800000.00"},
    {"number": "2", "title": "二标段", "budget": "6000000.00", "ceiling_price": "5800000.00"},
    {"number": "3", "title": "三标段", "budget": "6000000.00", "ceiling_price": "5800000.00"},
]
PRICES = {("cli", "1"): "5100000.00", ("browser", "1"): "5200000.00"}
PRICES |= {("cli", "2"): "5300000.00", ("browser", "2"): "5400000.00"}
PRICES[("browser", "3")] = "5900000.00"  # above lot 3's ceiling: opened, and rejected with the reason
IDENTITY_PASSPHRASE = "青山-passphrase-only-in-the-page"

# Installed in each bidder page: every value #my-bid-state's data-state takes, in order.
WATCH_STATES = """() => {
  const el = document.getElementById('my-bid-state');
  window.__states = [el.dataset.state];
  new MutationObserver((records) => {
    for (const r of records) window.__states.push(r.target.dataset.state);
  }).observe(el, {attributes: true, attributeFilter: ['data-state']});
}"""


async def seal_in_page(context: Any, base: str, lot: str, identity: Path, price: str) -> None:
    """The bidder's sealing page (seal.js): identity file, bid form, seal and upload, all in the page."""
    page = await context.new_page()
    await page.goto(f"{base}/tenders/{CODE}/lots/{lot}/seal")
    await page.set_input_files("#identity-file", str(identity))
    await page.click("#identity-load")
    await page.wait_for_selector("#identity-status.ok", timeout=60_000)
    for name, value in {
        "price": price,
        "duration_days": "365",
        "quality": f"合格 {SECRET_FORM_TEXT}",
        "project_manager": "李四",
    }.items():
        await page.fill(f"#field-{name}", value)
    await page.click("#seal-submit")
    await page.wait_for_selector("#seal-status.ok", timeout=120_000)
    await page.close()


def protected_identity_file(identity: X25519Identity, path: Path) -> None:
    """As `sunbid keygen -p` writes it: the identity, armored, to an scrypt recipient (work factor 18)."""
    sealed = io.BytesIO()
    text = f"# public key: {identity.recipient().to_str()}\n{identity.to_str()}\n"
    encrypt(io.BytesIO(text.encode()), sealed, [ScryptRecipient(IDENTITY_PASSPHRASE)], armor=True)
    path.write_bytes(sealed.getvalue())


async def login(context: Any, base: str, username: str) -> None:
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_url(f"{base}/")
    await page.close()


class Capture:
    """Everything a set of pages sends: request URLs and bodies, and socket frames."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.key_posts: list[str] = []

    def watch(self, page: Any) -> None:
        def on_request(request: Any) -> None:
            body = request.post_data or ""
            self.sent.append(f"{request.method} {request.url} {body}")
            if request.method == "POST" and request.url.endswith("/opening/key"):
                self.key_posts.append(body)

        page.on("request", on_request)
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: self.sent.append(str(payload))))


async def cli(settings: Settings, config: Path, *args: str) -> str:
    env = settings_env(settings, {"SUNBID_CLIENT_CONFIG": str(config)})
    done = await asyncio.to_thread(
        subprocess.run, [SUNBID, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_cli_and_browser_sealed_bids_open_side_by_side_revealed_from_page_and_cli(
    tmp_path: Path, chromium: str
) -> None:
    from playwright.async_api import async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    runtime = Runtime.build(settings)
    try:
        with live_server(settings, tmp_path) as server:
            async with async_playwright() as pw, httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                world = await make_world(runtime, http, bidders=2)
                tender = await published_tender(runtime, http, world, lots=LOTS)
                await register_all(http, world)
                cli_bidder, browser_bidder = world.bidders
                browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                capture = Capture()
                pages: dict[tuple[str, str], Any] = {}
                for who, bidder in (("cli", cli_bidder), ("browser", browser_bidder)):
                    context = await browser.new_context()
                    await login(context, server.url, bidder.username)
                    for lot in ("1", "2", "3"):
                        page = await context.new_page()
                        capture.watch(page)
                        await page.goto(f"{server.url}/tenders/{CODE}/opening?lot={lot}")
                        await page.evaluate(WATCH_STATES)
                        pages[who, lot] = page

                # Identity files: the CLI company's protected by a passphrase (as `sunbid keygen -p`),
                # the browser company's plain; and two that must not work.
                protected = tmp_path / "cli-company.key.age"
                protected_identity_file(cli_bidder.identity, protected)
                plain = tmp_path / "browser-company.key"
                plain.write_text(f"# created by age-keygen\n{browser_bidder.identity.to_str()}\n")
                stranger = tmp_path / "stranger.key"
                stranger.write_text(X25519Identity.generate().to_str() + "\n")
                not_a_key = tmp_path / "notes.txt"
                not_a_key.write_text("这不是身份文件\n")

                # One company seals with the CLI's code (bidding.client, as `sunbid bid seal`), the
                # other on the sealing page in its browser (seal.js); lot 3's bid, above the ceiling
                # (which the sealing page refuses), is sealed with the CLI's code.
                sealed: dict[tuple[str, str], Sealed] = {}
                for lot in ("1", "2"):
                    sealed["cli", lot] = cli_seal(
                        tmp_path, tender, cli_bidder, price=PRICES["cli", lot], lot=lot
                    )
                    await seal_in_page(
                        pages["browser", lot].context, server.url, lot, plain, PRICES["browser", lot]
                    )
                sealed["browser", "3"] = cli_seal(
                    tmp_path, tender, browser_bidder, price=PRICES["browser", "3"], lot="3"
                )
                for (who, _lot), one in sealed.items():
                    bidder = cli_bidder if who == "cli" else browser_bidder
                    response = await upload(http, bidder, one)
                    assert response.status_code == 201, response.text
                mine = await http.get("/api/submissions", headers=browser_bidder.headers)
                assert sorted(row["lot"] for row in mine.json()) == ["1", "2", "3"], mine.text

                # Before the deadline the panel waits, its controls disabled, and the server takes no key.
                page = pages["cli", "1"]
                assert await page.is_visible("#reveal-panel")
                assert await page.get_attribute("#my-bid-state", "data-state") == "waiting"
                assert "投标截止" in await page.inner_text("#my-bid-state")
                assert await page.is_disabled("#decrypt-mine") and await page.is_disabled("#identity-file")
                early = await http.post(
                    f"/api/tenders/{CODE}/lots/1/opening/key",
                    json={"file_key": file_key(sealed["cli", "1"], cli_bidder.identity)},
                    headers=cli_bidder.headers,
                )
                assert early.status_code == 409 and early.json()["error"] == "not_open", early.text
                early_header = await http.get(
                    f"/api/tenders/{CODE}/lots/1/opening/header", headers=cli_bidder.headers
                )
                assert early_header.status_code == 409

                # The deadline passes (moved rather than waited for); the scheduler opens; the host starts.
                async with runtime.transaction() as session:
                    await session.execute(
                        update(Tender).values(bid_deadline=datetime.now(UTC) - timedelta(seconds=1))
                    )
                for _ in range(75):
                    if (await http.get(f"/api/tenders/{CODE}/lots/1/opening")).status_code == 200:
                        break
                    await asyncio.sleep(0.2)
                started = await http.post(f"/api/tenders/{CODE}/opening/start", headers=world.agent)
                assert started.status_code == 200, started.text
                for (who, lot), page in pages.items():
                    if (who, lot) == ("cli", "3"):  # no bid there: nothing to decrypt
                        await page.wait_for_selector("#my-bid-state[data-state=no_bid]", timeout=15000)
                        assert "没有贵公司的投标" in await page.inner_text("#my-bid-state")
                        assert await page.is_disabled("#decrypt-mine")
                        continue
                    await page.wait_for_selector("#my-bid-state[data-state=queued]", timeout=15000)
                    assert await page.is_enabled("#decrypt-mine")
                assert capture.key_posts == []

                # Wrong files: a clear message, the bid still queued, and no key sent.
                page = pages["cli", "1"]
                await page.click("#decrypt-mine")
                await page.wait_for_selector("#reveal-message.error")
                assert "请先选择身份文件" in await page.inner_text("#reveal-message")
                for path, passphrase, words in [
                    (not_a_key, "", "这不是身份文件"),
                    (stranger, "", "该身份文件解不开您的投标"),
                    (protected, "", "请输入口令"),
                    (protected, "wrong passphrase", "口令不正确"),
                ]:
                    await page.set_input_files("#identity-file", str(path))
                    await page.fill("#identity-passphrase", passphrase)
                    await page.evaluate("document.getElementById('reveal-message').className = ''")
                    await page.click("#decrypt-mine")
                    await page.wait_for_selector("#reveal-message.error", timeout=30000)
                    assert words in await page.inner_text("#reveal-message")
                    assert "未发送任何内容" in await page.inner_text("#reveal-message")
                    assert await page.get_attribute("#my-bid-state", "data-state") == "queued"
                assert capture.key_posts == []

                # Lot 1: the CLI-sealed bid revealed from its page, the browser-sealed one with the CLI.
                await page.set_input_files("#identity-file", str(protected))
                await page.fill("#identity-passphrase", IDENTITY_PASSPHRASE)
                await page.click("#decrypt-mine")
                await page.wait_for_selector("#my-bid-state[data-state=opened]", timeout=30000)
                assert "已解密" in await page.inner_text("#my-bid-state")
                assert await page.input_value("#identity-passphrase") == ""
                config = {who: tmp_path / f"client-{who}.json" for who in ("cli", "browser")}
                (tmp_path / "pw").write_text(PASSWORD)
                for who, bidder in (("cli", cli_bidder), ("browser", browser_bidder)):
                    await cli(
                        settings,
                        config[who],
                        "login",
                        "--server",
                        server.url,
                        "--username",
                        bidder.username,
                        "--password-file",
                        str(tmp_path / "pw"),
                    )
                out = await cli(
                    settings,
                    config["browser"],
                    "bid",
                    "decrypt",
                    "--tender",
                    CODE,
                    "--lot",
                    "1",
                    "--identity",
                    str(plain),
                )
                assert "opened" in out and PRICES["browser", "1"] in out
                # The CLI's reveal shows live on the company's own page: queued → decrypting → opened.
                await pages["browser", "1"].wait_for_selector(
                    "#my-bid-state[data-state=opened]", timeout=15000
                )

                # Lot 2, swapped: the CLI-sealed bid with the CLI, the browser-sealed one from its page.
                (tmp_path / "passphrase").write_text(IDENTITY_PASSPHRASE)
                out = await cli(
                    settings,
                    config["cli"],
                    "bid",
                    "decrypt",
                    "--tender",
                    CODE,
                    "--lot",
                    "2",
                    "--identity",
                    str(protected),
                    "--passphrase-file",
                    str(tmp_path / "passphrase"),
                )
                assert "opened" in out and PRICES["cli", "2"] in out
                await pages["cli", "2"].wait_for_selector("#my-bid-state[data-state=opened]", timeout=15000)
                page = pages["browser", "2"]
                await page.set_input_files("#identity-file", str(plain))
                await page.click("#decrypt-mine")
                await page.wait_for_selector("#my-bid-state[data-state=opened]", timeout=30000)

                # Lot 3: a browser-sealed bid above the ceiling is opened and rejected, with the reason.
                page = pages["browser", "3"]
                await page.set_input_files("#identity-file", str(plain))
                await page.click("#decrypt-mine")
                await page.wait_for_selector("#my-bid-state[data-state=rejected]", timeout=30000)
                assert await page.is_visible("#my-bid-reason")
                assert "超过最高投标限价" in await page.inner_text("#my-bid-reason")

                # Both bids opened in each lot's one opening, each with the price it was sealed with.
                for lot in ("1", "2"):
                    state = (await http.get(f"/api/tenders/{CODE}/lots/{lot}/opening")).json()
                    # Every bid of the lot is settled, so the window has closed early (#15): 唱标 follows.
                    assert state["phase"] == "confirming", state
                    assert state["counts"]["opened"] == 2, state
                    for page in (pages["cli", lot], pages["browser", lot]):
                        states = await page.evaluate("window.__states")
                        assert states[0] == "waiting" and states[-1] == "opened", states
                        assert states.index("queued") < states.index("opened"), states
                # The reveal by the CLI passed through "decrypting" on the page that watched it.
                assert "decrypting" in await pages["browser", "1"].evaluate("window.__states")

                # Exactly two keys were sent from the pages, each 16 bytes of hex, and nothing else secret.
                assert len(capture.key_posts) == 3
                for body in capture.key_posts:
                    assert body.startswith('{"file_key":"') and len(body) == len('{"file_key":""}') + 32, body
                secrets = [
                    cli_bidder.identity.to_str(),
                    browser_bidder.identity.to_str(),
                    IDENTITY_PASSPHRASE,
                    SECRET_FORM_TEXT,
                    *PRICES.values(),
                ]
                for line in capture.sent:
                    for secret in secrets:
                        assert secret not in line and secret.lower() not in line.lower(), (secret, line)
                assert any("/opening/header" in line for line in capture.sent)

                # In English, and replayed from the room log by a page opened afterwards.
                late = pages["browser", "3"]
                await late.goto(f"{server.url}/tenders/{CODE}/opening?lot=3&lang=en")
                await late.wait_for_selector("#my-bid-state[data-state=rejected]", timeout=15000)
                assert "Decrypt my bid" in await late.inner_text("#reveal-panel h2")
                assert await late.inner_text("#my-bid-state") == "Opened and rejected"
                assert "price above the ceiling price" in await late.inner_text("#my-bid-reason")
                assert await late.is_disabled("#decrypt-mine")
                await browser.close()
    finally:
        await runtime.close()
