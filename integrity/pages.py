"""The supervisors' integrity pages: opened tenders with their flag counts (the most flagged first), and
one tender's flags, each with the evidence that raised it and the bidders it concerns — a shared sealing
device (E1) as the first 12 hex digits of its keyed fingerprint, never the device's description, and a
shared project manager (E3) by name with the last four characters of the ID number. In the demo, the
live opening's tender (demo/opening.py) shows the pair that sealed on one computer with one manager."""

from __future__ import annotations

from urllib.parse import quote

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

import integrity.i18n  # noqa: F401  (registers the page texts)
from bidding import service as bidding
from core.access import Caller
from core.errors import DomainError, InvalidInput
from core.rendering import page
from core.runtime import Db, Rt
from core.types import AnyRequest
from integrity import findings, service
from integrity.api import SUPERVISORS
from integrity.models import Decision


@get("/integrity", opt=SUPERVISORS, include_in_schema=False)
async def integrity_list(request: AnyRequest, db: Db) -> Template:
    return page(request, "integrity/index.html", tenders=await service.flagged_tenders(db))


@get("/integrity/market", opt=SUPERVISORS, include_in_schema=False)
async def integrity_market(request: AnyRequest, db: Db) -> Template:
    """Market indicators across tenders and time (M1–M4 and Cardinal's), each finding with its evidence."""
    return page(request, "integrity/market.html", rules=await findings.market_findings(db))


async def _tender_page(
    request: AnyRequest, db: Db, code: str, *, status_code: int = 200, **extra: object
) -> Template:
    tender = await bidding.tender_by_code(db, code)
    reviews = await service.lot_reviews(db, code)
    return page(
        request, "integrity/tender.html", status_code=status_code, tender=tender, reviews=reviews, **extra
    )


@get("/integrity/tenders/{code:str}", opt=SUPERVISORS, include_in_schema=False)
async def integrity_tender(
    request: AnyRequest, db: Db, code: FromPath[str], done: FromQuery[str | None] = None
) -> Template:
    return await _tender_page(request, db, code, done=done if done in ("dismissed", "referred") else None)


@post(
    "/integrity/tenders/{code:str}/lots/{lot:str}/flags/{rule:str}/decision",
    opt=SUPERVISORS,
    include_in_schema=False,
    status_code=303,
)
async def decide_submit(
    request: AnyRequest,
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[str],
    lot: FromPath[str],
    rule: FromPath[str],
) -> Redirect | Template:
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in ("decision", "reason", "group")}
    try:
        if typed["decision"] not in {d.value for d in Decision}:
            raise InvalidInput("请选择处理结果 (choose dismiss or refer)", code="decision_required")
        await service.decide(
            db,
            runtime,
            principal,
            code,
            lot,
            rule,
            Decision(typed["decision"]),
            typed["reason"],
            typed["group"],
        )
    except DomainError as exc:
        return await _tender_page(
            request,
            db,
            code,
            status_code=exc.status_code,
            error=exc.detail,
            typed={**typed, "lot": lot, "rule": rule},
        )
    return Redirect(f"/integrity/tenders/{quote(code)}?done={typed['decision']}", status_code=303)


ROUTE_HANDLERS = [integrity_list, integrity_market, integrity_tender, decide_submit]
