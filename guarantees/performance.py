"""Performance guarantees (履约保函, 《招标投标法实施条例》第五十八条): a guarantor secures a contract the
way it secures a bid, with a statement of type ``PERFORMANCE_TYPE`` naming the tender, lot and supplier
of the award. guarantees sits below contracts: contracts passes the contract's terms in
(``ContractTerms``) when the guarantor posts the document on the contract, and again to verify it for
the contract page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import Principal
from core.bond_port import BondCheck
from core.errors import Conflict, InvalidInput
from core.models import Organisation
from core.organisations import find_by_credit_code
from core.runtime import Runtime
from crypto.signing import (
    SignedStatement,
    SigningError,
    canonical_json,
    public_key_from_text,
    verify_statement,
)
from guarantees import rules
from guarantees.common import STATUS_WORDS, VALID, bad, parse_statement
from guarantees.issuing import register_guarantee, signed_by_guarantor
from guarantees.models import Guarantee
from guarantees.rules import KINDS, PERFORMANCE_TYPE, RuleBroken
from guarantees.views import GuaranteeOut, SignedPerformanceGuarantee


@dataclass(frozen=True)
class ContractTerms:
    """What a performance guarantee is checked against: the contract of ``supplier`` on the lot."""

    tender: str
    lot: str
    supplier: str  # the supplier's credit code
    amount: Decimal  # the contract amount
    required: Decimal | None  # the performance bond the contract asks for (None: none asked)
    cover_until: datetime | None  # the end of the performance (the last milestone's day), if known
    open: bool  # being signed or performed (not refused, lapsed or completed)


async def issue_performance_guarantee(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    document: SignedPerformanceGuarantee,
    terms: ContractTerms,
) -> GuaranteeOut:
    """A guarantor posts a performance guarantee it signed for the contract ``terms`` describes."""
    org, signed, fields = await signed_by_guarantor(session, principal, document, PERFORMANCE_TYPE)
    if (fields["tender"], fields["lot"], fields["bidder"]) != (terms.tender, terms.lot, terms.supplier):
        raise bad(
            "保函所担保的项目、标段或中标人与本合同不符 (the statement names another contract)",
            "wrong_contract",
        )
    if not terms.open:
        raise Conflict(
            "合同已终止，不能出具履约保函 (the contract is no longer open)", code="contract_closed"
        )
    try:
        rules.check_performance_amount(fields["amount"], terms.amount)
        rules.check_cover(fields["valid_until"], terms.cover_until, runtime.clock.now())
    except RuleBroken as broken:
        raise InvalidInput(broken.detail, code=broken.rule.code) from None
    supplier = await find_by_credit_code(session, terms.supplier)
    assert supplier is not None  # the contract's supplier is registered
    return await register_guarantee(
        session, runtime, principal, org, signed, fields, terms.tender, terms.lot, supplier, rules.PERFORMANCE
    )


def _fail(code: str, zh: str, en: str, number: str | None) -> BondCheck:
    return BondCheck(
        verified=False,
        zh=f"履约保函核验未通过：{zh}",
        en=f"performance bond not verified: {en}",
        number=number,
        code=code,
    )


async def performance_bond(session: AsyncSession, runtime: Runtime, terms: ContractTerms) -> BondCheck | None:
    """The contract's performance guarantee verified again from its stored document (signature, the
    contract it names, status, amount within 10% and at least the bond asked, validity covering the
    performance); None when no guarantor has issued one."""
    supplier = await find_by_credit_code(session, terms.supplier)
    if supplier is None:
        return None
    row = await session.scalar(
        select(Guarantee).where(
            Guarantee.tender_code == terms.tender,
            Guarantee.lot_number == terms.lot,
            Guarantee.bidder_id == supplier.id,
            Guarantee.purpose == rules.PERFORMANCE,
        )
    )
    if row is None:
        return None
    number = row.number
    try:
        signed = SignedStatement.from_json(row.document)
        fields = parse_statement(
            verify_statement(signed, public_key_from_text(row.signing_key), expected_type=PERFORMANCE_TYPE),
            PERFORMANCE_TYPE,
        )
    except (SigningError, InvalidInput):
        return _fail(
            "bad_signature",
            f"保函 {number} 签名无效或文件被篡改",
            f"guarantee {number}'s signature does not verify (forged or altered)",
            number,
        )
    guarantor = await session.get(Organisation, row.guarantor_id)
    if (
        hashlib.sha256(canonical_json(signed.to_dict())).hexdigest() != row.document_sha256
        or guarantor is None
        or fields["guarantor"] != guarantor.credit_code
    ):
        return _fail(
            "altered",
            f"保函 {number} 文件与登记不符",
            f"guarantee {number} differs from the one registered",
            number,
        )
    if row.status != VALID:
        return _fail("not_valid", f"保函 {number} 状态为{STATUS_WORDS[row.status][0]}",
                     f"guarantee {number} is {STATUS_WORDS[row.status][1]}", number)  # fmt: skip
    try:
        rules.check_performance_amount(fields["amount"], terms.amount)
        rules.check_cover(fields["valid_until"], terms.cover_until, runtime.clock.now())
    except RuleBroken as broken:
        return _fail(broken.rule.code, broken.detail, broken.rule.en, number)
    if terms.required is not None and fields["amount"] < terms.required:
        return _fail(
            "amount_short",
            f"保函金额 {fields['amount']:,.2f} 元低于合同约定的履约保证金 {terms.required:,.2f} 元",
            f"the guarantee is below the contract's performance bond of {terms.required:,.2f} CNY",
            number,
        )
    kind_zh, kind_en = KINDS[row.kind]
    return BondCheck(
        verified=True,
        zh=f"履约{kind_zh} {number} 已核验（{fields['amount']:,.2f} 元，出具机构 {guarantor.name}）",
        en=(
            f"performance {kind_en.lower()} {number} verified "
            f"({fields['amount']:,.2f} CNY, by {guarantor.name})"
        ),
        number=number,
    )
