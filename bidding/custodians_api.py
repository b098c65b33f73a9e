"""Custodians per tender (JSON): which user account holds which custody share.

    GET    /api/tenders/{code}/custodians            admin, supervisor, the tender's agent
    POST   /api/tenders/{code}/custodians            admin, the tender's agent: {"index": 1, "user_id": 7}
    DELETE /api/tenders/{code}/custodians?index=1    admin, the tender's agent

Changes are allowed while the tender takes bids (before the bid deadline); see bidding/custodians.py.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import delete, get, post
from litestar.params import JSONBody, QueryParameter

from bidding import custodians
from bidding.custodians import CustodyShare
from bidding.models import Tender
from bidding.params import TenderCodeParam
from bidding.views import TenderCode
from core.access import Caller, allow
from core.roles import Role
from core.runtime import Db, Rt

READERS = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)
ASSIGNERS = (Role.ADMIN, Role.AGENT)
ShareIndex = Annotated[int, msgspec.Meta(ge=1, le=255, description="the custody share's index (1..n)")]


class AssignBody(msgspec.Struct, kw_only=True):
    index: ShareIndex
    user_id: Annotated[int, msgspec.Meta(ge=1, description="a custodian's user account")]


class Custodians(msgspec.Struct, kw_only=True):
    """A tender's custody shares: ``threshold`` of them open the bids the bidders did not."""

    code: TenderCode
    threshold: int
    shares: list[CustodyShare]


def custodians_view(tender: Tender, shares: list[CustodyShare]) -> Custodians:
    return Custodians(
        code=tender.code, threshold=int((tender.custody or {}).get("threshold") or 0), shares=shares
    )


@get("/api/tenders/{code:str}/custodians", opt=allow(*READERS), tags=["bidding"])
async def list_custodians(db: Db, principal: Caller, code: TenderCodeParam) -> Custodians:
    """The tender's custody shares (密钥分片), each with the account assigned to it (or none)."""
    tender, shares = await custodians.list_custodians(db, principal, code)
    return custodians_view(tender, shares)


@post("/api/tenders/{code:str}/custodians", opt=allow(*ASSIGNERS), status_code=200, tags=["bidding"])
async def assign_custodian(
    runtime: Rt, db: Db, principal: Caller, code: TenderCodeParam, data: JSONBody[AssignBody]
) -> CustodyShare:
    """Assign a custodian account (密钥保管人) to one custody share, before the bid deadline.

    The account must hold the custodian role; at the opening it reveals that share
    (`POST /api/tenders/{code}/opening/shares`).
    """
    share = await custodians.assign_custodian(db, runtime, principal, code, data.index, data.user_id)
    return share


@delete("/api/tenders/{code:str}/custodians", opt=allow(*ASSIGNERS), status_code=200, tags=["bidding"])
async def unassign_custodian(
    runtime: Rt,
    db: Db,
    principal: Caller,
    code: TenderCodeParam,
    index: Annotated[int, QueryParameter(ge=1, le=255, description="the custody share's index (1..n)")],
) -> Custodians:
    """Release one custody share from its account, before the bid deadline; answers with all shares."""
    await custodians.unassign_custodian(db, runtime, principal, code, index)
    tender, shares = await custodians.list_custodians(db, principal, code)
    return custodians_view(tender, shares)


ROUTE_HANDLERS = [list_custodians, assign_custodian, unassign_custodian]
