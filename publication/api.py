"""Open data API (public): OCDS releases and records, and the change feed.

GET /api/ocds/releases?ocid=…          release package of one contracting process
GET /api/ocds/releases?cursor=…&limit=  release package of everything public, in feed order
                                        (``links.next`` continues; 204 when nothing new yet)
GET /api/ocds/records/{ocid}           record package with the compiled release
GET /api/feed?cursor=…&limit=          public changes, oldest first, by an opaque cursor
GET /api/statistics?format=json|csv    the trading statistics of the /statistics page
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get
from litestar.params import FromPath, FromQuery, QueryParameter

from core.access import PUBLIC
from core.errors import DomainError, InvalidInput
from core.i18n import language_of
from core.paging import Limit
from core.runtime import Db, Rt, Runtime
from core.types import AnyRequest
from publication import service, stats
from publication.config import OcdsConfig
from publication.packages import dumps

JSON = "application/json"


def config_of(runtime: Runtime) -> OcdsConfig:
    return runtime.cache("publication.ocds_config", lambda: OcdsConfig.from_settings(runtime.settings))


def _json(data: Any, status_code: int = 200) -> Response[bytes]:
    # our own encoder: money is written as exact JSON numbers, as the OCDS schema wants
    return Response(dumps(data), media_type=JSON, status_code=status_code)


@get("/api/ocds/releases", opt=PUBLIC, tags=["open data"])
async def releases(
    runtime: Rt,
    db: Db,
    ocid: FromQuery[str | None] = None,
    cursor: FromQuery[str | None] = None,
    limit: Limit = 50,
) -> Response[bytes]:
    """OCDS 1.1 release package: one process (``ocid``) or all public releases paged by ``cursor``."""
    config = config_of(runtime)
    if ocid is not None:
        if cursor is not None:
            raise DomainError("ocid 与 cursor 只能二选一 (pass either ocid or cursor)", code="bad_query")
        return _json(await service.release_package_of(db, config, ocid))
    package = await service.release_page(db, runtime, config, cursor, limit)
    if package is None:
        return Response(b"", status_code=204)
    return _json(package)


@get("/api/ocds/records/{ocid:str}", opt=PUBLIC, tags=["open data"])
async def record(runtime: Rt, db: Db, ocid: FromPath[str]) -> Response[bytes]:
    """OCDS 1.1 record package for one contracting process, with its compiled release."""
    return _json(await service.record_package_of(db, config_of(runtime), ocid))


@get("/api/feed", opt=PUBLIC, tags=["open data"])
async def feed(
    runtime: Rt, db: Db, cursor: FromQuery[str | None] = None, limit: Limit = 50
) -> dict[str, Any]:
    """Public changes, oldest first; pass ``next`` back as ``cursor``. The newest few seconds are
    held back so that a page never skips or repeats an item while new ones are being written."""
    return await service.feed_page(db, runtime, config_of(runtime), cursor, limit)


@get("/api/statistics", opt=PUBLIC, tags=["open data"])
async def statistics(
    request: AnyRequest,
    db: Db,
    output: Annotated[str, QueryParameter(name="format")] = "json",
) -> Response[bytes]:
    """Trading statistics (the /statistics page's figures): total, by month, category and region.
    ``format=csv`` for a spreadsheet; labels in Chinese, or English with ``lang=en``."""
    if output not in ("json", "csv"):
        raise InvalidInput("format 须为 json 或 csv (format must be json or csv)", code="bad_format")
    figures, labels = await service.trading_statistics(db, language_of(request))
    if output == "csv":
        # a byte-order mark so that spreadsheet programs read the Chinese labels as UTF-8
        body = ("\ufeff" + stats.to_csv(figures, labels)).encode()
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="sunbid-statistics.csv"'},
        )
    return _json({"definitions": DEFINITIONS, **stats.to_json(figures, labels)})


DEFINITIONS = {
    "savings": "awarded_budget - award_amount, over awarded lots only",
    "savings_rate": "savings / awarded_budget (a fraction; null when awarded_budget is 0)",
    "avg_bidders": "distinct bidders in the opening records / tenders with an opening record",
    "month": "the month (Asia/Shanghai) the tender notice was published",
    "currency": "CNY",
}


ROUTE_HANDLERS = [releases, record, feed, statistics]
