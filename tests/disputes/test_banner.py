"""The standing banner while a hold is in place: on the tender page and the opening hall (the opening
held by an objection to the documents) and in the evaluation room's award area (the award held by an
objection to the result), in words and with the answer's due time in Beijing time; gone once answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.models import Tender
from core.clock import ManualClock, as_utc, format_minute
from core.runtime import Runtime
from tests.disputes.world import CODE, bidding_tender, in_publicity
from tests.evaluation.world import api_headers

REASON = "资格条件要求的业绩与项目规模不相称"


def banner(html: str) -> str:
    """The banner's markup ("" when the page has none)."""
    if 'id="hold-banner"' not in html:
        return ""
    return html.split('id="hold-banner"', 1)[1].split("</div>", 1)[0]


async def test_the_tender_page_and_the_opening_hall_say_why_the_opening_waits_and_until_when(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path, bidders=2)
    objector = await api_headers(runtime, world.bidders[0].username)
    agent = await api_headers(runtime, "agent1")
    async with runtime.sessions() as session:
        deadline = as_utc(await session.scalar(select(Tender.bid_deadline).where(Tender.code == CODE)))
    clock.set(datetime(2026, 1, 10, 16, 30, tzinfo=UTC))  # 00:30 on 11 January in Beijing
    assert clock.now() < deadline - timedelta(days=10)
    for url in (f"/tenders/{CODE}", f"/tenders/{CODE}/opening?lot=1"):
        assert banner((await client.get(url)).text) == ""

    filed = await client.post(
        f"/api/tenders/{CODE}/objections", json={"kind": "documents", "reason": REASON}, headers=objector
    )
    assert filed.status_code == 201, filed.text
    due = format_minute(datetime(2026, 1, 14, 16, 0, tzinfo=UTC))  # 24:00 on the 14th, Beijing
    assert due == "2026-01-15 00:00"
    for url in (f"/tenders/{CODE}", f"/tenders/{CODE}/opening?lot=1"):
        zh = banner((await client.get(url + ("&" if "?" in url else "?") + "lang=zh")).text)  # logged out
        assert "开标暂停" in zh and "对招标文件提出异议" in zh and "答复期限" in zh and due in zh
        assert "（北京时间）" in zh and REASON not in zh and "测试bidder10" not in zh
        en = banner((await client.get(url + ("&" if "?" in url else "?") + "lang=en")).text)
        assert "The opening is suspended" in en and "objected to the tender documents" in en
        assert "Answer due <time" in en and due in en and "(Beijing time)" in en

    objection = filed.json()["id"]
    answered = await client.post(
        f"/api/objections/{objection}/answer", json={"answer": "已修改"}, headers=agent
    )
    assert answered.status_code == 200, answered.text
    for url in (f"/tenders/{CODE}", f"/tenders/{CODE}/opening?lot=1"):
        assert banner((await client.get(url)).text) == ""


async def test_the_evaluation_rooms_award_area_says_the_award_waits(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await in_publicity(runtime, client, clock, tmp_path)
    objector = await api_headers(runtime, ew.bidding.bidders[2].username)
    agent = await api_headers(runtime, "agent1")
    supervisor = await api_headers(runtime, "super1")
    room = f"/evaluations/{CODE}-1"
    assert banner((await client.get(room, headers=agent)).text) == ""
    filed = await client.post(
        f"/api/tenders/{CODE}/objections",
        json={"kind": "result", "lot": "1", "reason": "第一中标候选人的项目经理在其他项目任职"},
        headers=objector,
    )
    assert filed.status_code == 201, filed.text
    due = format_minute(filed.json()["answer_due"])
    host_page = (await client.get(room, headers=agent)).text
    host = banner(host_page)
    assert "定标暂停" in host and "标段 1" in host and "评标结果" in host and due in host
    assert host_page.index('id="host-tools"') < host_page.index('id="hold-banner"')  # in the award area
    assert due in banner((await client.get(room, headers=supervisor)).text)
    # the tender page shows the award hold too; the opening hall does not (its step is not held)
    assert "定标暂停" in banner((await client.get(f"/tenders/{CODE}?lang=zh")).text)
    assert banner((await client.get(f"/tenders/{CODE}/opening?lot=1")).text) == ""


async def test_a_complaint_suspension_says_why_without_the_complainant_and_when_the_decision_is_due(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path, bidders=2)
    complainant = await api_headers(runtime, world.bidders[0].username)
    sup = await api_headers(runtime, "super1")
    clock.set(datetime(2026, 1, 10, 16, 30, tzinfo=UTC))  # 00:30 on 11 January in Beijing
    body = {"tender": CODE, "matter": "other", "knew_on": "2026-01-10",
            "request": "责令招标人修改资格条件", "grounds": "业绩要求与项目规模不相称"}  # fmt: skip
    filed = await client.post("/api/complaints", json=body, headers=complainant)
    assert filed.status_code == 201, filed.text
    case = filed.json()
    url = f"/api/complaints/{case['id']}"
    held = await client.post(f"{url}/suspension", json={"step": "opening"}, headers=sup)
    assert held.status_code == 200, held.text
    accept_due = format_minute(case["accept_due"])
    for page in (f"/tenders/{CODE}", f"/tenders/{CODE}/opening?lot=1"):
        sep = "&" if "?" in page else "?"
        zh = banner((await client.get(page + sep + "lang=zh")).text)  # logged out: the public banner
        assert "开标暂停" in zh and f"投诉（第{case['id']}号）" in zh and "责令暂停" in zh
        assert "第六十二条" in zh and "决定是否受理前暂停" in zh
        assert "受理决定期限" in zh and accept_due in zh and "（北京时间）" in zh
        assert "测试bidder10" not in zh and "业绩要求" not in zh and "complaint" not in zh
        en = banner((await client.get(page + sep + "lang=en")).text)
        assert "The opening is suspended" in en and f"complaint no. {case['id']}" in en
        assert "Acceptance decision due <time" in en and accept_due in en and "(Beijing time)" in en

    accepted = await client.post(f"{url}/acceptance", json={"accept": True}, headers=sup)
    assert accepted.status_code == 200, accepted.text
    decide_due = format_minute(accepted.json()["decide_due"])
    assert decide_due != accept_due
    zh = banner((await client.get(f"/tenders/{CODE}?lang=zh")).text)
    assert "作出处理决定前暂停" in zh and "处理决定期限" in zh and decide_due in zh and accept_due not in zh
    en = banner((await client.get(f"/tenders/{CODE}?lang=en")).text)
    assert "until it decides the complaint" in en and "Decision due <time" in en and decide_due in en

    decided = await client.post(
        f"{url}/decision", json={"outcome": "dismissed", "reasons": "不属实"}, headers=sup
    )
    assert decided.status_code == 200, decided.text
    assert banner((await client.get(f"/tenders/{CODE}")).text) == ""
