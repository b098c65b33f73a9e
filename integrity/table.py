"""The market table (integrity_market_bids) read in one query into columns, and every indicator run
over it: the per-lot ones (P1–P5 prices, E3 project managers) and the market ones (M1–M4, Cardinal).

The supervisors' market page and bench/integrity.py both go through ``load``; the bench times the two
halves separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select, text

from core.runtime import Db
from integrity import market
from integrity.indicators import Flags, Lots, price_flags, shared_evidence
from integrity.models import MarketBid

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Table:
    """The bids, one row each, grouped by lot (rows of lot ``i``: ``offsets[i]:offsets[i+1]``)."""

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


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(values: list[object]) -> tuple[Ints, list[str]]:
    """Each value's number among the distinct values (numbered in first-seen order), and those values."""
    seen: dict[object, int] = {}
    index = np.fromiter((seen.setdefault(v, len(seen)) for v in values), dtype=np.int64, count=len(values))
    return index, [str(v) for v in seen]


async def load(db: Db, chunk: int = 100_000) -> Table:
    """Every stored bid, in one streamed query (plain rows, no ORM objects; grouped by lot here), then the
    names of the bidders and buyers and the lots' opening times, one row per bidder, buyer and lot."""
    t = MarketBid
    # A plain-SQL statement: its rows come back as the driver gives them, without SQLAlchemy's per-value
    # type processing (half the load time at a million rows); the casts make both backends give floats.
    query = text(
        "SELECT tender_code, lot_number, buyer_code, bidder_code, project_manager,"
        " CAST(price AS FLOAT), CAST(ceiling AS FLOAT), valid, won FROM integrity_market_bids"
    )
    conn = await db.connection()
    columns: list[list[object]] = [[] for _ in range(9)]
    result = await conn.stream(query.execution_options(yield_per=chunk))
    async for part in result.partitions(chunk):
        for column, values in zip(columns, zip(*part, strict=True), strict=True):
            column.extend(values)
    tenders, lots_, buyer_codes, bidder_codes, managers, price, ceiling, valid, won = columns
    by_bidder = select(t.bidder_code, func.max(t.bidder_name)).group_by(t.bidder_code)
    bidder_name = {str(code): str(name) for code, name in await conn.execute(by_bidder)}
    by_buyer = select(t.buyer_code, func.max(t.buyer_name)).group_by(t.buyer_code)
    buyer_name = {str(code): str(name) for code, name in await conn.execute(by_buyer)}
    opened_at = {
        (code, number): cast_datetime(at)
        for code, number, at in await db.execute(
            select(t.tender_code, t.lot_number, func.min(t.opened_at)).group_by(t.tender_code, t.lot_number)
        )
    }
    lot_of, lot_keys = _number(list(zip(tenders, lots_, strict=True)))
    order = np.argsort(lot_of, kind="stable")
    lot = lot_of[order]
    sizes = np.bincount(lot, minlength=len(lot_keys)).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    starts = offsets[:-1]

    firsts = order[starts].tolist()
    ceiling = [ceiling[i] for i in firsts]
    tenders = [tenders[i] for i in firsts]
    lots_ = [lots_[i] for i in firsts]
    buyer, buyer_keys = _number(buyer_codes)
    bidder, codes = _number(bidder_codes)
    manager_index, manager_names = _number(managers)
    blank = manager_names.index("") if "" in manager_names else -2
    manager_index[manager_index == blank] = -1
    lot_names = [(str(a), str(b)) for a, b in zip(tenders, lots_, strict=True)]
    when_lot = [_as_utc(opened_at[key]) for key in lot_names]
    seconds = np.array([w.timestamp() for w in when_lot], dtype=np.float64)
    bids = market.Bids(
        lot=lot,
        buyer=buyer[order],
        bidder=bidder[order],
        price=np.array(price, dtype=np.float64)[order],
        valid=np.array(valid, dtype=np.bool_)[order],
        won=np.array(won, dtype=np.bool_)[order],
        when=np.repeat(seconds, np.diff(offsets)),
    )
    return Table(
        bids=bids,
        offsets=offsets,
        ceilings=np.array(ceiling, dtype=np.float64),
        managers=manager_index[order],
        lot_names=lot_names,
        bidder_names=[str(bidder_name[c]) for c in codes],
        bidder_codes=codes,
        buyer_names=[str(buyer_name[c]) for c in buyer_keys],
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
