"""The public portal's open-data pages: a tender's full public history, award announcements and the
trading statistics (with server-rendered SVG charts). Notices by type are bidding's /notices page.

GET /tenders/{code}/history   every public notice of a tender in time order, with its structured rows
GET /awards                   award announcements (category, region, month filters)
GET /statistics               trading statistics by month, category and region (+ /api/statistics)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from litestar import get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from markupsafe import Markup

import publication.i18n  # noqa: F401  (registers the page texts)
from bidding import service as bidding
from core.access import PUBLIC
from core.clock import SHANGHAI, format_local
from core.errors import InvalidInput
from core.i18n import language_of, translator
from core.rendering import page
from core.runtime import Db, Rt
from core.types import AnyRequest, Number
from publication import entries, service, sources, stats
from publication.api import config_of
from publication.chart import Series, bar_chart
from publication.ocds import NoticeFacts

PAGE_SIZE = 20
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
TEN_THOUSAND = Decimal(10000)


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _common(lang: str) -> dict[str, Any]:
    index = 0 if lang == "zh" else 1
    return {
        "fmt": format_local,
        "money": money,
        "percent": stats.percent,
        "categories": {k: v[index] for k, v in sources.category_names().items()},
    }


@dataclass(frozen=True)
class AwardLine:
    """One awarded lot, with its budget and the savings against it."""

    row: entries.AwardRow
    budget: Decimal | None

    @property
    def savings(self) -> Decimal | None:
        if self.budget is None or self.row.price is None:
            return None
        return self.budget - self.row.price

    @property
    def rate(self) -> Decimal | None:
        if self.savings is None or not self.budget:
            return None
        return (self.savings / self.budget).quantize(stats.RATE)


def _award_lines(
    payload: dict[str, Any] | None, budgets: dict[str, Decimal], total: Decimal
) -> list[AwardLine]:
    lines = []
    for row in entries.awards(payload):
        budget = budgets.get(row.lot)
        if budget is None and len(budgets) <= 1:  # an award naming no known lot of a one-lot tender
            budget = total
        lines.append(AwardLine(row, budget))
    return lines


@dataclass(frozen=True)
class HistoryItem:
    notice: NoticeFacts
    bids: list[entries.BidRow]
    candidates: list[entries.CandidateRow]
    awards: list[AwardLine]
    release_id: str

    @property
    def structured(self) -> bool:
        return bool(self.bids or self.candidates or self.awards)


@get("/tenders/{code:str}/history", opt=PUBLIC, include_in_schema=False)
async def history(request: AnyRequest, runtime: Rt, db: Db, code: FromPath[str]) -> Template:
    """The tender's full public history: every notice in time order, each with its OCDS record."""
    config = config_of(runtime)
    tender = await sources.public_tender(db, code)
    facts = await sources.tender_facts(db, tender)
    budgets = {lot.number: lot.budget for lot in facts.lots}
    ocid = config.ocid(tender.code)
    notices = sorted(await sources.tender_notices(db, tender), key=lambda n: (n.published_at, n.id))
    items = [
        HistoryItem(
            notice,
            entries.bids(notice.payload) if notice.kind == "opening_record" else [],
            entries.candidates(notice.payload) if notice.kind in ("candidates", "award") else [],
            _award_lines(notice.payload, budgets, tender.budget) if notice.kind == "award" else [],
            f"{ocid}-notice-{notice.id}",
        )
        for notice in notices
    ]
    lang = language_of(request)
    regions = await sources.region_names(db)
    region = regions.get(tender.region_code, (tender.region_code, tender.region_code))
    return page(
        request,
        "publication/history.html",
        tender=tender,
        facts=facts,
        region=region[0 if lang == "zh" else 1],
        ocid=ocid,
        items=items,
        attempts=await bidding.attempts(db, tender),  # the earlier and later attempts (a draft: never)
        **_common(lang),
    )


def month_range(month: str) -> tuple[datetime, datetime]:
    """ "2026-03" → the month's first instant and the next month's, in Beijing time."""
    found = MONTH.match(month)
    if found is None:
        raise InvalidInput("月份格式为 YYYY-MM (month must look like 2026-03)", code="bad_month")
    year, number = int(found[1]), int(found[2])
    start = datetime(year, number, 1, tzinfo=SHANGHAI)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


@dataclass(frozen=True)
class AwardNotice:
    notice_id: int
    title: str
    published_at: datetime
    tender_code: str
    tender_title: str
    winner: str  # the first winner's organisation name, for the table when there is no structure
    lines: list[AwardLine]


@get("/awards", opt=PUBLIC, include_in_schema=False)
async def awards(
    request: AnyRequest,
    db: Db,
    category: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    month: FromQuery[str | None] = None,
    offset: FromQuery[int] = 0,
) -> Template:
    """Award announcements (中标结果公告), newest first: winner, amount, budget and savings per lot."""
    since, until = month_range(month) if month else (None, None)
    offset = max(offset, 0)
    listed = await sources.award_notices(
        db,
        category=category or None,
        region=region or None,
        since=since,
        until=until,
        limit=PAGE_SIZE,
        offset=offset,
    )
    found = []
    for notice, tender in listed.rows:
        budgets = await sources.lot_budgets(db, tender)
        lines = _award_lines(sources.notice_facts(notice).payload, budgets, tender.budget)
        found.append(
            AwardNotice(
                notice.id,
                notice.title,
                notice.published_at,
                tender.code,
                tender.title,
                lines[0].row.bidder.name if lines else "",
                lines,
            )
        )
    lang = language_of(request)
    regions = await sources.region_names(db)
    return page(
        request,
        "publication/awards.html",
        rows=found,
        total=listed.total,
        offset=offset,
        page_size=PAGE_SIZE,
        category=category or "",
        region=region or "",
        month=month or "",
        regions={code: names[0 if lang == "zh" else 1] for code, names in regions.items()},
        **_common(lang),
    )


def _wan(value: Number) -> str:
    """Yuan → 万元 with two decimals, for chart labels."""
    return f"{Decimal(str(value)) / TEN_THOUSAND:,.2f}"


def _count(value: Number) -> str:
    return f"{int(value):,}"


def charts(result: stats.Statistics, labels: dict[str, dict[str, str]], t: Any) -> dict[str, Markup]:
    """The page's four charts (autoescaped SVG markup, see publication/chart.py)."""
    months = [f.key for f in result.by_month]
    cats = [labels["category"].get(f.key, f.key) for f in result.by_category]
    regions = [labels["region"].get(f.key, f.key) for f in result.by_region]
    budget, awarded = t("publication.series.budget"), t("publication.series.awards")
    return {
        "tenders_by_month": bar_chart(
            months,
            [Series(t("publication.series.tenders"), [f.tenders for f in result.by_month])],
            title=t("publication.chart.tenders_by_month"),
            fmt=_count,
        ),
        "amounts_by_month": bar_chart(
            months,
            [
                Series(budget, [f.budget for f in result.by_month]),
                Series(awarded, [f.award_amount for f in result.by_month]),
            ],
            title=t("publication.chart.amounts_by_month"),
            fmt=_wan,
        ),
        "amounts_by_category": bar_chart(
            cats,
            [
                Series(budget, [f.budget for f in result.by_category]),
                Series(awarded, [f.award_amount for f in result.by_category]),
            ],
            title=t("publication.chart.amounts_by_category"),
            fmt=_wan,
        ),
        "tenders_by_region": bar_chart(
            regions,
            [Series(t("publication.series.tenders"), [f.tenders for f in result.by_region])],
            title=t("publication.chart.tenders_by_region"),
            fmt=_count,
        ),
    }


@get("/statistics", opt=PUBLIC, include_in_schema=False)
async def statistics(request: AnyRequest, db: Db) -> Template:
    """Trading statistics as centres publish them, with charts and the figures to download."""
    lang = language_of(request)
    result, labels = await service.trading_statistics(db, lang)
    return page(
        request,
        "publication/statistics.html",
        stats=result,
        labels=labels,
        charts=charts(result, labels, translator(lang)),
        **_common(lang),
    )


ROUTE_HANDLERS = [history, awards, statistics]
