"""contracts' HTTP API: the parties read and sign (or refuse) the contract after the award; the tender's
owner sets the terms and bond, chooses the next step after a refusal, and records the performance;
supervisors see every contract; the public sees the signed ones. Rules: contracts/rules.py."""

from __future__ import annotations

import msgspec
from litestar import get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from bidding.service import LotNumberText, TenderCode
from contracts import service
from contracts.service import (
    ContractOut,
    Draft,
    MilestoneIn,
    PerformanceIn,
    PublicContract,
    RefuseContract,
    SignContract,
)
from core.access import PUBLIC, Caller, allow
from core.roles import Role
from core.runtime import Db, Rt
from guarantees.service import GuaranteeOut, SignedPerformanceGuarantee

OWNERS = (Role.TENDERER, Role.AGENT)
PARTIES = (Role.TENDERER, Role.BIDDER)
READERS = (Role.TENDERER, Role.AGENT, Role.BIDDER, Role.SUPERVISOR)


class PerformanceGuarantee(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A performance guarantee signed by the guarantor's registered Ed25519 key, as
    ``crypto.signing.sign_statement`` writes it: the statement has ``type``
    ("sunbid.performance-guarantee.v1"), ``guarantor``, ``kind``, ``tender``, ``lot``, ``bidder`` (the
    contract's supplier), ``amount`` (≤ 10% of the contract amount), ``valid_until`` (≥ the last
    milestone's day) and ``reference``. The signature is checked over the canonical JSON of the statement
    as sent; a field more or less is refused before it."""

    document: SignedPerformanceGuarantee


class OpenContract(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    tender: TenderCode
    lot: LotNumberText


@get("/api/contracts", opt=allow(*READERS), tags=["contracts"])
async def list_contracts(runtime: Rt, principal: Caller, db: Db) -> list[ContractOut]:
    """The caller's contracts (as a party or the tender's owner; supervisors: all), pending first, with
    the signing clock's warning."""
    return await service.contracts_for(db, runtime, principal)


@post("/api/contracts", opt=allow(*OWNERS), status_code=200, tags=["contracts"])
async def open_contract(runtime: Rt, principal: Caller, db: Db, data: JSONBody[OpenContract]) -> ContractOut:
    """The contract of an awarded lot (opened from the award notice if the job has not yet)."""
    row = await service.open_contract(db, runtime, data.tender, data.lot)
    return await service.contract_of(db, runtime, principal, row.id)


@get("/api/contracts/public", opt=PUBLIC, tags=["contracts"])
async def public_contracts(runtime: Rt, db: Db, tender: FromQuery[str | None] = None) -> list[PublicContract]:
    """Signed contracts: amount, parties, dates, milestones (and the document where the tender says so)."""
    return await service.public_contracts(db, runtime, tender)


@get("/api/contracts/{contract_id:int}", opt=allow(*READERS), tags=["contracts"])
async def get_contract(runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int]) -> ContractOut:
    """One contract, with the digest and the message a party signs."""
    return await service.contract_of(db, runtime, principal, contract_id)


@put("/api/contracts/{contract_id:int}/draft", opt=allow(*OWNERS), tags=["contracts"])
async def draft_contract(
    runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: JSONBody[Draft]
) -> ContractOut:
    """Terms and performance bond (≤ 10% of the amount, 条例第五十八条) while nobody has signed."""
    return await service.draft(db, runtime, principal, contract_id, data)


@post(
    "/api/contracts/{contract_id:int}/performance-guarantee",
    opt=allow(Role.GUARANTOR),
    status_code=201,
    tags=["contracts"],
)
async def performance_guarantee(
    runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: JSONBody[PerformanceGuarantee]
) -> GuaranteeOut:
    """A guarantor secures the contract with a performance guarantee (条例第五十八条: ≤ 10% of the
    contract amount, valid until the performance ends); claims on it go through the guarantees API."""
    return await service.secure_performance(db, runtime, principal, contract_id, data.document)


@post("/api/contracts/{contract_id:int}/sign", opt=allow(*PARTIES), status_code=200, tags=["contracts"])
async def sign_contract(
    runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: JSONBody[SignContract]
) -> ContractOut:
    """The caller's side signs within 30 days of the award notice (招标投标法第四十六条)."""
    return await service.sign(db, runtime, principal, contract_id, data.signature)


@post("/api/contracts/{contract_id:int}/refuse", opt=allow(*PARTIES), status_code=200, tags=["contracts"])
async def refuse_contract(
    runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: JSONBody[RefuseContract]
) -> ContractOut:
    """The caller's side refuses to sign: B04 (winner) or T04 (tenderer) is raised."""
    return await service.refuse(db, runtime, principal, contract_id, data.reason)


@post(
    "/api/contracts/{contract_id:int}/next-candidate", opt=allow(*OWNERS), status_code=200, tags=["contracts"]
)
async def award_next_candidate(
    runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int]
) -> ContractOut:
    """After a refusal or a lapse: the next candidate in the committee's order (条例第五十五条)."""
    return await service.award_next(db, runtime, principal, contract_id)


@post("/api/contracts/{contract_id:int}/retender", opt=allow(*OWNERS), status_code=200, tags=["contracts"])
async def retender(runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int]) -> ContractOut:
    """After a refusal or a lapse: the lot is tendered again (条例第五十五条)."""
    return await service.retender(db, runtime, principal, contract_id)


@post("/api/contracts/{contract_id:int}/milestones", opt=allow(*OWNERS), status_code=200, tags=["contracts"])
async def add_milestone(
    runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: JSONBody[MilestoneIn]
) -> ContractOut:
    """A performance milestone (履约节点) of a signed contract."""
    return await service.add_milestone(db, runtime, principal, contract_id, data)


@post(
    "/api/contracts/{contract_id:int}/milestones/{milestone_id:int}/met",
    opt=allow(*OWNERS), status_code=200, tags=["contracts"],
)  # fmt: skip
async def milestone_met(
    runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], milestone_id: FromPath[int]
) -> ContractOut:
    """The milestone is met today."""
    return await service.milestone_met(db, runtime, principal, contract_id, milestone_id)


@post("/api/contracts/{contract_id:int}/evaluation", opt=allow(*OWNERS), status_code=200, tags=["contracts"])
async def evaluate_performance(
    runtime: Rt, principal: Caller, db: Db, contract_id: FromPath[int], data: JSONBody[PerformanceIn]
) -> ContractOut:
    """The final performance evaluation of the supplier; poor raises B10 against it."""
    return await service.evaluate_performance(db, runtime, principal, contract_id, data)


ROUTE_HANDLERS = [
    list_contracts,
    open_contract,
    public_contracts,
    get_contract,
    draft_contract,
    performance_guarantee,
    sign_contract,
    refuse_contract,
    award_next_candidate,
    retender,
    add_milestone,
    milestone_met,
    evaluate_performance,
]
