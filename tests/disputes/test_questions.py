"""Questions (答疑) through the API and the pages: the clarification deadline at its boundary, the
anonymity of the asker (supervisors only), and the answer as one clarification notice whose 15-day rule
(bidding's amendment rule, reused) moves the deadline at 15 days − 1 minute and not at exactly 15 days."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding.models import Notice, Tender
from core.clock import ManualClock, as_utc, format_minute
from core.models import AuditEntry
from core.runtime import Runtime
from tests.bidding.helpers import make_world, published_tender
from tests.disputes.world import CODE, bidding_tender
from tests.evaluation.world import api_headers

MINUTE = timedelta(minutes=1)
ASKER = "测试bidder10"  # bidder0's company
Q1 = "第三章评分标准中“类似业绩”是否包含市政园林绿化工程？"
Q2 = "工程量清单第12项的计量单位是否有误？"


async def timeline(runtime: Runtime) -> tuple[Any, Any]:
    async with runtime.sessions() as session:
        row = (
            await session.execute(
                select(Tender.clarification_deadline, Tender.bid_deadline).where(Tender.code == CODE)
            )
        ).one()
    return as_utc(row[0]), as_utc(row[1])


async def test_questions_close_at_the_clarification_deadline_and_the_asker_stays_anonymous(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path)
    heads = {b.username: await api_headers(runtime, b.username) for b in world.bidders}
    for name in ("agent1", "tenderer1", "super1"):
        heads[name] = await api_headers(runtime, name)
    closes, _deadline = await timeline(runtime)
    url = f"/api/tenders/{CODE}/questions"

    clock.set(closes - MINUTE)  # the last allowed minute
    asked = await client.post(url, json={"question": Q1}, headers=heads["bidder0"])
    assert asked.status_code == 201, asked.text
    body = asked.json()
    assert body["pending"] and body["mine"] and body["asker"] is None
    assert body["closes_at"] == closes.isoformat().replace("+00:00", "Z") and "第二十一条" in body["basis"]
    clock.set(closes)  # the first refused
    late = await client.post(url, json={"question": Q2}, headers=heads["bidder1"])
    assert late.status_code == 409 and late.json()["error"] == "question_period_over", late.text
    empty = await client.post(url, json={"question": "  "}, headers=heads["bidder1"])
    assert (
        empty.status_code == 400 and empty.json()["error"] == "invalid_request"
    )  # the schema says not blank

    # a pending question: the owners and supervisors see it, other bidders do not; who asked only supervisors
    seen = {
        name: [q["asker"] for q in (await client.get(url, headers=h)).json()] for name, h in heads.items()
    }
    assert seen == {
        "bidder0": [None], "bidder1": [], "bidder2": [],
        "agent1": [None], "tenderer1": [None], "super1": [ASKER],
    }  # fmt: skip
    inbox = (await client.get("/api/questions/inbox", headers=heads["agent1"])).json()
    assert [(q["id"], q["asker"], q["mine"]) for q in inbox] == [(body["id"], None, False)]
    supervised = (await client.get("/api/questions/inbox", headers=heads["super1"])).json()
    assert [q["asker"] for q in supervised] == [ASKER]

    # answered: every registered bidder sees it (not who asked); the log never names the asker
    clarify = f"/api/tenders/{CODE}/clarifications"
    answer = {"answers": [{"question": body["id"], "answer": "包含。"}]}
    for name in ("bidder1", "super1"):
        assert (await client.post(clarify, json=answer, headers=heads[name])).status_code == 403
    done = await client.post(clarify, json=answer, headers=heads["tenderer1"])
    assert done.status_code == 201, done.text
    again = await client.post(clarify, json=answer, headers=heads["agent1"])
    assert again.status_code == 409 and again.json()["error"] == "already_answered"
    for name in ("bidder1", "bidder2"):
        mine = (await client.get("/api/questions/mine", headers=heads[name])).json()
        assert [(q["question"], q["answer"], q["mine"], q["asker"]) for q in mine] == [
            (Q1, "包含。", False, None)
        ]
    async with runtime.sessions() as session:
        entries = [
            json.loads(row.entry)
            for row in await session.scalars(select(AuditEntry).order_by(AuditEntry.position))
        ]
        notice = await session.get(Notice, done.json()["notice"])
    assert notice is not None and Q1 in notice.body and "包含。" in notice.body and ASKER not in notice.body
    ours = [e for e in entries if e["kind"] in ("question.asked", "clarification.issued")]
    assert [e["kind"] for e in ours] == ["question.asked", "clarification.issued"]
    assert ASKER not in json.dumps(ours, ensure_ascii=False) and ours[0]["actor"] is None


async def test_only_a_registered_bidder_asks(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=2)
    await published_tender(runtime, client, world)
    registered, outsider = world.bidders
    response = await client.post(f"/api/tenders/{CODE}/registration", headers=registered.headers)
    assert response.status_code == 201
    url = f"/api/tenders/{CODE}/questions"
    refused = await client.post(url, json={"question": Q1}, headers=outsider.headers)
    assert refused.status_code == 403 and refused.json()["error"] == "not_registered", refused.text
    assert (await client.post(url, json={"question": Q1}, headers=registered.headers)).status_code == 201


async def test_an_answer_15_days_less_a_minute_before_the_deadline_moves_it_and_at_15_days_not(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path)
    bidder = await api_headers(runtime, world.bidders[0].username)
    agent = await api_headers(runtime, "agent1")
    _closes, deadline = await timeline(runtime)
    ids = []
    for text in (Q1, Q2):
        asked = await client.post(f"/api/tenders/{CODE}/questions", json={"question": text}, headers=bidder)
        assert asked.status_code == 201, asked.text
        ids.append(asked.json()["id"])
    clarify = f"/api/tenders/{CODE}/clarifications"

    clock.set(deadline - timedelta(days=15) + MINUTE)  # 15 days less a minute remain: moved to now + 15 days
    moved = await client.post(
        clarify, json={"answers": [{"question": ids[0], "answer": "包含。"}]}, headers=agent
    )
    assert moved.status_code == 201, moved.text
    out = moved.json()
    new_deadline = deadline + MINUTE
    assert out["deadline_moved"] and out["bid_deadline"] == new_deadline.isoformat().replace("+00:00", "Z")
    assert (await timeline(runtime))[1] == new_deadline
    async with runtime.sessions() as session:
        notice = await session.get(Notice, out["notice"])
    assert notice is not None and notice.kind == "amendment"
    assert f"投标截止及开标时间调整为：{format_minute(new_deadline)}" in notice.body

    clock.set(new_deadline - timedelta(days=15))  # exactly 15 days remain: the deadline stays
    kept = await client.post(
        clarify, json={"answers": [{"question": ids[1], "answer": "应为m³。"}]}, headers=agent
    )
    assert kept.status_code == 201, kept.text
    assert not kept.json()["deadline_moved"] and (await timeline(runtime))[1] == new_deadline


async def test_ask_and_answer_from_the_pages(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path, bidders=2)
    asker, other = [await api_headers(runtime, b.username) for b in world.bidders]
    agent = await api_headers(runtime, "agent1")
    supervisor = await api_headers(runtime, "super1")
    closes, _deadline = await timeline(runtime)

    page = await client.get(f"/questions?tender={CODE}", headers=asker)
    assert page.status_code == 200 and "提出问题" in page.text and f'value="{CODE}"' in page.text
    assert 'id="nav-questions"' in page.text and 'id="nav-question-inbox"' not in page.text
    asked = await client.post(
        "/questions", data={"tender": CODE, "question": Q1}, headers=asker, follow_redirects=False
    )
    assert asked.status_code == 303, asked.text
    mine = await client.get("/questions", headers=asker)
    assert Q1 in mine.text and 'data-pending="yes"' in mine.text and format_minute(closes) in mine.text
    assert Q1 not in (await client.get("/questions", headers=other)).text
    clock.set(closes)
    refused = await client.post("/questions", data={"tender": CODE, "question": Q2}, headers=asker)
    assert refused.status_code == 422 and "提问已截止" in refused.text and Q2 in refused.text

    inbox = await client.get("/questions/inbox", headers=agent)
    assert inbox.status_code == 200 and Q1 in inbox.text and ASKER not in inbox.text
    assert ASKER in (await client.get("/questions/inbox", headers=supervisor)).text
    qid = inbox.text.split('data-question="', 1)[1].split('"', 1)[0]
    blank = await client.post(f"/questions/inbox/{CODE}/clarify", data={f"answer-{qid}": " "}, headers=agent)
    assert blank.status_code == 422 and "answer 1-50 questions" in blank.text
    sent = await client.post(
        f"/questions/inbox/{CODE}/clarify", data={f"answer-{qid}": "包含。", "title": ""},
        headers=agent, follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    answered = await client.get("/questions", headers=other)
    assert Q1 in answered.text and "包含。" in answered.text and 'href="/notices/' in answered.text
    en = await client.get("/questions/inbox?lang=en", headers=agent)
    assert "Questions to answer" in en.text and "Answered" in en.text
