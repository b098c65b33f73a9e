"""Both parties sign a contract the way they would: the winner in headless Chromium on the contract page
(web/static/contracts/sign.js: the identity file is read in the page, only the signature is sent), the
tenderer with ``sunbid contract sign`` on its machine. Both signatures are then checked with the
parties' registered keys, and the page's requests are searched for the identity.

Real ``sunbid serve`` process, real Chromium (its Content-Security-Policy watched), the CLI in-process."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from contracts.common import document_of
from contracts.models import Contract
from contracts.rules import Status, document_digest, signing_due, signing_message
from core.models import Organisation
from core.runtime import Runtime
from core.settings import Settings
from crypto.age import X25519Identity
from crypto.signing import public_key_from_text, public_key_to_text, signing_key_from_identity
from tests.bidding.helpers import make_world, published_tender
from tests.support.browser import CHROMIUM_ARGS
from tests.support.factories import PASSWORD
from tests.support.live import live_server, run_cli
from web.cli import main

pytestmark = pytest.mark.e2e


async def login(page: Any, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_url(f"{base}/")


async def pending_contract(runtime: Runtime, tender_code: str, tenderer: int, supplier: int) -> int:
    """A contract just opened from an award (the award itself is tests/contracts' business)."""
    now = datetime.now(UTC)
    async with runtime.transaction() as session:
        row = Contract(
            tender_code=tender_code, lot_number="1", tenderer_id=tenderer, supplier_id=supplier,
            candidate_rank=1, amount=Decimal("9876543.21"), terms="工期180日历天", publish_document=False,
            award_notice_id=0, awarded_at=now, due_at=signing_due(now), document={}, digest="",
            status=Status.PENDING, created_at=now,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        row.document = await document_of(session, row)
        row.digest = document_digest(row.document)
        return row.id


async def test_the_winner_signs_in_the_browser_and_the_tenderer_with_the_cli(
    tmp_path: Path, chromium: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.async_api import Request, async_playwright

    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    runtime = Runtime.build(settings)
    monkeypatch.setenv("SUNBID_CLIENT_CONFIG", str(tmp_path / "client.json"))
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    requests: list[Request] = []
    try:
        with live_server(settings, tmp_path) as server:
            async with async_playwright() as pw, httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                world = await make_world(runtime, http, bidders=1)
                tender = await published_tender(runtime, http, world)
                bidder = world.bidders[0]
                tenderer_identity = X25519Identity.generate()
                tenderer_key = public_key_to_text(signing_key_from_identity(tenderer_identity).public_key())
                async with runtime.transaction() as session:
                    await session.execute(
                        update(Organisation)
                        .where(Organisation.id == world.tenderer_org)
                        .values(signing_key=tenderer_key)
                    )
                contract_id = await pending_contract(
                    runtime, tender["code"], world.tenderer_org, bidder.org_id
                )
                (tmp_path / "bidder.key").write_text(f"# the winner's identity\n{bidder.identity.to_str()}\n")
                (tmp_path / "other.key").write_text(X25519Identity.generate().to_str() + "\n")
                (tmp_path / "tenderer.key").write_text(tenderer_identity.to_str() + "\n")

                browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = await browser.new_page()
                page.on("request", lambda request: requests.append(request))
                await login(page, server.url, bidder.username)
                await page.goto(f"{server.url}/contracts")
                assert "9,876,543.21 元" in await page.inner_text("#contracts")
                await page.goto(f"{server.url}/contracts/{contract_id}")
                assert "待签订" in await page.inner_text("#status")
                # another identity is refused in the page before anything is sent
                await page.set_input_files("#identity-file", str(tmp_path / "other.key"))
                await page.click("#sign-button")
                await page.wait_for_selector("#sign-status.error")
                assert "不同" in await page.inner_text("#sign-status")
                await page.set_input_files("#identity-file", str(tmp_path / "bidder.key"))
                await page.click("#sign-button")
                # the page reloads without the signing form: the supplier's side is signed
                await page.wait_for_selector("#sign-contract", state="detached")
                assert "未签署" in await page.inner_text("#signatures")  # the tenderer's side still open
                await browser.close()

                runner = CliRunner()

                def sunbid(*args: str) -> str:
                    result = runner.invoke(main, list(args), catch_exceptions=False)
                    assert result.exit_code == 0, result.output
                    return result.output

                sunbid("login", "--server", server.url, "--password-file", str(tmp_path / "pw"),
                       "--username", "tenderer1")  # fmt: skip
                assert f"#{contract_id}" in sunbid("contract", "list")
                out = sunbid(
                    "contract", "sign", str(contract_id), "--identity", str(tmp_path / "tenderer.key")
                )
                assert tenderer_key in out and "signed" in out.splitlines()[-1]
                public = (await http.get("/api/contracts/public")).json()
                assert [p["id"] for p in public] == [contract_id]
    finally:
        async with runtime.sessions() as session:
            row = await session.get(Contract, contract_id) if "contract_id" in locals() else None
        await runtime.close()
    assert row is not None and row.status == "signed"
    bidder_key = public_key_to_text(bidder.signing_key.public_key())
    for key_text, signature in ((bidder_key, row.supplier_signature), (tenderer_key, row.tenderer_signature)):
        assert signature is not None
        public_key_from_text(key_text).verify(base64.b64decode(signature), signing_message(row.digest))
    secret = tenderer_identity.to_str(), bidder.identity.to_str()
    for request in requests:
        sent = (request.post_data or "") + request.url
        assert not any(s in sent or s.lower() in sent for s in secret), request.url
