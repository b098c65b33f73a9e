"""The objection pages: the bidder files and follows its own; a refused form comes back with the reason
and what was typed; the agent's inbox shows the objector, the due time in Beijing time with its warning,
and answers; other bidders never see who objected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.models import Tender
from core.clock import ManualClock, as_utc, format_minute
from core.runtime import Runtime
from tests.disputes.world import CODE, bidding_tender
from tests.evaluation.world import api_headers

REASON = "资格条件要求的业绩与项目规模不相称"


async def test_file_follow_and_answer_from_the_pages(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path, bidders=2)
    objector, other = [await api_headers(runtime, b.username) for b in world.bidders]
    agent = await api_headers(runtime, "agent1")
    async with runtime.sessions() as session:
        deadline = as_utc(await session.scalar(select(Tender.bid_deadline).where(Tender.code == CODE)))
    clock.set(datetime(2026, 1, 10, 16, 30, tzinfo=UTC))  # 00:30 on 11 January in Beijing
    assert clock.now() < deadline - timedelta(days=10)

    page = await client.get(f"/objections?tender={CODE}", headers=objector)
    assert page.status_code == 200 and "提出异议" in page.text and f'value="{CODE}"' in page.text
    assert 'id="nav-objections"' in page.text and 'id="nav-objection-inbox"' not in page.text
    # a lot-less result objection is refused; the page says why and keeps the text
    refused = await client.post(
        "/objections", data={"tender": CODE, "kind": "result", "lot": "", "reason": REASON}, headers=objector
    )
    assert refused.status_code == 422 and "name the lot" in refused.text and REASON in refused.text
    filed = await client.post(
        "/objections", data={"tender": CODE, "kind": "documents", "reason": REASON},
        headers=objector, follow_redirects=False,
    )  # fmt: skip
    assert filed.status_code == 303, filed.text
    mine = await client.get("/objections", headers=objector)
    assert 'data-pending="yes"' in mine.text and "开标暂停" in mine.text
    # received on 11 January (Beijing): due at 24:00 on the 14th, shown as 15 January 00:00
    due = datetime(2026, 1, 14, 16, 0, tzinfo=UTC)
    assert format_minute(due) in mine.text and "2026-01-15 00:00" in format_minute(due)
    assert REASON not in (await client.get("/objections", headers=other)).text

    inbox = await client.get("/objections/inbox", headers=agent)
    assert inbox.status_code == 200 and 'id="nav-objection-inbox"' in inbox.text
    assert "测试bidder10" in inbox.text and "w-green" in inbox.text and format_minute(due) in inbox.text
    objection_id = inbox.text.split('data-objection="', 1)[1].split('"', 1)[0]
    empty = await client.post(f"/objections/{objection_id}/answer", data={"answer": " "}, headers=agent)
    assert empty.status_code == 422 and "1-2000" in empty.text
    answered = await client.post(
        f"/objections/{objection_id}/answer", data={"answer": "已修改"}, headers=agent, follow_redirects=False
    )
    assert answered.status_code == 303
    assert 'data-pending="no"' in (await client.get("/objections", headers=objector)).text
    en = await client.get("/objections/inbox?lang=en", headers=agent)
    assert "Objections to answer" in en.text and "Answered" in en.text
