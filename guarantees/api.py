"""guarantees' HTTP API: guarantors issue electronic guarantees and answer claims; anyone verifies a
number; the trading centre records cash deposits and tracks their refunds; tenderers and agents claim.
Rules and secrecy: guarantees/service.py."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from litestar import Response, get, post
from litestar.params import FromPath, JSONBody

from core.access import PUBLIC, Caller, Viewer, allow
from core.roles import Role
from core.runtime import Db, Rt
from core.texts import MoneyDecimal, Text2000
from guarantees import service
from guarantees.rules import ClaimReason
from guarantees.service import (
    ClaimOut,
    DepositOut,
    GuaranteeOut,
    GuaranteePublic,
    NewDeposit,
    SignedGuarantee,
)

OWNERS = (Role.TENDERER, Role.AGENT)


class IssueGuarantee(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A guarantee signed by the guarantor's registered Ed25519 key: ``{"statement": {...}, "signature",
    "key_id"}`` as ``crypto.signing.sign_statement`` writes it. The statement has exactly ``type``
    ("sunbid.bid-guarantee.v1"), ``guarantor`` (its credit code), ``kind`` (guarantee_letter,
    guarantee_insurance, guarantor_letter), ``tender``, ``lot``, ``bidder`` (credit code), ``amount``
    (decimal string, ≤ 2% of the lot's estimated price), ``valid_until`` (ISO time, ≥ the end of the bid
    validity period) and ``reference`` (the guarantor's own reference). The signature is checked over the
    canonical JSON of the statement as sent; a field more or less is refused before it."""

    document: SignedGuarantee


class FileClaim(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A claim on a guarantee: ``refused_to_sign`` (Art. 74) or ``withdrew_after_deadline`` (Art. 35)."""

    reason: ClaimReason
    detail: Text2000


class AnswerClaim(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    accepted: bool
    answer: Text2000


class RefundDeposit(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The refund paid, with the bank's deposit interest for the period held (Art. 57)."""

    interest: MoneyDecimal = Decimal("0")


@post("/api/guarantees", opt=allow(Role.GUARANTOR), tags=["guarantees"])
async def issue_guarantee(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[IssueGuarantee]
) -> Response[GuaranteeOut]:
    """A guarantor registers a guarantee it signed; refused with the rule named when the amount exceeds
    2% of the lot's estimated price or it expires before the bid validity period ends (Art. 26)."""
    return Response(await service.issue_guarantee(db, runtime, principal, data.document), status_code=201)


@get("/api/guarantees/mine", opt=allow(Role.GUARANTOR), tags=["guarantees"])
async def my_guarantees(principal: Caller, db: Db) -> list[GuaranteeOut]:
    """The caller's own guarantees, newest first (a guarantor sees no other's)."""
    return await service.guarantees_of_guarantor(db, principal)


@get("/api/guarantees/{number:str}", opt=PUBLIC, tags=["guarantees"])
async def verify_guarantee(runtime: Rt, db: Db, viewer: Viewer, number: FromPath[str]) -> GuaranteePublic:
    """Anyone checks a number: before the opening of its lot is recorded only that it exists; after it,
    its status, the issuer, amount, validity and the tender, lot and bidder it secures. Its guarantor,
    its bidder and supervisors see all of it at any time."""
    return await service.public_guarantee(db, runtime, number, viewer)


@get(
    "/api/guarantees/{number:str}/document",
    opt=allow(Role.GUARANTOR, Role.BIDDER, Role.SUPERVISOR, *OWNERS),
    tags=["guarantees"],
)
async def guarantee_document(
    runtime: Rt, principal: Caller, db: Db, number: FromPath[str]
) -> Response[bytes]:
    """The signed document as issued (canonical JSON): its guarantor, its bidder, supervisors, and the
    tender's tenderer or agent after the deadline."""
    body = await service.guarantee_document(db, runtime, principal, number)
    return Response(body, media_type="application/json")


@post("/api/guarantees/{number:str}/claims", opt=allow(*OWNERS), tags=["guarantees"])
async def file_claim(
    runtime: Rt, principal: Caller, db: Db, number: FromPath[str], data: JSONBody[FileClaim]
) -> Response[ClaimOut]:
    """The tender's tenderer or agent claims on a guarantee after the deadline."""
    out = await service.file_claim(db, runtime, principal, number, data.reason, data.detail)
    return Response(out, status_code=201)


@get("/api/guarantee-claims", opt=allow(Role.GUARANTOR, Role.SUPERVISOR, *OWNERS), tags=["guarantees"])
async def list_claims(principal: Caller, db: Db) -> list[ClaimOut]:
    """Claims the caller answers (guarantor), filed (tenderer, agent) or oversees (supervisor)."""
    return await service.claims_for(db, principal)


@post("/api/guarantee-claims/{claim_id:int}/answer", opt=allow(Role.GUARANTOR), status_code=200,
      tags=["guarantees"])  # fmt: skip
async def answer_claim(
    runtime: Rt, principal: Caller, db: Db, claim_id: FromPath[int], data: JSONBody[AnswerClaim]
) -> ClaimOut:
    """The issuing guarantor pays the claim or refuses it with its reasons."""
    return await service.answer_claim(db, runtime, principal, claim_id, data.accepted, data.answer)


@post("/api/tenders/{code:str}/lots/{lot:str}/deposits", opt=allow(Role.SUPERVISOR), tags=["guarantees"])
async def record_deposit(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[str],
    lot: FromPath[str],
    data: JSONBody[NewDeposit],
) -> Response[DepositOut]:
    """The trading centre records a cash deposit received for a bidder's bid on a lot."""
    out = await service.record_deposit(db, runtime, principal, code, lot, data)
    return Response(out, status_code=201)


@get(
    "/api/tenders/{code:str}/lots/{lot:str}/deposits",
    opt=allow(Role.SUPERVISOR, *OWNERS),
    tags=["guarantees"],
)
async def lot_deposits(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], lot: FromPath[str]
) -> list[DepositOut]:
    """A lot's deposits; payer accounts for supervisors only; the tender's owners after the deadline."""
    return await service.deposits_of_lot(db, runtime, principal, code, lot)


@get("/api/deposits/refunds", opt=allow(Role.SUPERVISOR), tags=["guarantees"])
async def refund_obligations(runtime: Rt, db: Db) -> list[DepositOut]:
    """Every refund due (5 days after the contract is signed, Art. 57) with its warning, nearest first."""
    return await service.refund_obligations(db, runtime)


@post(
    "/api/deposits/{deposit_id:int}/refund", opt=allow(Role.SUPERVISOR), status_code=200, tags=["guarantees"]
)
async def refund_deposit(
    runtime: Rt, principal: Caller, db: Db, deposit_id: FromPath[int], data: JSONBody[RefundDeposit]
) -> DepositOut:
    """Record a deposit refunded with its interest (a late refund is logged as late)."""
    return await service.refund_deposit(db, runtime, principal, deposit_id, data.interest)


ROUTE_HANDLERS = [
    issue_guarantee,
    my_guarantees,
    verify_guarantee,
    guarantee_document,
    file_claim,
    list_claims,
    answer_claim,
    record_deposit,
    lot_deposits,
    refund_obligations,
    refund_deposit,
]
