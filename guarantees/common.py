"""What the guarantees modules share: statuses, parsing of the signed statement, small helpers."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core.accounts import Principal
from core.clock import as_utc
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.models import Organisation
from guarantees.models import Guarantee
from guarantees.rules import GUARANTEE_TYPE, KINDS
from guarantees.views import GuaranteeOut

STATEMENT_FIELDS = {
    "type",
    "guarantor",
    "kind",
    "tender",
    "lot",
    "bidder",
    "amount",
    "valid_until",
    "reference",
}
VALID, CLAIMED, PAID = "valid", "claimed", "paid"
HELD, REFUND_DUE, REFUNDED, FORFEITED = "held", "refund_due", "refunded", "forfeited"
STATUS_WORDS = {
    VALID: ("有效", "valid"),
    CLAIMED: ("已索赔，待担保机构答复", "claimed, awaiting the guarantor"),
    PAID: ("已赔付", "paid out"),
}
GUARANTEE_FORMS = ("guarantee_letter", "guarantee_insurance")
# A guarantee's number: "BH", the year, then NUMBER_LENGTH characters from a CSPRNG in an alphabet
# without the look-alikes 0/O, 1/I/L (31 symbols: 31**10 ≈ 8.2e14 numbers a year), so that nobody can
# walk the public verification pages from one number to the next.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_LENGTH = 10
NUMBER_ATTEMPTS = 5


# --- helpers --------------------------------------------------------------------------------------


def new_number(year: int) -> str:
    """A fresh random guarantee number, e.g. ``BH2026K7M3Q9ZX2D`` (16 characters, upper case)."""
    return f"BH{year}" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


def bad(detail: str, code: str) -> InvalidInput:
    return InvalidInput(detail, code=code)


def time_of(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise bad(f"{field} 应为 ISO 8601 时间 (an ISO 8601 time with its offset)", "bad_statement")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad(f"{field} 应为 ISO 8601 时间 (an ISO 8601 time with its offset)", "bad_statement") from None
    if moment.tzinfo is None:
        raise bad(f"{field} 须带时区 (needs a UTC offset)", "bad_statement")
    return as_utc(moment)


def money(value: Any) -> Decimal:
    try:
        amount = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise bad(
            'amount 应为正的金额字符串，最多两位小数 (a positive decimal string: "20000.00")', "bad_amount"
        )
    return amount.quantize(Decimal("0.01"))


def parse_statement(statement: Mapping[str, Any], expected_type: str = GUARANTEE_TYPE) -> dict[str, Any]:
    """The statement's fields checked for shape (not yet the rules): refuses unknown or missing fields."""
    if set(statement) != STATEMENT_FIELDS:
        missing, extra = STATEMENT_FIELDS - set(statement), set(statement) - STATEMENT_FIELDS
        raise bad(
            f"保函字段不符 (the statement has exactly {', '.join(sorted(STATEMENT_FIELDS))}; "
            f"missing {sorted(missing)}, unknown {sorted(extra)})",
            "bad_statement",
        )
    if statement["type"] != expected_type:
        raise bad(f"type 应为 {expected_type}", "bad_statement")
    if statement["kind"] not in KINDS:
        raise bad(f"kind 应为 {', '.join(KINDS)}", "bad_statement")
    for key in ("guarantor", "tender", "lot", "bidder", "reference"):
        if not isinstance(statement[key], str) or not statement[key].strip():
            raise bad(f"{key} 不能为空 (required text)", "bad_statement")
    return {
        **statement,
        "amount": money(statement["amount"]),
        "valid_until": time_of(statement["valid_until"], "valid_until"),
    }


async def org_name(session: AsyncSession, org_id: int) -> str:
    org = await session.get(Organisation, org_id)
    return org.name if org else "—"


async def guarantee_out(session: AsyncSession, row: Guarantee) -> GuaranteeOut:
    bidder = await session.get(Organisation, row.bidder_id)
    return GuaranteeOut(
        number=row.number,
        guarantor=await org_name(session, row.guarantor_id),
        kind=row.kind,
        purpose=row.purpose,
        tender=row.tender_code,
        lot=row.lot_number,
        bidder=bidder.name if bidder else "—",
        bidder_code=bidder.credit_code if bidder else "—",
        amount=row.amount,
        valid_until=as_utc(row.valid_until),
        status=row.status,
        issued_at=as_utc(row.issued_at),
        document_sha256=row.document_sha256,
    )


async def lot_of(session: AsyncSession, tender: bidding.Tender, number: str) -> Any:
    for lot in await bidding.lots_of(session, tender.id):
        if lot.number == number:
            return lot
    raise NotFound(f"标段 {number} 不存在 (no such lot)", code="unknown_lot")


def guarantor_of(principal: Principal) -> int:
    if principal.organisation_id is None:
        raise PermissionDenied("须为担保机构的用户 (only a guarantor's staff)", code="not_guarantor")
    return principal.organisation_id


async def by_number(session: AsyncSession, number: str) -> Guarantee:
    row = await session.scalar(select(Guarantee).where(Guarantee.number == number.strip().upper()))
    if row is None:
        raise NotFound(f"保函编号 {number} 不存在 (no guarantee has this number)", code="unknown_guarantee")
    return row
