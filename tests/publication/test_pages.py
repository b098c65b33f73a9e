"""The portal pages through the real app: a tender's public history, award announcements, trading
statistics (page, CSV and JSON agree with figures computed by hand), zh and en, filters."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.clock import ManualClock
from core.runtime import Runtime
from tests.publication.portal import DRAFT, DRAFT_TITLE, A, B, C, build

Client = AsyncTestClient[Litestar]
HTML = {"accept": "text/html"}


async def html(client: Client, path: str, **params: str) -> str:
    response = await client.get(path, params=params, headers=HTML)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert found, element_id
    return found.group(1).strip()


async def test_tender_history_in_time_order_with_links_and_tables(
    runtime: Runtime, client: Client, clock: ManualClock
) -> None:
    portal = await build(runtime, client, clock.advance)
    page = await html(client, f"/tenders/{A}/history")
    assert "项目全过程公开信息" in page and "北山公园" in page
    kinds = re.findall(r'class="event" id="notice-(\d+)" data-kind="([a-z_]+)"', page)
    assert [k for _n, k in kinds] == ["tender", "opening_record", "candidates", "award"]
    assert [int(n) for n, _k in kinds] == portal.notices[A]
    for notice_id in portal.notices[A]:
        assert f'href="/notices/{notice_id}"' in page
        assert f'title="ocds-sunbid-{A}-notice-{notice_id}"' in page
    assert page.count(f'href="/api/ocds/records/ocds-sunbid-{A}"') == 1 + 4
    # the opening record's table: names, outcomes, and a price only for the bids that were opened
    opening = page.split('data-kind="opening_record"')[1].split('class="event"')[0]
    assert "测试bidder10" in opening and "11,000,000.00" in opening and "11,250,000.00" in opening
    assert "视为撤销" in opening and opening.count("—") == 1
    award = page.split('data-kind="award"')[1]
    assert "11,000,000.00" in award and "1,000,000.00" in award and "8.33%" in award
    # the record it links to exists
    assert (await client.get(f"/api/ocds/records/ocds-sunbid-{A}")).status_code == 200
    english = await html(client, f"/tenders/{A}/history", lang="en")
    assert "Public history of the tender" in english and "Award announcement" in english
    assert "Opened" in english and "Revoked" in english
    # the tender page and each notice link here; a draft has no public history
    assert f'href="/tenders/{A}/history"' in await html(client, f"/tenders/{A}")
    assert f'href="/tenders/{A}/history"' in await html(client, f"/notices/{portal.notices[A][-1]}")
    missing = await client.get(f"/tenders/{DRAFT}/history", headers=HTML)
    assert missing.status_code == 404 and DRAFT_TITLE not in missing.text
    assert (await client.get("/tenders/NOPE-0000/history", headers=HTML)).status_code == 404
    amended = await html(client, f"/tenders/{C}/history", lang="zh")  # (the en cookie is set)
    assert re.findall(r'data-kind="([a-z_]+)"', amended) == ["tender", "amendment"]
    assert "第三章服务标准修改为二级。" in amended and "变更公告" in amended
    lots = await html(client, f"/tenders/{B}/history")
    assert "一标段" in lots and "二标段" in lots and "990,000.00" in lots and "1.00%" in lots


def award_rows(page: str) -> list[tuple[str, str, str]]:
    """(notice id, winner, amount) per awarded lot row."""
    rows = re.findall(
        r'class="award-row" data-notice="(\d+)">.*?class="winner">([^<]*)</td>'
        r'<td class="num amount">([^<]*)<',
        page,
        re.S,
    )
    return [(n, w, a) for n, w, a in rows]


async def test_award_announcements_and_their_filters(
    runtime: Runtime, client: Client, clock: ManualClock
) -> None:
    portal = await build(runtime, client, clock.advance)
    award_a, award_b = str(portal.notices[A][-1]), str(portal.notices[B][-1])
    page = await html(client, "/awards")
    assert "中标结果公告" in page
    assert award_rows(page) == [
        (award_b, "测试bidder10", "1,800,000.00"),
        (award_b, "测试bidder11", "990,000.00"),
        (award_a, "测试bidder10", "11,000,000.00"),
    ]
    assert f'href="/tenders/{A}/history"' in page and f'href="/notices/{award_a}"' in page
    assert "2,000,000.00" in page and "200,000.00" in page and "(10.00%)" in page  # lot 1 of B
    assert "1,000,000.00" in page and "(8.33%)" in page  # A
    assert text_of(page, "award-total").startswith("2")
    only = {
        "category=goods": [award_b],
        "category=construction": [award_a],
        "region=220281": [award_a],
        "region=220202": [award_b],
        f"month={portal.months[0]}": [award_a],
        f"month={portal.months[1]}": [award_b],
        "month=2020-01": [],
        "category=goods&region=220281": [],
    }
    for query, expected in only.items():
        params = dict(part.split("=") for part in query.split("&"))
        found = award_rows(await html(client, "/awards", **params))
        assert sorted({n for n, _w, _a in found}) == sorted(expected), query
    bad = await client.get("/awards", params={"month": "2026-13"}, headers=HTML)
    assert bad.status_code == 422
    english = await html(client, "/awards", lang="en")
    assert "Award announcements" in english and "Winner" in english


# Hand-computed from tests/publication/portal.py (A in the first month, B and C 40 days later):
# budgets 12,000,000 + 3,000,000 + 500,000 = 15,500,000; awards 11,000,000 + 1,800,000 + 990,000
# = 13,790,000 over an awarded budget of 12,000,000 + 3,000,000 = 15,000,000, so savings 1,210,000
# and a rate of 0.0807 (C has no award and does not count); bidders (3 + 2) / 2 = 2.50.
def expected(months: tuple[str, str]) -> dict[tuple[str, str], tuple[Any, ...]]:
    # (dimension, key) → tenders, budget, awarded, award amount, savings, savings rate, avg bidders
    return {
        ("total", "total"): (3, "15500000.00", 2, "13790000.00", "1210000.00", "0.0807", "2.50"),
        ("month", months[0]): (1, "12000000.00", 1, "11000000.00", "1000000.00", "0.0833", "3.00"),
        ("month", months[1]): (2, "3500000.00", 1, "2790000.00", "210000.00", "0.0700", "2.00"),
        ("category", "construction"): (1, "12000000.00", 1, "11000000.00", "1000000.00", "0.0833", "3.00"),
        ("category", "goods"): (1, "3000000.00", 1, "2790000.00", "210000.00", "0.0700", "2.00"),
        ("category", "services"): (1, "500000.00", 0, "0.00", "0.00", None, None),
        ("region", "220202"): (1, "3000000.00", 1, "2790000.00", "210000.00", "0.0700", "2.00"),
        ("region", "220281"): (2, "12500000.00", 1, "11000000.00", "1000000.00", "0.0833", "3.00"),
        # each tender's own row: its savings rate is readable by itself
        ("tender", "JLZB-2026-001"): (1, "12000000.00", 1, "11000000.00", "1000000.00", "0.0833", "3.00"),
        ("tender", "JLZB-2026-002"): (1, "3000000.00", 1, "2790000.00", "210000.00", "0.0700", "2.00"),
        ("tender", "JLZB-2026-003"): (1, "500000.00", 0, "0.00", "0.00", None, None),
    }


def _num(value: Any) -> str | None:
    return None if value in (None, "") else str(Decimal(str(value)).quantize(Decimal("0.0001")))


def _same(got: tuple[Any, ...], want: tuple[Any, ...]) -> None:
    assert got[0] == want[0] and got[2] == want[2]
    assert [_num(v) for v in got[1:2] + got[3:]] == [_num(v) for v in want[1:2] + want[3:]]


async def test_statistics_page_csv_and_json_match_the_hand_computed_figures(
    runtime: Runtime, client: Client, clock: ManualClock
) -> None:
    portal = await build(runtime, client, clock.advance)
    want = expected(portal.months)
    data = (await client.get("/api/statistics")).json()
    got = {("total", "total"): data["total"]}
    for dimension in ("month", "category", "region", "tender"):
        got.update({(dimension, row["key"]): row for row in data[f"by_{dimension}"]})
    assert set(got) == set(want)
    fields = ("tenders", "budget", "awarded_tenders", "award_amount", "savings", "savings_rate")
    fields += ("avg_bidders",)
    for key, row in got.items():
        _same(tuple(row[f] for f in fields), want[key])
    assert data["by_category"][0]["label"] == "工程建设" and data["definitions"]["currency"] == "CNY"
    assert [r["key"] for r in data["by_month"]] == list(portal.months)

    response = await client.get("/api/statistics", params={"format": "csv", "lang": "en"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {(r["dimension"], r["key"]) for r in rows} == set(want)
    for r in rows:
        _same(tuple(int(r[f]) if f in ("tenders", "awarded_tenders") else r[f] for f in fields),
              want[(r["dimension"], r["key"])])  # fmt: skip
    assert next(r for r in rows if r["key"] == "goods")["label"] == "Goods"
    xml = await client.get("/api/statistics", params={"format": "xml"})  # the schema names json and csv
    assert xml.status_code == 400 and "xml" in xml.json()["detail"]

    page = await html(client, "/statistics")
    assert text_of(page, "total-tenders") == "3"
    assert text_of(page, "total-budget") == "15,500,000.00"
    assert text_of(page, "total-awards") == "13,790,000.00"
    assert text_of(page, "total-savings") == "1,210,000.00"
    assert text_of(page, "total-rate") == "8.07%"
    assert text_of(page, "total-bidders") == "2.50"
    assert page.count("<svg") == 4 and "<script" not in page
    assert 'data-label="工程建设"' in page and 'data-label="货物"' in page
    services = re.search(r'data-key="services">(.*?)</tr>', page, re.S)
    assert services and services.group(1).count("—") == 3  # no rate, no bidders, no bonds
    assert 'href="/api/statistics?format=csv&amp;lang=zh"' in page
    # the awarded tenders' own rows, named by title and linked to the tender
    tender_b = re.search(r'data-key="JLZB-2026-002">(.*?)</tr>', page, re.S)
    assert tender_b and 'href="/tenders/JLZB-2026-002"' in tender_b.group(1)
    assert "7.00%" in tender_b.group(1) and "2,790,000.00" in tender_b.group(1)
    assert 'data-key="JLZB-2026-003"' not in page.split('id="by-tender"')[1]  # no award: no rate to show
    assert next(r for r in data["by_tender"] if r["key"] == "JLZB-2026-002")["label"] != "JLZB-2026-002"
    english = await html(client, "/statistics", lang="en")
    assert "Trading statistics" in english and "Savings rate" in english and 'data-label="Goods"' in english
    # the portal navigation links both pages
    home = await html(client, "/")
    assert 'href="/awards"' in home and 'href="/statistics"' in home


async def test_empty_portal_pages_render(runtime: Runtime, client: Client) -> None:
    from tests.support.factories import seed_regions

    await seed_regions(runtime)
    page = await html(client, "/statistics")
    assert text_of(page, "total-tenders") == "0" and text_of(page, "total-rate") == "—"
    assert "暂无" in await html(client, "/awards")
    data = (await client.get("/api/statistics")).json()
    assert data["total"]["tenders"] == 0 and data["total"]["savings_rate"] is None
