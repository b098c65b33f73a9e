"""Nothing non-public on any public portal page or in the statistics: not who sealed a bid before the
opening (organisation name, credit code), not the sealed price or bid form, not a draft tender, not
a credit deduction's evidence. A tender is published, a bid sealed and uploaded, a draft saved and a
deduction recorded; then every public page a visitor can reach is fetched and scanned."""

from __future__ import annotations

import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.runtime import Runtime
from tests.bidding.helpers import (
    SECRET_FORM_TEXT,
    make_world,
    published_tender,
    register_all,
    seal,
    tender_body,
    upload,
)
from tests.credit.helpers import setup as credit_setup

Client = AsyncTestClient[Litestar]
CODE, DRAFT = "JLZB-2026-001", "JLZB-2026-009"
DRAFT_TITLE = "绝密草稿-江南污水处理厂-ZZ9"
PRICE = "10987654.32"
EVIDENCE = "SECRET-EVIDENCE 证人笔录-QQ7"


async def test_no_public_page_shows_sealed_bidders_prices_drafts_or_evidence(
    runtime: Runtime, client: Client, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=2)
    await credit_setup(runtime)
    tender = await published_tender(runtime, client, world, CODE)
    await register_all(client, world, CODE)
    sealed = seal(tmp_path, tender, world.bidders[0], price=PRICE)
    assert (await upload(client, world.bidders[0], sealed)).status_code == 201
    draft = await client.post(
        "/api/tenders", json=tender_body(runtime, world, DRAFT, title=DRAFT_TITLE), headers=world.agent
    )
    assert draft.status_code == 201, draft.text
    deduction = await client.post(
        "/api/credit/deductions",
        json={
            "subject_kind": "bidder",
            "subject_key": world.bidders[1].code,
            "rule_code": "B01",
            "reason": "串通投标（公开事由）",
            "evidence": EVIDENCE,
        },
        headers=world.supervisor,
    )
    assert deduction.status_code == 201, deduction.text

    bidder = world.bidders[0]
    secrets = [
        bidder.code,  # who bid (credit code) before the opening
        "测试bidder10",  # its organisation name
        PRICE,
        "10,987,654.32",
        SECRET_FORM_TEXT,
        sealed.manifest.submission_id,
        world.bidders[1].code,  # registered for the tender (who signed up is not public either)
        "测试bidder11",
        DRAFT,
        DRAFT_TITLE,
        EVIDENCE,
    ]
    notices = (await client.get(f"/api/tenders/{CODE}")).json()["notices"]
    assert notices, "the tender notice is public"
    pages = [
        "/",
        "/tenders",
        f"/tenders/{CODE}",
        f"/tenders/{CODE}/history",
        f"/tenders/{CODE}/history?lang=en",
        f"/tenders/{CODE}/opening",
        "/notices",
        *[f"/notices/{n['id']}" for n in notices],
        "/awards",
        "/statistics",
        "/statistics?lang=en",
        "/api/statistics",
        "/api/statistics?format=csv",
        "/api/feed",
        f"/api/ocds/records/ocds-sunbid-{CODE}",
    ]
    seen = []
    for path in pages:
        response = await client.get(path, headers={"accept": "text/html"})
        assert response.status_code == 200, (path, response.status_code)
        for secret in secrets:
            assert secret not in response.text, f"{secret!r} leaked on {path}"
        seen.append(response.text)
    # the pages did show the public tender, and the statistics count it but not the draft
    assert all(CODE in text for text in seen[2:6])
    stats = (await client.get("/api/statistics")).json()
    assert stats["total"]["tenders"] == 1 and stats["total"]["opened_tenders"] == 0
    assert re.search(r'id="total-tenders"[^>]*>1<', seen[pages.index("/statistics")])
    for hidden in (f"/tenders/{DRAFT}/history", f"/tenders/{DRAFT}"):
        response = await client.get(hidden, headers={"accept": "text/html"})
        assert response.status_code == 404 and DRAFT_TITLE not in response.text
