"""integrity's JSON API: the red flags of a tender's opened lots, for supervisors only."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get
from litestar.params import FromPath

from core.access import Caller, allow
from core.roles import Role
from core.runtime import Db
from integrity import service

SUPERVISORS = allow(Role.SUPERVISOR)


class FlagOut(msgspec.Struct, kw_only=True):
    code: Annotated[str, msgspec.Meta(description="the rule's code (P1-P5 prices, E1-E4 shared evidence)")]
    name_zh: str
    name_en: str
    basis: Annotated[str, msgspec.Meta(description="the article of law the rule follows")]
    why: Annotated[str, msgspec.Meta(description="when the rule raises a flag, threshold included")]
    threshold: float
    bidders: list[str]
    figures: list[str]
    measure: float | None


class LotOut(msgspec.Struct, kw_only=True):
    number: str
    title: str
    ceiling_price: str
    first_candidate: str | None
    bids: int
    flags: list[FlagOut]


def flag_out(flag: service.RaisedFlag) -> FlagOut:
    rule = flag.rule
    return FlagOut(
        code=rule.code,
        name_zh=rule.name_zh,
        name_en=rule.name_en,
        basis=rule.basis,
        why=rule.why,
        threshold=rule.threshold,
        bidders=list(flag.bidders),
        figures=list(flag.figures),
        measure=flag.measure,
    )


@get("/api/integrity/tenders/{code:str}", opt=SUPERVISORS, tags=["integrity"])
async def tender_flags(principal: Caller, db: Db, code: FromPath[str]) -> list[LotOut]:
    """The collusion red flags (围标串标预警) of each opened lot of a tender, supervisors only.

    Each flag names its rule, the article of law it follows, its threshold, the bidders concerned and
    the figures that raised it. Lots whose opening is not complete are left out; the cover-bidding flag
    (P4) appears once the committee has ranked the bids. A flag is a lead to check, not a finding.
    """
    return [
        LotOut(
            number=review.number,
            title=review.title,
            ceiling_price=str(review.ceiling),
            first_candidate=review.first_candidate,
            bids=len(review.bids),
            flags=[flag_out(flag) for flag in review.flags],
        )
        for review in await service.lot_reviews(db, principal, code)
    ]


ROUTE_HANDLERS = [tender_flags]
