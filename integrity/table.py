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


# Every bid as numbers only: the lot, buyer, bidder and project manager numbered in the database
# (dense_rank over the codes, 0-based; a blank manager -1), the prices as floats, the flags as 0/1,
# ordered by lot. Numbers only, so the rows cost no Python string per value: PostgreSQL streams them as
# text through COPY, SQLite through its own driver in large batches, straight into numpy.
NUMBERED = (
    "SELECT DENSE_RANK() OVER (ORDER BY tender_code, lot_number) - 1,"
    " DENSE_RANK() OVER (ORDER BY buyer_code) - 1,"
    " DENSE_RANK() OVER (ORDER BY bidder_code) - 1,"
    " CASE WHEN project_manager = '' THEN -1 ELSE DENSE_RANK() OVER (ORDER BY project_manager) END,"
    " CAST(price AS FLOAT), CAST(ceiling AS FLOAT),"
    " CASE WHEN valid THEN 1 ELSE 0 END, CASE WHEN won THEN 1 ELSE 0 END"
    " FROM integrity_market_bids"
)
WIDTH = 8


async def _numbers(db: Db, chunk: int) -> npt.NDArray[np.float64]:
    """The numbered rows as one float array (``WIDTH`` columns), by the fastest path the driver has."""
    conn = await db.connection()
    dialect = conn.dialect.name
    raw = (await conn.get_raw_connection()).driver_connection
    if dialect == "postgresql" and hasattr(raw, "copy_from_query"):
        out = _Sink()
        await raw.copy_from_query(NUMBERED, output=out.write, format="text")
        data = b"".join(out.parts)
        return np.fromstring(data, dtype=np.float64, sep=" ").reshape(-1, WIDTH)  # any whitespace
    parts: list[npt.NDArray[np.float64]] = []
    if dialect == "sqlite" and hasattr(raw, "execute"):
        cursor = await raw.execute(NUMBERED)
        try:
            while rows := await cursor.fetchmany(chunk):
                parts.append(np.array(rows, dtype=np.float64))
        finally:
            await cursor.close()
    else:
        result = await conn.stream(text(NUMBERED).execution_options(yield_per=chunk))
        async for part in result.partitions(chunk):
            parts.append(np.array(part, dtype=np.float64))
    return np.concatenate(parts) if parts else np.zeros((0, WIDTH))


class _Sink:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    async def write(self, data: bytes) -> None:
        self.parts.append(bytes(data))


async def load(db: Db, chunk: int = 200_000) -> Table:
    """Every stored bid as numbers (``NUMBERED``: one query, numbered and grouped by lot in the database),
    then the lots, bidders and buyers by number: their codes, names, ceilings and opening times, one row
    per lot, bidder and buyer, in the same order as the numbering."""
    t = MarketBid
    rows = await _numbers(db, chunk)
    lot_of = rows[:, 0].astype(np.int64)
    order = np.argsort(lot_of, kind="stable")
    rows = rows[order]
    lot = lot_of[order]
    conn = await db.connection()
    per_lot = (
        select(t.tender_code, t.lot_number, func.min(t.opened_at), func.min(t.ceiling))
        .group_by(t.tender_code, t.lot_number)
        .order_by(t.tender_code, t.lot_number)
    )
    lots_found = (await conn.execute(per_lot)).all()
    by_bidder = select(t.bidder_code, func.max(t.bidder_name)).group_by(t.bidder_code).order_by(t.bidder_code)
    bidders = [(str(code), str(name)) for code, name in await conn.execute(by_bidder)]
    by_buyer = select(t.buyer_code, func.max(t.buyer_name)).group_by(t.buyer_code).order_by(t.buyer_code)
    buyer_names = [str(name) for _, name in await conn.execute(by_buyer)]
    sizes = np.bincount(lot, minlength=len(lots_found)).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    lot_names = [(str(code), str(number)) for code, number, _, _ in lots_found]
    when_lot = [_as_utc(cast_datetime(at)) for _, _, at, _ in lots_found]
    seconds = np.array([w.timestamp() for w in when_lot], dtype=np.float64)
    bids = market.Bids(
        lot=lot,
        buyer=rows[:, 1].astype(np.int64),
        bidder=rows[:, 2].astype(np.int64),
        price=np.ascontiguousarray(rows[:, 4]),
        valid=rows[:, 6] != 0,
        won=rows[:, 7] != 0,
        when=np.repeat(seconds, sizes),
    )
    return Table(
        bids=bids,
        offsets=offsets,
        ceilings=np.array([float(c) for _, _, _, c in lots_found], dtype=np.float64),
        managers=rows[:, 3].astype(np.int64),
        lot_names=lot_names,
        bidder_names=[name for _, name in bidders],
        bidder_codes=[code for code, _ in bidders],
        buyer_names=buyer_names,
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
