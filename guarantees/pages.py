"""guarantees' pages (no scripts): anyone verifies a guarantee number; supervisors follow the deposit
refunds due with their warning; a guarantor lists the guarantees it issued."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

import guarantees.i18n  # noqa: F401  (registers the page texts)
from core.access import PUBLIC, allow, current_principal, require_principal
from core.errors import NotFound
from core.rendering import page
from core.roles import Role
from core.runtime import Db, Rt
from core.types import AnyRequest
from guarantees import service


@get("/guarantees/verify", opt=PUBLIC, include_in_schema=False)
async def verify(request: AnyRequest, runtime: Rt, db: Db) -> Template:
    number = (request.query_params.get("number") or "").strip()[:32]
    found, missing = None, False
    if number:
        try:
            found = await service.public_guarantee(db, runtime, number, current_principal(request))
        except NotFound:
            missing = True
    return page(
        request, "guarantees/verify.html", status_code=404 if missing else 200, number=number, found=found,
        missing=missing,
    )  # fmt: skip


@get("/guarantees/refunds", opt=allow(Role.SUPERVISOR), include_in_schema=False)
async def refunds(request: AnyRequest, runtime: Rt, db: Db) -> Template:
    rows = await service.refund_obligations(db, runtime)
    return page(request, "guarantees/refunds.html", rows=rows)


@get("/guarantees/mine", opt=allow(Role.GUARANTOR), include_in_schema=False)
async def mine(request: AnyRequest, db: Db) -> Template:
    rows = await service.guarantees_of_guarantor(db, require_principal(request))
    return page(request, "guarantees/mine.html", rows=rows)


ROUTE_HANDLERS = [verify, refunds, mine]
