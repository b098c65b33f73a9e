"""The random coefficient for the benchmark price, drawn in the open: the server's secret is committed
at the deadline, bidders may contribute, and anyone can recompute the draw once it is revealed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import events
from bidding.common import lot_of, tender_by_code
from bidding.models import OpeningBid
from bidding.opening.common import AWAITING_HOST, COEFFICIENT_PLACES, CUSTODY, DECRYPTING, _opening, room_name
from core import rooms
from core.accounts import Principal
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.models import Organisation
from core.runtime import Runtime
from crypto.signing import canonical_json


def coefficient_from(
    secret: bytes, contributions: Sequence[dict[str, Any]], maximum: Decimal
) -> tuple[str, Decimal]:
    """seed = SHA-256(secret ‖ canonical contributions); the coefficient: uniform, 0.0001 grid, [0, max)."""
    seed = hashlib.sha256(secret + canonical_json(list(contributions))).digest()
    steps = int(maximum / COEFFICIENT_PLACES)
    if steps <= 0:
        return seed.hex(), Decimal(0).quantize(COEFFICIENT_PLACES)
    return seed.hex(), (Decimal(int.from_bytes(seed, "big") % steps) * COEFFICIENT_PLACES).quantize(
        COEFFICIENT_PLACES
    )


async def contribute(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, lot_number: str, value: str
) -> None:
    """A bidder's optional contribution to the coefficient draw, before the secret is revealed."""
    value = (value or "").strip()
    if not 1 <= len(value) <= 64:
        raise InvalidInput(
            "随机数贡献须为1-64个字符 (a contribution is 1-64 characters)", code="bad_contribution"
        )
    tender = await tender_by_code(session, code)
    lot = await lot_of(session, tender, lot_number)
    opening = await _opening(session, tender, lot)
    if opening.phase not in (AWAITING_HOST, DECRYPTING, CUSTODY):
        raise Conflict("系数已抽取 (the coefficient has been drawn)", code="drawn")
    bid = await session.scalar(
        select(OpeningBid).where(
            OpeningBid.opening_id == opening.id, OpeningBid.organisation_id == principal.organisation_id
        )
    )
    if bid is None:
        raise PermissionDenied("只有本标段的投标人可以贡献随机数 (only this lot's bidders contribute)")
    org = await session.get(Organisation, bid.organisation_id)
    assert org is not None
    if any(c["bidder_code"] == org.credit_code for c in opening.contributions):
        raise Conflict("已提交过随机数 (you contributed already)", code="already_contributed")
    opening.contributions = [*opening.contributions, {"bidder_code": org.credit_code, "value": value}]
    await rooms.append(
        session,
        runtime.clock,
        room_name(tender.code, lot.number),
        "coefficient.contribution",
        events.CoefficientContribution(bidder=org.name, value=value),
    )
