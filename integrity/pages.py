"""The supervisors' integrity pages: opened tenders with their flag counts, and one tender's flags."""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath
from litestar.response import Template

import integrity.i18n  # noqa: F401  (registers the page texts)
from bidding import service as bidding
from core.access import Caller
from core.rendering import page
from core.runtime import Db
from core.types import AnyRequest
from integrity import service
from integrity.api import SUPERVISORS


@get("/integrity", opt=SUPERVISORS, include_in_schema=False)
async def integrity_list(request: AnyRequest, principal: Caller, db: Db) -> Template:
    return page(request, "integrity/index.html", tenders=await service.flagged_tenders(db, principal))


@get("/integrity/tenders/{code:str}", opt=SUPERVISORS, include_in_schema=False)
async def integrity_tender(request: AnyRequest, principal: Caller, db: Db, code: FromPath[str]) -> Template:
    tender = await bidding.tender_by_code(db, code)
    reviews = await service.lot_reviews(db, principal, code)
    return page(request, "integrity/tender.html", tender=tender, reviews=reviews)


ROUTE_HANDLERS = [integrity_list, integrity_tender]
