"""The complaint pages: the bidder files and follows its complaints (a refused form comes back with the
reason and what was typed) and uploads evidence; the supervisor's case list shows the due time in
Beijing time with its warning, and the case page accepts, suspends and decides."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.clock import ManualClock, format_minute
from core.runtime import Runtime
from tests.disputes.world import CODE, bidding_tender
from tests.evaluation.world import api_headers

GROUNDS = "评标委员会未按招标文件规定的评标办法评审"


async def test_file_follow_and_decide_from_the_pages(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path, bidders=2)
    bidder, other = [await api_headers(runtime, b.username) for b in world.bidders]
    sup = await api_headers(runtime, "super1")
    # Monday 5 January 2026, 09:00 in Beijing: 3 working days → 24:00 on Thursday 8 January
    due = datetime(2026, 1, 8, 16, 0, tzinfo=UTC)

    page = await client.get(f"/complaints?tender={CODE}", headers=bidder)
    assert page.status_code == 200 and "提出投诉" in page.text and f'value="{CODE}"' in page.text
    assert 'id="nav-complaints"' in page.text and 'id="nav-complaint-cases"' not in page.text
    form = {"tender": CODE, "matter": "documents", "knew_on": "2026-01-05", "request": "重新评标",
            "grounds": GROUNDS}  # fmt: skip
    refused = await client.post("/complaints", data=form, headers=bidder)
    assert refused.status_code == 422 and "第二十二条" in refused.text and GROUNDS in refused.text
    assert 'value="2026-01-05"' in refused.text
    no_day = await client.post("/complaints", data={**form, "matter": "other", "knew_on": ""}, headers=bidder)
    assert no_day.status_code == 422 and "give the day you knew" in no_day.text
    filed = await client.post("/complaints", data={**form, "matter": "other"}, headers=bidder,
                              follow_redirects=False)  # fmt: skip
    assert filed.status_code == 303, filed.text
    mine = await client.get("/complaints", headers=bidder)
    assert 'data-status="received"' in mine.text and "待受理" in mine.text and format_minute(due) in mine.text
    assert GROUNDS not in (await client.get("/complaints", headers=other)).text
    complaint_id = mine.text.split('data-complaint="', 1)[1].split('"', 1)[0]
    uploaded = await client.post(
        f"/complaints/{complaint_id}/documents", files={"file": ("评分表.pdf", b"%PDF-1.4 scores")},
        headers=bidder, follow_redirects=False,
    )  # fmt: skip
    assert uploaded.status_code == 303, uploaded.text
    assert "评分表.pdf" in (await client.get("/complaints", headers=bidder)).text

    cases = await client.get("/complaints/cases", headers=sup)
    assert cases.status_code == 200 and 'id="nav-complaint-cases"' in cases.text
    assert "测试bidder10" in cases.text and "w-green" in cases.text and format_minute(due) in cases.text
    case = await client.get(f"/complaints/cases/{complaint_id}", headers=sup)
    assert case.status_code == 200 and GROUNDS in case.text and "评分表.pdf" in case.text
    unexplained = await client.post(f"/complaints/cases/{complaint_id}/acceptance", data={"accept": "no"},
                                    headers=sup)  # fmt: skip
    assert unexplained.status_code == 422 and "1-4000" in unexplained.text
    for action, data in (
        ("acceptance", {"accept": "yes", "reason": ""}),
        ("suspension", {"step": "award"}),
        ("decision", {"outcome": "dismissed", "remedy": "", "fault_kind": "", "reasons": "评审符合评标办法"}),
    ):
        done = await client.post(f"/complaints/cases/{complaint_id}/{action}", data=data, headers=sup,
                                 follow_redirects=False)  # fmt: skip
        assert done.status_code == 303, (action, done.text)
    final = await client.get(f"/complaints/cases/{complaint_id}", headers=sup)
    assert 'data-status="dismissed"' in final.text and "评审符合评标办法" in final.text
    assert 'id="decision"' not in final.text
    followed = await client.get("/complaints", headers=bidder)
    assert "驳回投诉" in followed.text and "评审符合评标办法" in followed.text
    # English pages carry no raw codes
    english = await client.get("/complaints?lang=en", headers=bidder)
    assert "Dismissed" in english.text and "dismissed<" not in english.text
