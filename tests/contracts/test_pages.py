"""The contract pages on a real award: the winner refuses from its page, the agent awards to the next
candidate; the terms form refuses a bond above 10% with the reason and what was typed; both sign; the
milestone and evaluation forms; zh and en without codes; the public list; the nav."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from tests.contracts.world import CODE, awarded, sign


async def test_refuse_next_candidate_terms_sign_and_perform_from_the_pages(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    tenderer, agent = world.heads["tenderer1"], world.heads["agent1"]
    winner = world.heads[world.winner.username]
    mine = await client.get("/contracts", headers=winner)  # the job has not run: the owner opens it
    assert mine.status_code == 200 and "暂无合同" in mine.text and 'id="nav-contracts"' in mine.text
    opened = await client.post("/api/contracts", json={"tender": CODE, "lot": "1"}, headers=agent)
    assert opened.status_code == 200, opened.text
    first = opened.json()["id"]
    listing = await client.get("/contracts", headers=tenderer)
    assert "10,000,000.00 元" in listing.text and "tag w-green" in listing.text and "待签订" in listing.text

    page = await client.get(f"/contracts/{first}", headers=winner)
    assert 'id="sign-contract"' in page.text and 'id="draft-contract"' not in page.text
    assert 'src="/static/contracts/sign.js"' in page.text and "<script>" not in page.text
    refused = await client.post(
        f"/contracts/{first}/refuse",
        data={"reason": "材料价格大幅上涨"},
        headers=winner,
        follow_redirects=False,
    )
    assert refused.status_code == 303
    ended = await client.get(f"/contracts/{first}", headers=agent)
    assert "已拒签" in ended.text and "材料价格大幅上涨" in ended.text and 'id="next-step"' in ended.text
    nxt = await client.post(
        f"/contracts/{first}/next", data={"step": "next_candidate"}, headers=agent, follow_redirects=False
    )
    assert nxt.status_code == 303
    second = int(nxt.headers["location"].rsplit("/", 1)[1])
    assert second != first

    too_much = await client.post(
        f"/contracts/{second}/draft",
        headers=agent,
        data={"terms": "工期180日历天", "performance_bond": "99,999,999.00"},
    )
    assert too_much.status_code == 422 and "10%" in too_much.text and "工期180日历天" in too_much.text
    ok = await client.post(
        f"/contracts/{second}/draft",
        headers=agent,
        follow_redirects=False,
        data={"terms": "工期180日历天", "performance_bond": "50,000.00", "publish_document": "yes"},
    )
    assert ok.status_code == 303
    c = (await client.get(f"/api/contracts/{second}", headers=tenderer)).json()
    runner_up = next(b for b in world.bidders if b.code == c["supplier_code"])
    for key, heads in (
        (world.tenderer_key, tenderer),
        (runner_up.signing_key, world.heads[runner_up.username]),
    ):
        done = await client.post(
            f"/api/contracts/{second}/sign", json={"signature": sign(c["digest"], key)}, headers=heads
        )
        assert done.status_code == 200, done.text

    bad_day = await client.post(
        f"/contracts/{second}/milestones", data={"title": "进场", "due_on": "明天"}, headers=agent
    )
    assert bad_day.status_code == 422 and "not a date" in bad_day.text
    added = await client.post(
        f"/contracts/{second}/milestones",
        data={"title": "进场施工", "due_on": "2027-01-15"},
        headers=agent,
        follow_redirects=False,
    )
    assert added.status_code == 303
    signed = await client.get(f"/contracts/{second}", headers=agent)
    assert "进场施工" in signed.text and "已签订，履约中" in signed.text
    milestone = signed.text.split('data-milestone="', 1)[1].split('"', 1)[0]
    met = await client.post(
        f"/contracts/{second}/milestones/{milestone}/met", headers=agent, follow_redirects=False
    )
    assert met.status_code == 303
    rated = await client.post(
        f"/contracts/{second}/evaluation",
        data={"rating": "good", "comment": "按期完成"},
        headers=agent,
        follow_redirects=False,
    )
    assert rated.status_code == 303
    done_page = await client.get(f"/contracts/{second}", headers=tenderer)
    assert "良好" in done_page.text and "已完成" in done_page.text and 'id="evaluate"' not in done_page.text
    en = await client.get(f"/contracts/{second}?lang=en", headers=tenderer)
    assert "Performance evaluated" in en.text and "Good" in en.text
    shown = re.sub(r"<[^>]*>", " ", en.text)  # what a reader sees: no tags, no attributes
    assert "11,000,000.00 yuan" in shown and "元" not in shown
    for code in ("completed", "next_candidate", "good", "scheduled", "None"):
        assert code not in shown, code
    public = await client.get("/contracts/public?lang=zh", headers={})
    assert public.status_code == 200 and "进场施工" in public.text and "50,000.00 元" in public.text
    assert "工期180日历天" in public.text  # the document is published, as the terms said
