"""Ranking of the bids still in after qualification and preliminary review (pure: no I/O).

Comprehensive scoring (综合评估法) sorts by, in order:
    1. higher total (price score + technical + commercial),
    2. lower bid price,
    3. higher technical score,
    4. bidder code, ascending — a stated, deterministic last key. A tie on every scoring key is
       shown in the results (``separated_by == "code"``) so the committee can record it in the report.
The lowest evaluated price method (经评审的最低投标价法) sorts by:
    1. lower evaluated price (bid price + priced adjustments),
    2. lower bid price,
    3. higher technical score,
    4. bidder code, ascending.
Keys 2–4 make the order total, and the result depends only on the set of bids, never on their input
order. The first three ranked are the candidates (中标候选人).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Key = Literal["total", "evaluated_price", "price", "technical", "code"]


class RankingError(ValueError):
    pass


@dataclass(frozen=True)
class BidResult:
    """One bid's published figures (Decimal, 2 places) going into the ranking."""

    bidder: str
    price: Decimal
    technical: Decimal = Decimal("0.00")
    commercial: Decimal = Decimal("0.00")
    price_score: Decimal = Decimal("0.00")
    adjustments: Decimal = Decimal("0.00")

    @property
    def total(self) -> Decimal:
        """Comprehensive total: a sum of published figures, so exact."""
        return self.price_score + self.technical + self.commercial

    @property
    def evaluated_price(self) -> Decimal:
        return self.price + self.adjustments


@dataclass(frozen=True)
class Ranked:
    rank: int
    result: BidResult
    separated_by: Key | None  # the key that put this bid below the one above; None for rank 1

    @property
    def bidder(self) -> str:
        return self.result.bidder


@dataclass(frozen=True)
class Excluded:
    bidder: str
    reason: str


@dataclass(frozen=True)
class Ranking:
    method: Literal["comprehensive", "lowest_price"]
    ranked: tuple[Ranked, ...]
    excluded: tuple[Excluded, ...]

    def candidates(self, count: int = 3) -> tuple[Ranked, ...]:
        """The first ``count`` ranked bids (fewer when fewer are ranked)."""
        return self.ranked[:count]

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(r.bidder for r in self.ranked)


def _keys(method: str, r: BidResult) -> list[tuple[Key, object]]:
    first: tuple[Key, object] = (
        ("total", -r.total)
        if method == "comprehensive"
        else (
            "evaluated_price",
            r.evaluated_price,
        )
    )
    return [first, ("price", r.price), ("technical", -r.technical), ("code", r.bidder)]


def _rank(
    method: Literal["comprehensive", "lowest_price"],
    results: Iterable[BidResult],
    excluded: Mapping[str, str],
) -> Ranking:
    results = list(results)
    codes = [r.bidder for r in results]
    if len(set(codes)) != len(codes):
        raise RankingError("a bidder appears twice in the results")
    both = sorted(set(codes) & set(excluded))
    if both:
        raise RankingError(f"bidders both ranked and excluded: {', '.join(both)}")
    blank = sorted(b for b, reason in excluded.items() if not reason.strip())
    if blank:
        raise RankingError(f"an excluded bidder needs a reason: {', '.join(blank)}")
    ordered = sorted(results, key=lambda r: [value for _, value in _keys(method, r)])
    ranked: list[Ranked] = []
    for i, result in enumerate(ordered):
        separated: Key | None = None
        if i:
            above = _keys(method, ordered[i - 1])
            separated = next(k for (k, v), (_, w) in zip(_keys(method, result), above, strict=True) if v != w)
        ranked.append(Ranked(i + 1, result, separated))
    gone = tuple(Excluded(b, excluded[b]) for b in sorted(excluded))
    return Ranking(method, tuple(ranked), gone)


def rank_comprehensive(results: Iterable[BidResult], excluded: Mapping[str, str] | None = None) -> Ranking:
    """Rank by total, then lower price, higher technical, bidder code (see the module docstring)."""
    return _rank("comprehensive", results, excluded or {})


def rank_lowest_price(results: Iterable[BidResult], excluded: Mapping[str, str] | None = None) -> Ranking:
    """Rank by evaluated price, then lower price, higher technical, bidder code."""
    return _rank("lowest_price", results, excluded or {})
