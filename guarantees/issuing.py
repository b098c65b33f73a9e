"""Issuing guarantees (the guarantor signs, the platform checks and numbers) and verifying them at opening."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core.accounts import Principal
from core.audit import seal
from core.bond_port import BondCheck
from core.clock import as_utc, to_centre
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.models import Organisation
from core.organisations import OrgKind, find_by_credit_code, get_organisation
from core.roles import Role
from core.runtime import Runtime
from crypto.signing import (
    SignedStatement,
    SigningError,
    canonical_json,
    public_key_from_text,
    verify_statement,
)
from guarantees import rules
from guarantees.common import (
    GUARANTEE_FORMS,
    NUMBER_ATTEMPTS,
    STATUS_WORDS,
    VALID,
    bad,
    by_number,
    guarantee_out,
    guarantor_of,
    lot_of,
    new_number,
    org_name,
    parse_statement,
)
from guarantees.events import (
    GUARANTEE_ISSUED,
)
from guarantees.models import Deposit, Guarantee
from guarantees.rules import GUARANTEE_TYPE, KINDS, RuleBroken
from guarantees.views import GuaranteeOut, GuaranteePublic, SignedGuarantee, SignedPerformanceGuarantee

# --- issuing --------------------------------------------------------------------------------------


async def issue_guarantee(
    session: AsyncSession, runtime: Runtime, principal: Principal, document: SignedGuarantee
) -> GuaranteeOut:
    """A guarantor posts a guarantee it signed; the platform checks it, numbers it and keeps it."""
    org, signed, fields = await signed_by_guarantor(session, principal, document, GUARANTEE_TYPE)
    tender = await bidding.tender_by_code(session, fields["tender"])
    lot = await lot_of(session, tender, fields["lot"])
    now = runtime.clock.now()
    if tender.state not in (bidding.State.PUBLISHED, bidding.State.BIDDING) or now >= as_utc(
        tender.bid_deadline
    ):
        raise Conflict("投标已截止，不能再出具投标保函 (the bid deadline has passed)", code="deadline_passed")
    bidder = await find_by_credit_code(session, fields["bidder"])
    if bidder is None or bidder.kind != OrgKind.BIDDER:
        raise bad(f"投标人 {fields['bidder']} 未登记 (no such bidder)", "unknown_bidder")
    try:
        rules.check_amount(fields["amount"], lot.budget)
        rules.check_validity(fields["valid_until"], as_utc(tender.bid_deadline), tender.criteria)
    except RuleBroken as broken:
        raise InvalidInput(broken.detail, code=broken.rule.code) from None
    return await register_guarantee(
        session, runtime, principal, org, signed, fields, tender.code, lot.number, bidder, rules.BID
    )


async def signed_by_guarantor(
    session: AsyncSession,
    principal: Principal,
    document: SignedGuarantee | SignedPerformanceGuarantee,
    expected_type: str,
) -> tuple[Organisation, SignedStatement, dict[str, Any]]:
    """The caller's guarantor organisation, the document verified with its registered key, its fields.

    The signature is checked over the canonical JSON of the statement exactly as sent: the typed
    document holds only text (and no field the sender left out), so its builtins are the sent object."""
    org = await get_organisation(session, guarantor_of(principal))
    if org.kind != OrgKind.GUARANTOR:
        raise PermissionDenied(
            "只有担保机构可以出具保函 (only a guarantor issues guarantees)", code="not_guarantor"
        )
    if not org.signing_key:
        raise Conflict("请先登记签名公钥 (register the guarantor's signing key first)", code="no_signing_key")
    try:
        signed = SignedStatement.from_dict(msgspec.to_builtins(document))
        statement = verify_statement(
            signed, public_key_from_text(org.signing_key), expected_type=expected_type
        )
    except SigningError as error:
        raise bad(
            f"保函签名无效 (the guarantee's signature does not verify: {error})", "bad_signature"
        ) from None
    fields = parse_statement(statement, expected_type)
    if fields["guarantor"] != org.credit_code:
        raise bad("保函的出具机构不是本单位 (the statement names another guarantor)", "wrong_guarantor")
    return org, signed, fields


async def register_guarantee(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    org: Organisation,
    signed: SignedStatement,
    fields: Mapping[str, Any],
    tender_code: str,
    lot_number: str,
    bidder: Organisation,
    purpose: str,
) -> GuaranteeOut:
    """Number, keep and log a guarantee whose rules were checked (one per bidder, lot and purpose)."""
    now = runtime.clock.now()
    text = signed.to_json()
    sha = hashlib.sha256(text).hexdigest()
    if await session.scalar(select(Guarantee.id).where(Guarantee.document_sha256 == sha)) is not None:
        raise Conflict(
            "该保函文件已登记，不能重复使用 (this guarantee document is already registered)",
            code="guarantee_reused",
        )
    taken = await session.scalar(
        select(Guarantee.number).where(
            Guarantee.tender_code == tender_code,
            Guarantee.lot_number == lot_number,
            Guarantee.bidder_id == bidder.id,
            Guarantee.purpose == purpose,
        )
    )
    if taken is not None:
        what = "投标" if purpose == rules.BID else "合同"
        raise Conflict(
            f"该投标人本标段的{what}已有保函 {taken} (already secured by {taken})", code="already_secured"
        )
    salt = secrets.token_bytes(16)
    row = Guarantee(
        number=await _free_number(session, to_centre(now).year),
        guarantor_id=org.id,
        kind=fields["kind"],
        purpose=purpose,
        tender_code=tender_code,
        lot_number=lot_number,
        bidder_id=bidder.id,
        amount=fields["amount"],
        valid_until=fields["valid_until"],
        signing_key=org.signing_key,
        document=text.decode("utf-8"),
        document_sha256=sha,
        document_key="",
        status=VALID,
        seal_salt=salt.hex(),
        issued_at=now,
        issued_by=principal.user_id,
    )
    session.add(row)
    await session.flush()
    row.document_key = f"guarantees/{row.number}.json"
    await runtime.blobs.put(row.document_key, text, content_type="application/json")
    await runtime.audit.append(
        session,
        GUARANTEE_ISSUED,
        actor=principal.actor,
        subject=f"guarantee:{row.number}",
        data={
            "guarantor": org.credit_code,
            "kind": row.kind,
            "purpose": purpose,
            "document_sha256": sha,
            # tender, lot and bidder stay sealed until the deadline (who bid is secret)
            "sealed": seal({"tender": tender_code, "lot": lot_number, "bidder": bidder.credit_code}, salt),
            "salt_sha256": hashlib.sha256(salt).hexdigest(),
        },
    )
    return await guarantee_out(session, row)


async def _free_number(session: AsyncSession, year: int) -> str:
    """A number nobody can guess from another one (the public verification page answers for any number):
    ``BH`` + the year in Beijing + random characters; drawn again on the (astronomically rare) collision,
    and the column's unique constraint stands behind the check."""
    for _attempt in range(NUMBER_ATTEMPTS):
        number = new_number(year)
        if await session.scalar(select(Guarantee.id).where(Guarantee.number == number)) is None:
            return number
    raise Conflict("未能分配保函编号，请重试 (could not allocate a guarantee number; try again)",
                   code="number_collision")  # fmt: skip


async def guarantees_of_guarantor(session: AsyncSession, principal: Principal) -> list[GuaranteeOut]:
    """The caller's own guarantees (a guarantor sees only its own), newest first."""
    org = guarantor_of(principal)
    rows = await session.scalars(
        select(Guarantee).where(Guarantee.guarantor_id == org).order_by(Guarantee.id.desc())
    )
    return [await guarantee_out(session, row) for row in rows]


async def _deadline_passed(session: AsyncSession, runtime: Runtime, row: Guarantee) -> bool:
    tender = await bidding.tender_by_code(session, row.tender_code)
    return runtime.clock.now() >= as_utc(tender.bid_deadline)


async def public_guarantee(
    session: AsyncSession, runtime: Runtime, number: str, viewer: Principal | None = None
) -> GuaranteePublic:
    """What a number's holder may check (see ``GuaranteePublic``). Before the lot's opening is recorded
    the public learns only that the number exists: not a 404, since a verification page that answers
    "no such guarantee" for a genuine one tells its holder it is forged; not its status either, since a
    claim or a release before the opening says something about a bid nobody may know of yet. Its
    guarantor, the bidder it secures and supervisors see all of their own at any time."""
    row = await by_number(session, number)
    own = viewer is not None and (
        Role.SUPERVISOR in viewer.roles or viewer.organisation_id in (row.guarantor_id, row.bidder_id)
    )
    if not own and not await bidding.opening_recorded(session, row.tender_code, row.lot_number):
        return GuaranteePublic(number=row.number, status=None, opened=False)
    bidder = await session.get(Organisation, row.bidder_id)
    return GuaranteePublic(
        number=row.number,
        status=row.status,
        opened=True,
        guarantor=await org_name(session, row.guarantor_id),
        kind=row.kind,
        amount=row.amount,
        valid_until=as_utc(row.valid_until),
        tender=row.tender_code,
        lot=row.lot_number,
        bidder=bidder.name if bidder else None,
    )


async def guarantee_document(
    session: AsyncSession, runtime: Runtime, principal: Principal, number: str
) -> bytes:
    """The signed document as issued, from the blob store: for its guarantor, its bidder, supervisors,
    and the tender's owners once the deadline has passed."""
    row = await by_number(session, number)
    allowed = Role.SUPERVISOR in principal.roles or principal.organisation_id in (
        row.guarantor_id,
        row.bidder_id,
    )
    if not allowed and await _deadline_passed(session, runtime, row):
        allowed = bidding.is_owner(principal, await bidding.tender_by_code(session, row.tender_code))
    if not allowed:
        raise PermissionDenied("无权查看该保函文件 (not yours to read)")
    chunks = [chunk async for chunk in runtime.blobs.get(row.document_key)]
    return b"".join(chunks)


# --- verification at opening (the bond port) ------------------------------------------------------


def _fail(code: str, zh: str, en: str, number: str | None) -> BondCheck:
    return BondCheck(
        verified=False, zh=f"保证金核验未通过：{zh}", en=f"bond not verified: {en}", number=number, code=code
    )


async def _check_guarantee(
    session: AsyncSession,
    row: Guarantee,
    tender: bidding.Tender,
    lot: str,
    bidder_code: str,
    *,
    check_status: bool = True,
) -> BondCheck:
    """The guarantee verified for one bid; ``check_status=False`` asks only whether it secured the bid
    (the statistics: a guarantee claimed after the award still secured the bid it was issued for)."""
    number = row.number
    if row.purpose != rules.BID:
        return _fail(
            "not_bid_guarantee",
            f"{number} 是履约保函，不是投标保函",
            f"{number} is a performance guarantee, not a bid guarantee",
            number,
        )
    try:
        signed = SignedStatement.from_json(row.document)
        statement = verify_statement(
            signed, public_key_from_text(row.signing_key), expected_type=GUARANTEE_TYPE
        )
        fields = parse_statement(statement)
    except (SigningError, InvalidInput):
        return _fail(
            "bad_signature",
            f"保函 {number} 签名无效或文件被篡改",
            f"guarantee {number}'s signature does not verify (forged or altered)",
            number,
        )
    if hashlib.sha256(canonical_json(signed.to_dict())).hexdigest() != row.document_sha256:
        return _fail(
            "altered",
            f"保函 {number} 文件与登记不符",
            f"guarantee {number} differs from the one registered",
            number,
        )
    guarantor = await session.get(Organisation, row.guarantor_id)
    if guarantor is None or fields["guarantor"] != guarantor.credit_code:
        return _fail(
            "wrong_guarantor",
            f"保函 {number} 出具机构不符",
            f"guarantee {number} names another guarantor",
            number,
        )
    if fields["tender"] != tender.code or fields["lot"] != lot:
        return _fail(
            "wrong_tender",
            f"保函 {number} 不是为本项目/标段出具的",
            f"guarantee {number} was issued for another tender or lot",
            number,
        )
    if fields["bidder"] != bidder_code:
        return _fail(
            "wrong_bidder",
            f"保函 {number} 不是为本投标人出具的",
            f"guarantee {number} was issued for another bidder",
            number,
        )
    if check_status and row.status != VALID:
        return _fail(
            "not_valid",
            f"保函 {number} 状态为{STATUS_WORDS[row.status][0]}",
            f"guarantee {number} is {STATUS_WORDS[row.status][1]}",
            number,
        )
    if fields["amount"] < tender.bond_amount:
        return _fail(
            "amount_short",
            f"保函金额 {fields['amount']:,.2f} 元低于要求的 {tender.bond_amount:,.2f} 元",
            f"the guarantee's amount is below the required {tender.bond_amount:,.2f} CNY",
            number,
        )
    try:
        rules.check_validity(fields["valid_until"], as_utc(tender.bid_deadline), tender.criteria)
    except RuleBroken as broken:
        return _fail(broken.rule.code, broken.detail, broken.rule.en, number)
    kind_zh, kind_en = KINDS[row.kind]
    return BondCheck(
        verified=True,
        zh=f"{kind_zh} {number} 已核验（{fields['amount']:,.2f} 元）",
        en=f"{kind_en} {number} verified ({fields['amount']:,.2f} CNY)",
        number=number,
    )


async def secured_by_guarantee(
    session: AsyncSession, row: Guarantee, tender: bidding.Tender, bidder_code: str
) -> bool:
    """Whether ``row`` verifies as the bond of its bidder's bid (its signature, document, guarantor,
    tender, lot, bidder, amount and validity: all but its later status)."""
    check = await _check_guarantee(session, row, tender, row.lot_number, bidder_code, check_status=False)
    return check.verified


async def verify_bond(
    session: AsyncSession, *, tender_code: str, lot: str, bidder_code: str, form: Mapping[str, Any]
) -> BondCheck | None:
    """One opened bid's bond: ``verify_bonds`` for a lot of one."""
    (check,) = await verify_bonds(session, tender_code=tender_code, lot=lot, bids=[(bidder_code, form)])
    return check


async def verify_bonds(
    session: AsyncSession, *, tender_code: str, lot: str, bids: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[BondCheck | None]:
    """The opened bids' bonds (the bond port), each given as (bidder's credit code, bid form), in their
    order: the guarantee a bid names or that was issued for it, verified; a cash deposit recorded for
    it; failed (``no_bond``) when the tender asks for a bond and none was received; None when the
    tender asks for none and nothing is recorded (the label is shown).

    The lot's bids are read together (one read each of bidders, named guarantees, issued guarantees
    and deposits), so the 唱标 costs four reads, not four per bid. One bid guarantee and one deposit
    per bidder and lot (``register_guarantee`` and ``record_deposit`` refuse a second)."""
    tender = await bidding.tender_by_code(session, tender_code)
    codes = {code.strip().upper() for code, _form in bids}
    bidders = {
        org.credit_code: org
        for org in await session.scalars(select(Organisation).where(Organisation.credit_code.in_(codes)))
    }
    ids = [org.id for org in bidders.values()]
    numbers = {
        named.strip().upper()
        for _code, form in bids
        if isinstance(named := form.get("guarantee_number"), str)
    }
    named_rows = (
        {
            row.number: row
            for row in await session.scalars(select(Guarantee).where(Guarantee.number.in_(numbers)))
        }
        if numbers
        else {}
    )
    issued = {
        row.bidder_id: row
        for row in await session.scalars(
            select(Guarantee).where(
                Guarantee.tender_code == tender.code,
                Guarantee.lot_number == lot,
                Guarantee.bidder_id.in_(ids),
                Guarantee.purpose == rules.BID,
            )
        )
    }
    deposits = {
        row.bidder_id: row
        for row in await session.scalars(
            select(Deposit).where(
                Deposit.tender_code == tender.code, Deposit.lot_number == lot, Deposit.bidder_id.in_(ids)
            )
        )
    }
    checks: list[BondCheck | None] = []
    for code, form in bids:
        bidder = bidders.get(code.strip().upper())
        bidder_id = bidder.id if bidder is not None else None
        named = form.get("guarantee_number")
        bond_form = form.get("bond_form")
        if isinstance(named, str) and named.strip():
            row = named_rows.get(named.strip().upper())
            if row is None:
                checks.append(
                    _fail(
                        "unknown_guarantee",
                        f"保函编号 {named} 不存在",
                        f"no guarantee has number {named}",
                        None,
                    )
                )
            else:
                checks.append(await _check_guarantee(session, row, tender, lot, code))
            continue
        guarantee = issued.get(bidder_id) if bidder_id is not None else None
        if guarantee is not None and bond_form != "deposit":
            checks.append(await _check_guarantee(session, guarantee, tender, lot, code))
        elif bond_form in GUARANTEE_FORMS:
            checks.append(
                _fail(
                    "no_guarantee",
                    "未找到为本投标出具的电子保函",
                    "no electronic guarantee was issued for this bid",
                    None,
                )
            )
        else:
            checks.append(_deposit_check(tender, deposits.get(bidder_id) if bidder_id is not None else None))
    return checks


def _deposit_check(tender: bidding.Tender, deposit: Deposit | None) -> BondCheck | None:
    """A bid secured (or not) by cash: the deposit recorded for it, if any."""
    if deposit is None:
        if tender.bond_amount > 0:  # the tender asks for a bond and none was received: it fails
            return _fail("no_bond", "未收到投标保证金", "no bid bond received", None)
        return None
    if deposit.amount < tender.bond_amount:
        return _fail(
            "deposit_short",
            f"现金保证金 {deposit.amount:,.2f} 元不足 {tender.bond_amount:,.2f} 元",
            f"the cash deposit is below the required {tender.bond_amount:,.2f} CNY",
            None,
        )
    return BondCheck(
        verified=True,
        zh=f"现金保证金已到账（{deposit.amount:,.2f} 元）",
        en=f"cash deposit received ({deposit.amount:,.2f} CNY)",
    )
