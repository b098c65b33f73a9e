"""The rows of a notice's structured content, for the portal pages (pure, tolerant).

Shapes as documented in publication/ocds.py. A malformed row is skipped here (the page still shows
the notice's text); the open data treats malformed content the same way (publication/service.py).
A bid's price is kept only when the bid was opened (唱标), exactly as in the OCDS release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.clock import as_utc


@dataclass(frozen=True)
class Bidder:
    name: str
    credit_code: str


@dataclass(frozen=True)
class BidRow:
    lot: str
    bidder: Bidder
    status: str  # opened | rejected | revoked | withdrawn
    price: Decimal | None


@dataclass(frozen=True)
class CandidateRow:
    lot: str
    rank: int | None
    bidder: Bidder
    price: Decimal | None


@dataclass(frozen=True)
class AwardRow:
    lot: str
    bidder: Bidder
    price: Decimal | None
    date: datetime | None


BID_STATUSES = ("opened", "rejected", "revoked", "withdrawn")


def amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        parsed = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not parsed.is_finite() or parsed < 0:
        return None
    return parsed.quantize(Decimal("0.01"))


def _bidder(raw: Any) -> Bidder | None:
    if not isinstance(raw, dict) or not raw.get("name") or not raw.get("credit_code"):
        return None
    return Bidder(str(raw["name"]).strip(), str(raw["credit_code"]).strip().upper())


def _rows(payload: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    rows = (payload or {}).get(key) if isinstance(payload, dict) else None
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def _rank(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def bids(payload: dict[str, Any] | None) -> list[BidRow]:
    out = []
    for row in _rows(payload, "bids"):
        bidder = _bidder(row.get("bidder"))
        status = str(row.get("status", ""))
        if bidder is None or status not in BID_STATUSES:
            continue
        price = amount(row.get("price")) if status == "opened" else None
        out.append(BidRow(str(row.get("lot", "1")), bidder, status, price))
    return out


def candidates(payload: dict[str, Any] | None) -> list[CandidateRow]:
    out = []
    for row in _rows(payload, "candidates"):
        bidder = _bidder(row.get("bidder"))
        if bidder is not None:
            out.append(
                CandidateRow(
                    str(row.get("lot", "1")), _rank(row.get("rank")), bidder, amount(row.get("price"))
                )
            )
    return sorted(out, key=lambda c: (c.lot, c.rank if c.rank is not None else 1_000_000))


def awards(payload: dict[str, Any] | None) -> list[AwardRow]:
    out = []
    for row in _rows(payload, "awards"):
        bidder = _bidder(row.get("bidder"))
        if bidder is not None:
            out.append(
                AwardRow(str(row.get("lot", "1")), bidder, amount(row.get("price")), _date(row.get("date")))
            )
    return out
