"""Custodians per tender (JSON): which user account holds which custody share.

    GET    /api/tenders/{code}/custodians            admin, supervisor, the tender's agent
    POST   /api/tenders/{code}/custodians            admin, the tender's agent: {"index": 1, "user_id": 7}
    DELETE /api/tenders/{code}/custodians?index=1    admin, the tender's agent

Changes are allowed while the tender takes bids (before the bid deadline); see bidding/custodians.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from bidding import custodians
from bidding.custodians import CustodyShare
from bidding.models import Tender
from core.access import Caller, allow
from core.roles import Role
from core.runtime import Db, Rt

READERS = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)
ASSIGNERS = (Role.ADMIN, Role.AGENT)


@dataclass
class AssignBody:
    index: int
    user_id: int


def share_json(share: CustodyShare) -> dict[str, Any]:
    return {
        "index": share.index,
        "recipient": share.recipient,
        "user_id": share.user_id,
        "username": share.username,
        "display_name": share.display_name,
        "assigned_at": share.assigned_at.isoformat() if share.assigned_at else None,
    }


def custodians_json(tender: Tender, shares: list[CustodyShare]) -> dict[str, Any]:
    return {
        "code": tender.code,
        "threshold": int((tender.custody or {}).get("threshold") or 0),
        "shares": [share_json(s) for s in shares],
    }


@get("/api/tenders/{code:str}/custodians", opt=allow(*READERS), tags=["bidding"])
async def list_custodians(db: Db, principal: Caller, code: FromPath[str]) -> dict[str, Any]:
    """The tender's custody shares, each with the account assigned to it (or none)."""
    tender, shares = await custodians.list_custodians(db, principal, code)
    return custodians_json(tender, shares)


@post("/api/tenders/{code:str}/custodians", opt=allow(*ASSIGNERS), status_code=200, tags=["bidding"])
async def assign_custodian(
    runtime: Rt, db: Db, principal: Caller, code: FromPath[str], data: JSONBody[AssignBody]
) -> dict[str, Any]:
    """Assign a custodian account to one custody share (before the bid deadline)."""
    share = await custodians.assign_custodian(db, runtime, principal, code, data.index, data.user_id)
    return share_json(share)


@delete("/api/tenders/{code:str}/custodians", opt=allow(*ASSIGNERS), status_code=200, tags=["bidding"])
async def unassign_custodian(
    runtime: Rt, db: Db, principal: Caller, code: FromPath[str], index: FromQuery[int]
) -> dict[str, Any]:
    """Release one custody share from its account (before the bid deadline)."""
    await custodians.unassign_custodian(db, runtime, principal, code, index)
    tender, shares = await custodians.list_custodians(db, principal, code)
    return custodians_json(tender, shares)


ROUTE_HANDLERS = [list_custodians, assign_custodian, unassign_custodian]
