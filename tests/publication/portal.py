"""A small public history for the portal pages, through the real services and API.

    JLZB-2026-001  construction, 220281, budget 12,000,000.00 (one lot)
                   opening record (3 bidders), candidates, award: lot 1 to bidder 0 at 11,000,000.00
    JLZB-2026-002  goods, 220202, budget 3,000,000.00: lot 1 2,000,000.00, lot 2 1,000,000.00
                   opening record (2 distinct bidders over both lots), award: lot 1 to bidder 0 at
                   1,800,000.00, lot 2 to bidder 1 at 990,000.00
    JLZB-2026-003  services, 220281, budget 500,000.00, published and amended, nothing else
    JLZB-2026-004  a draft (never public)

The opening, candidate and award notices carry the structured data evaluation will publish; until
evaluation publishes them itself they are published here with bidding's ``publish_notice``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bidding import service as bidding
from core.clock import local
from core.runtime import Runtime
from tests.bidding.helpers import World, make_world, published_tender, tender_body

A, B, C, DRAFT = "JLZB-2026-001", "JLZB-2026-002", "JLZB-2026-003", "JLZB-2026-004"
DRAFT_TITLE = "草稿项目-不应公开-QX7"


@dataclass
class Portal:
    world: World
    notices: dict[str, list[int]]  # tender code → notice ids in publication order
    months: tuple[str, str]  # the months (Beijing) A and then B, C were published


def party(world: World, i: int) -> dict[str, str]:
    return {"name": f"测试bidder{10 + i}", "credit_code": world.bidders[i].code}


async def publish(
    runtime: Runtime, code: str, kind: str, title: str, body: str, data: dict[str, Any] | None
) -> int:
    async with runtime.transaction() as session:
        tender = await bidding.tender_by_code(session, code)
        notice = await bidding.publish_notice(
            session, runtime, tender, bidding.NoticeKind(kind), title, body, data=data
        )
        return notice.id


async def _notice_ids(client: Any, code: str) -> list[int]:
    response = await client.get(f"/api/tenders/{code}")
    assert response.status_code == 200, response.text
    return [n["id"] for n in response.json().get("notices", [])]


async def build(
    runtime: Runtime, client: Any, advance: Callable[[timedelta], object] | None = None
) -> Portal:
    world = await make_world(runtime, client, bidders=3)
    first = local(runtime.clock.now()).strftime("%Y-%m")
    await published_tender(runtime, client, world, A)
    notices: dict[str, list[int]] = {A: [], B: [], C: []}
    opening_a = {
        "bids": [
            {"lot": "1", "bidder": party(world, 0), "status": "opened", "price": "11000000.00"},
            {"lot": "1", "bidder": party(world, 1), "status": "opened", "price": "11250000.00"},
            {"lot": "1", "bidder": party(world, 2), "status": "revoked", "price": None},
        ]
    }
    candidates_a = [
        {"lot": "1", "rank": 1, "bidder": party(world, 0), "price": "11000000.00"},
        {"lot": "1", "rank": 2, "bidder": party(world, 1), "price": "11250000.00"},
    ]
    notices[A].append(await publish(runtime, A, "opening_record", "北山公园 开标记录", "开标记录", opening_a))
    notices[A].append(
        await publish(
            runtime, A, "candidates", "北山公园 中标候选人公示", "公示期三日。", {"candidates": candidates_a}
        )
    )
    award_a = {
        "awards": [
            {
                "lot": "1",
                "bidder": party(world, 0),
                "price": "11000000.00",
                "date": runtime.clock.now().isoformat(),
            }
        ],
        "candidates": candidates_a[1:],
    }
    notices[A].append(await publish(runtime, A, "award", "北山公园 中标结果公告", "中标结果。", award_a))
    if advance is not None:
        advance(timedelta(days=40))
    second = local(runtime.clock.now()).strftime("%Y-%m")
    lots = [
        {"number": "1", "title": "一标段", "budget": "2000000.00", "ceiling_price": "1900000.00"},
        {"number": "2", "title": "二标段", "budget": "1000000.00", "ceiling_price": "950000.00"},
    ]
    await published_tender(
        runtime,
        client,
        world,
        B,
        title="吉林市第一中学教学设备采购",
        category="goods",
        region_code="220202",
        budget="3000000.00",
        ceiling_price="2850000.00",
        lots=lots,
    )
    opening_b = {
        "bids": [
            {"lot": "1", "bidder": party(world, 0), "status": "opened", "price": "1800000.00"},
            {"lot": "1", "bidder": party(world, 1), "status": "opened", "price": "1850000.00"},
            {"lot": "2", "bidder": party(world, 1), "status": "opened", "price": "990000.00"},
        ]
    }
    notices[B].append(await publish(runtime, B, "opening_record", "教学设备 开标记录", "开标记录", opening_b))
    award_b = {
        "awards": [
            {"lot": "1", "bidder": party(world, 0), "price": "1800000.00"},
            {"lot": "2", "bidder": party(world, 1), "price": "990000.00"},
        ]
    }
    notices[B].append(await publish(runtime, B, "award", "教学设备 中标结果公告", "中标结果。", award_b))
    await published_tender(
        runtime,
        client,
        world,
        C,
        title="桦甸市人民医院物业管理服务",
        category="services",
        budget="500000.00",
        ceiling_price="480000.00",
    )
    amended = await client.post(
        f"/api/tenders/{C}/amendments",
        json={"title": "物业服务 澄清公告", "body": "第三章服务标准修改为二级。"},
        headers=world.agent,
    )
    assert amended.status_code == 201, amended.text
    draft = await client.post(
        "/api/tenders", json=tender_body(runtime, world, DRAFT, title=DRAFT_TITLE), headers=world.agent
    )
    assert draft.status_code == 201, draft.text
    for code in (A, B, C):
        notices[code] = await _notice_ids(client, code)
    return Portal(world, notices, (first, second))
