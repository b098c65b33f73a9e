"""Open data API (public): OCDS releases and records, and the change feed.

GET /api/ocds/releases?ocid=…          release package of one contracting process
GET /api/ocds/releases?cursor=…&limit=  release package of everything public, in feed order
                                        (``links.next`` continues; 204 when nothing new yet)
GET /api/ocds/records/{ocid}           record package with the compiled release
GET /api/feed?cursor=…&limit=          public changes, oldest first, by an opaque cursor
GET /api/statistics?format=json|csv    the trading statistics of the /statistics page
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Response, get
from litestar.params import FromPath, FromQuery, QueryParameter

from core.access import PUBLIC
from core.answers import CSV, also_answers, answers, nothing
from core.errors import DomainError
from core.i18n import language_of
from core.paging import Limit
from core.runtime import Db, Rt, Runtime
from core.types import AnyRequest
from publication import service, stats
from publication.config import OcdsConfig
from publication.packages import dumps
from publication.schemas import FeedPage, RecordPackage, ReleasePackage, TradingStatistics

JSON = "application/json"


def config_of(runtime: Runtime) -> OcdsConfig:
    return runtime.cache("publication.ocds_config", lambda: OcdsConfig.from_settings(runtime.settings))


def _json(data: Any, status_code: int = 200) -> Response[bytes]:
    # our own encoder: money is written as exact JSON numbers, as the OCDS schema wants
    return Response(dumps(data), media_type=JSON, status_code=status_code)


@get(
    "/api/ocds/releases",
    opt=PUBLIC,
    tags=["open data"],
    responses={
        **answers(ReleasePackage, description="an OCDS 1.1 release package; 204 when nothing new yet"),
        **nothing("nothing after the cursor yet: ask again later with the same cursor"),
    },
)
async def releases(
    runtime: Rt,
    db: Db,
    ocid: FromQuery[str | None] = None,
    cursor: FromQuery[str | None] = None,
    limit: Limit = 50,
) -> Response[bytes]:
    """OCDS 1.1 release package (开放合同数据): one process (``ocid``) or all public releases by ``cursor``.

    With ``ocid``: every release of that contracting process. Without: the public releases in feed
    order, ``limit`` at a time; follow ``links.next`` (its ``cursor``) for the next page; 204 when there
    is nothing after the cursor yet. ``ocid`` and ``cursor`` cannot be combined. Releases follow the
    official OCDS 1.1 release schema (../shared/ocds/release-schema.json); money is an exact number.
    """
    config = config_of(runtime)
    if ocid is not None:
        if cursor is not None:
            raise DomainError("ocid 与 cursor 只能二选一 (pass either ocid or cursor)", code="bad_query")
        return _json(await service.release_package_of(db, config, ocid))
    package = await service.release_page(db, runtime, config, cursor, limit)
    if package is None:
        return Response(b"", status_code=204)
    return _json(package)


@get(
    "/api/ocds/records/{ocid:str}",
    opt=PUBLIC,
    tags=["open data"],
    responses=answers(RecordPackage, description="an OCDS 1.1 record package"),
)
async def record(runtime: Rt, db: Db, ocid: FromPath[str]) -> Response[bytes]:
    """OCDS 1.1 record package for one contracting process, with its compiled release.

    The record holds every release of the process, oldest first, and ``compiledRelease``: the
    process's current state merged from them (OCDS merging rules).
    """
    return _json(await service.record_package_of(db, config_of(runtime), ocid))


@get("/api/feed", opt=PUBLIC, tags=["open data"])
async def feed(runtime: Rt, db: Db, cursor: FromQuery[str | None] = None, limit: Limit = 50) -> FeedPage:
    """Change feed (变更订阅): public notices in the order they became public.

    Oldest first; pass ``next`` back as ``cursor`` to continue. The newest few seconds
    (``holdback_seconds``) are held back so that a page never skips or repeats an item while new ones
    are being written.
    """
    return msgspec.convert(await service.feed_page(db, runtime, config_of(runtime), cursor, limit), FeedPage)


@get(
    "/api/statistics",
    opt=PUBLIC,
    tags=["open data"],
    responses=answers(TradingStatistics, description="the statistics as JSON (``format=json``)"),
    operation_class=also_answers(CSV, "``format=csv``: the same rows as CSV (UTF-8 with a byte-order mark)"),
)
async def statistics(
    request: AnyRequest,
    db: Db,
    output: Annotated[Literal["json", "csv"], QueryParameter(name="format")] = "json",
) -> Response[bytes]:
    """Trading statistics (交易统计): the /statistics page's figures.

    The total, and by month, category, region and tender: tenders, budgets, awards, savings and
    bidders per tender, each term defined in ``definitions``. ``format=csv`` answers a spreadsheet
    (text/csv) instead; labels are Chinese, or English with ``lang=en``.
    """
    figures, labels = await service.trading_statistics(db, language_of(request))
    if output == "csv":
        # a byte-order mark so that spreadsheet programs read the Chinese labels as UTF-8
        body = ("\ufeff" + stats.to_csv(figures, labels)).encode()
        return Response(
            body,
            media_type=CSV,
            headers={"Content-Disposition": 'attachment; filename="sunbid-statistics.csv"'},
        )
    return _json({"definitions": DEFINITIONS, **stats.to_json(figures, labels)})


DEFINITIONS = {
    "savings": "awarded_budget - award_amount, over awarded lots only",
    "savings_rate": "savings / awarded_budget (a fraction; null when awarded_budget is 0)",
    "avg_bidders": "distinct bidders in the opening records / tenders with an opening record",
    "guarantee_share": "bids secured by electronic guarantees / bids secured by guarantees or cash deposits "
    "(opened tenders only; null when neither)",
    "not_tied_up": "bond money secured by guarantees instead of cash deposits (opened tenders only)",
    "month": "the month (Asia/Shanghai) the tender notice was published",
    "avg_signing_days": "days from the award notice to both parties' signatures, over signed contracts "
    "(the law allows 30: Tendering Law Art. 46)",
    "currency": "CNY",
}


ROUTE_HANDLERS = [releases, record, feed, statistics]
