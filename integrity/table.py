"""The market table (integrity_market_bids) read in one query into columns, and every indicator run
over it: the per-lot ones (P1–P5 prices, E3 project managers) and the market ones (M1–M4, Cardinal).

The supervisors' market page and bench/integrity.py both go through ``load``; the bench times the two
halves separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


# Every bid's columns the indicators read, the lot as one key (tender code, unit separator, lot number),
# the prices as floats, the flags as 0/1, and the names (each code's name is taken from its first row,
# which saves a grouped scan per kind). Read without SQLAlchemy's per-value processing: PostgreSQL
# streams it as text through COPY, SQLite through its own driver in large batches; the codes are then
# numbered in numpy (np.unique), so no Python object is made per bid beyond the driver's own.
SEP = "\x1f"
COLUMNS = (
    "SELECT tender_code || CHR(31) || lot_number, buyer_code, bidder_code, project_manager,"
    " CAST(price AS FLOAT), CAST(ceiling AS FLOAT),"
    " CASE WHEN valid THEN 1 ELSE 0 END, CASE WHEN won THEN 1 ELSE 0 END, buyer_name, bidder_name"
    " FROM integrity_market_bids"
)
WIDTH = 10


async def _columns(db: Db, chunk: int) -> list[list[Any]]:
    """The rows of ``COLUMNS`` as columns, by the fastest path the driver has."""
    conn = await db.connection()
    dialect = conn.dialect.name
    raw: Any = (await conn.get_raw_connection()).driver_connection
    if dialect == "postgresql" and hasattr(raw, "copy_from_query"):
        parts: list[bytes] = []

        async def sink(data: bytes) -> None:
            parts.append(bytes(data))

        await raw.copy_from_query(COLUMNS, output=sink, format="text")
        body = b"".join(parts).decode()
        if not body:
            return [[] for _ in range(WIDTH)]
        # COPY's text format: tab between fields, newline after each row (codes and names hold neither).
        fields = body[:-1].replace("\n", "\t").split("\t")
        return [fields[i::WIDTH] for i in range(WIDTH)]
    columns: list[list[Any]] = [[] for _ in range(WIDTH)]
    if dialect == "sqlite":
        query = COLUMNS.replace("CHR(31)", "CHAR(31)")
        cursor = await raw.execute(query)
        try:
            while part := await cursor.fetchmany(chunk):
                for column, values in zip(columns, zip(*part, strict=True), strict=True):
                    column.extend(values)
        finally:
            await cursor.close()
        return columns
    result = await conn.stream(text(COLUMNS).execution_options(yield_per=chunk))
    async for rows in result.partitions(chunk):
        for column, values in zip(columns, zip(*rows, strict=True), strict=True):
            column.extend(values)
    return columns


def _number(values: list[Any]) -> tuple[Ints, list[str], Ints]:
    """Each value's number among the distinct values (in sorted order), those values, and the first row
    holding each."""
    if not values:
        return np.zeros(0, dtype=np.int64), [], np.zeros(0, dtype=np.int64)
    distinct, first, index = np.unique(np.array(values, dtype=str), return_index=True, return_inverse=True)
    return index.astype(np.int64).reshape(-1), [str(v) for v in distinct.tolist()], first.astype(np.int64)


async def load(db: Db, chunk: int = 200_000) -> Table:
    """Every stored bid in one query (``COLUMNS``), numbered and grouped by lot here, then the lots'
    opening times, one row per lot."""
    t = MarketBid
    columns = await _columns(db, chunk)
    lot_keys, buyer_codes, bidder_codes, managers, price, ceiling, valid, won, buyers, bidders = columns
    lot_of, keys, _ = _number(lot_keys)
    order = np.argsort(lot_of, kind="stable")
    lot = lot_of[order]
    sizes = np.bincount(lot, minlength=len(keys)).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    conn = await db.connection()
    opened_at = {
        (str(code), str(number)): cast_datetime(at)
        for code, number, at in await conn.execute(
            select(t.tender_code, t.lot_number, func.min(t.opened_at)).group_by(t.tender_code, t.lot_number)
        )
    }
    buyer, _, buyer_first = _number(buyer_codes)
    bidder, codes, bidder_first = _number(bidder_codes)
    manager_index, manager_names, _ = _number(managers)
    if manager_names and manager_names[0] == "":  # sorted: a blank manager sorts first
        manager_index -= 1
    lot_names = [(code, number) for code, _, number in (key.partition(SEP) for key in keys)]
    when_lot = [_as_utc(opened_at[key]) for key in lot_names]
    seconds = np.array([w.timestamp() for w in when_lot], dtype=np.float64)
    ceilings = np.array(ceiling, dtype=np.float64)[order[offsets[:-1]]] if keys else np.zeros(0)
    bids = market.Bids(
        lot=lot,
        buyer=buyer[order],
        bidder=bidder[order],
        price=np.array(price, dtype=np.float64)[order],
        valid=np.array(valid, dtype=np.int64)[order] != 0,
        won=np.array(won, dtype=np.int64)[order] != 0,
        when=np.repeat(seconds, sizes),
    )
    return Table(
        bids=bids,
        offsets=offsets,
        ceilings=ceilings,
        managers=manager_index[order],
        lot_names=lot_names,
        bidder_names=[str(bidders[i]) for i in bidder_first.tolist()],
        bidder_codes=codes,
        buyer_names=[str(buyers[i]) for i in buyer_first.tolist()],
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
