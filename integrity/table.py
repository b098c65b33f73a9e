"""The market table (integrity_market_bids) read in one query into columns, and every indicator run
over it: the per-lot ones (P1–P5 prices, E3 project managers) and the market ones (M1–M4, Cardinal).

The supervisors' market page and bench/integrity.py both go through ``load``; the bench times the two
halves separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import Float, cast, select

from core.runtime import Db
from integrity import market
from integrity.indicators import Flags, Lots, price_flags, shared_evidence
from integrity.models import MarketBid

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Table:
    """The bids, one row each, sorted by lot (rows of lot ``i``: ``offsets[i]:offsets[i+1]``)."""

    bids: market.Bids
    offsets: Ints
    ceilings: npt.NDArray[np.float64]
    managers: Ints  # per bid: the project manager's number among ``manager_names`` (-1: none named)
    lot_names: list[tuple[str, str]]  # lot index → (tender code, lot number)
    bidder_names: list[str]  # bidder index → name
    bidder_codes: list[str]
    buyer_names: list[str]  # buyer index → name
    when: list[datetime]  # per lot: when it opened


def cast_datetime(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value


def _number(values: list[str]) -> tuple[Ints, list[str]]:
    """Each value's index among the distinct values (first-seen order is not kept: sorted)."""
    distinct, index = np.unique(np.array(values, dtype=object).astype(str), return_inverse=True)
    return index.astype(np.int64), [str(v) for v in distinct]


async def load(db: Db, chunk: int = 50_000) -> Table:
    """Every stored bid, in one streamed query ordered by lot."""
    query = select(
        MarketBid.tender_code,
        MarketBid.lot_number,
        MarketBid.buyer_code,
        MarketBid.buyer_name,
        MarketBid.bidder_code,
        MarketBid.bidder_name,
        MarketBid.project_manager,
        cast(MarketBid.price, Float),
        cast(MarketBid.ceiling, Float),
        MarketBid.valid,
        MarketBid.won,
        MarketBid.opened_at,
    ).order_by(MarketBid.tender_code, MarketBid.lot_number, MarketBid.bidder_code)
    columns: list[list[object]] = [[] for _ in range(12)]
    result = await db.stream(query.execution_options(yield_per=chunk))
    async for part in result.partitions(chunk):
        for column, values in zip(columns, zip(*part, strict=True), strict=True):
            column.extend(values)
    tenders, lots_, buyer_codes, buyer_names, bidder_codes, bidder_names, managers, price, ceiling = columns[
        :9
    ]
    valid, won, opened = columns[9:]
    n = len(tenders)
    change = np.ones(n, dtype=np.bool_)
    if n:
        change[1:] = [
            a != b or c != d
            for a, b, c, d in zip(tenders[1:], tenders[:-1], lots_[1:], lots_[:-1], strict=True)
        ]
    lot = np.cumsum(change).astype(np.int64) - 1
    starts = np.flatnonzero(change)
    offsets = np.append(starts, n).astype(np.int64)
    buyer, buyer_keys = _number([str(c) for c in buyer_codes])
    names_of_buyer = dict(zip(buyer_codes, buyer_names, strict=True))
    bidder, codes = _number([str(c) for c in bidder_codes])
    names_of_bidder = dict(zip(bidder_codes, bidder_names, strict=True))
    manager_index, manager_names = _number([str(m) for m in managers])
    blank = manager_names.index("") if "" in manager_names else -2
    manager_index[manager_index == blank] = -1
    when_lot = [cast_datetime(opened[s]) for s in starts]
    seconds = np.array([w.timestamp() for w in when_lot], dtype=np.float64)
    bids = market.Bids(
        lot=lot,
        buyer=buyer,
        bidder=bidder,
        price=np.array(price, dtype=np.float64),
        valid=np.array(valid, dtype=np.bool_),
        won=np.array(won, dtype=np.bool_),
        when=np.repeat(seconds, np.diff(offsets)),
    )
    return Table(
        bids=bids,
        offsets=offsets,
        ceilings=np.array([ceiling[s] for s in starts], dtype=np.float64),
        managers=manager_index,
        lot_names=[(str(tenders[s]), str(lots_[s])) for s in starts],
        bidder_names=[str(names_of_bidder[c]) for c in codes],
        bidder_codes=codes,
        buyer_names=[str(names_of_buyer[c]) for c in buyer_keys],
        when=when_lot,
    )


@dataclass(frozen=True)
class LotResults:
    prices: list[Flags]  # P1–P5, one boolean per lot each
    managers: list[tuple[int, tuple[int, ...]]]  # E3 (SAME_MANAGER): (lot, rows sharing one manager)


def per_lot(table: Table) -> LotResults:
    """P1–P5 over every lot's valid bids, and E3 (one project manager named in two bids of a lot)."""
    valid = table.bids.valid
    sizes = (
        np.add.reduceat(valid.astype(np.int64), table.offsets[:-1]) if valid.size else np.zeros(0, np.int64)
    )
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    lot_first = table.offsets[:-1]
    won_rows = np.flatnonzero(table.bids.won & valid)
    winners = np.full(len(lot_first), -1, dtype=np.int64)
    # The winner's row among the lot's valid rows: its rank among valid rows up to it.
    valid_rank = np.cumsum(valid) - 1
    winners[table.bids.lot[won_rows]] = valid_rank[won_rows]
    lots = Lots(table.bids.price[valid], offsets, table.ceilings, winners)
    named = table.managers >= 0
    groups = shared_evidence(
        table.bids.lot[named], np.flatnonzero(named).astype(np.int64), table.managers[named]
    )
    return LotResults(price_flags(lots), [(g.lot, g.bidders) for g in groups])


@dataclass(frozen=True)
class MarketResults:
    rotation: list[tuple[tuple[int, ...], tuple[int, ...]]]
    cover: list[tuple[int, int, int]]
    buyers: tuple[Ints, npt.NDArray[np.float64], npt.NDArray[np.float64], Ints]
    single_buyers: Ints
    concentrated_buyers: Ints
    single_bid: Ints
    close_to_winner: tuple[Ints, npt.NDArray[np.float64], float]
    discounted: tuple[Ints, npt.NDArray[np.float64], float]
    identical: list[tuple[int, tuple[int, ...]]]
    all_but_winner: Ints
    lowest_disqualified: Ints
    disqualified_buyers: tuple[Ints, npt.NDArray[np.float64], float]
    disqualified_bidders: tuple[Ints, npt.NDArray[np.float64], float]


def across_market(table: Table) -> MarketResults:
    bids = table.bids
    single, concentrated = market.concentrated_buyers(bids)
    return MarketResults(
        rotation=market.bid_rotation(bids),
        cover=market.cover_bidding(bids),
        buyers=market.buyer_concentration(bids),
        single_buyers=single,
        concentrated_buyers=concentrated,
        single_bid=market.single_bid(bids),
        close_to_winner=market.price_close_to_winner(bids),
        discounted=market.heavily_discounted(bids),
        identical=market.identical_prices(bids),
        all_but_winner=market.all_but_winner_disqualified(bids),
        lowest_disqualified=market.lowest_bid_disqualified(bids),
        disqualified_buyers=market.disqualified_ratio(bids, bids.buyer),
        disqualified_bidders=market.disqualified_ratio(bids, bids.bidder),
    )
