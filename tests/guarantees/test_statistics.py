"""Point 7 of issue 19 (guarantee half): the share of bids secured by guarantees vs cash, and the money
not tied up as deposits, in the statistics' figures, CSV and JSON (pure)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

from publication.stats import TenderStat, compute, to_csv, to_json


def tender(code: str, guaranteed: int, deposits: int, amount: str) -> TenderStat:
    return TenderStat(
        code=code,
        month="2026-11",
        category="construction",
        region="220281",
        budget=D("1000.00"),
        bidders=guaranteed + deposits,
        guaranteed_bids=guaranteed,
        deposit_bids=deposits,
        guaranteed_amount=D(amount),
    )


def test_guarantee_share_and_money_not_tied_up() -> None:
    stats = compute([tender("A", 3, 1, "600000.00"), tender("B", 0, 0, "0"), tender("C", 1, 0, "200000.00")])
    assert (stats.total.guaranteed_bids, stats.total.deposit_bids) == (4, 1)
    assert stats.total.guarantee_share == D("0.8000") and stats.total.not_tied_up == D("800000.00")
    b = next(f for f in stats.by_tender if f.key == "B")
    assert b.guarantee_share is None and b.not_tied_up == D("0.00")  # no bond at all: no share
    rows = list(csv.DictReader(io.StringIO(to_csv(stats))))
    assert (rows[0]["guarantee_share"], rows[0]["not_tied_up"]) == ("0.8000", "800000.00")
    assert to_json(stats)["total"]["guarantee_share"] == D("0.8000")
