"""Builders for draw tests: small pools of PoolRows and valid credit codes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.credit_code import make_credit_code
from experts.draw import DrawRules, DrawTender, PoolRow, Slot

DAY = date(2026, 12, 10)
COUNTIES = ("220202", "220203", "220204", "220211", "220221", "220281")


def company(n: int, region: str = "220202") -> str:
    return make_credit_code("9", "1", region, f"{n:08d}X"[:9])


TENDERER, AGENT, BIDDER = company(1), company(2), company(3)


def row(n: int, **kw: object) -> PoolRow:
    base: dict[str, object] = {
        "id": f"E220200-{n:05d}",
        "county": COUNTIES[n % len(COUNTIES)],
        "employer": company(100 + n),
        "status": "active",
        "specialties": ("A0101",),
    }
    base.update(kw)
    return PoolRow(**base)  # type: ignore[arg-type]


def tender(**kw: object) -> DrawTender:
    base: dict[str, object] = {
        "tenderer_code": TENDERER,
        "tenderer_county": "220202",
        "agent_code": AGENT,
        "bidder_codes": (BIDDER,),
        "evaluation_date": DAY,
    }
    base.update(kw)
    return DrawTender(**base)  # type: ignore[arg-type]


def rules(experts: int = 1, alternates: int = 0, **kw: object) -> DrawRules:
    return DrawRules(slots=(Slot("A0101", experts, alternates),), **kw)  # type: ignore[arg-type]


def credit(value: str) -> Decimal:
    return Decimal(value)
