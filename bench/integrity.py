"""Benchmark of every collusion indicator (integrity/) over a city's years of lots, read from a database.

Usage: .venv/bin/python bench/integrity.py [--lots 100000] [--bids-per-lot 10] [--runs 3] [--seed 1]
       [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--no-postgres]

Generates ``lots`` lots with on average ``bids-per-lot`` bids (1,000,000 by default) in this run: honest
prices spread under each ceiling, one lot in a hundred rigged (prices in equal steps of 1% of the
ceiling), one in two hundred with two bids naming the same project manager, 50,000 bidders, 2,000
buyers, one bid in fifty disqualified. The bids go into integrity's market table
(``integrity_market_bids``, the table the flag job fills after each opening and signed report) in a
fresh SQLite file and in a throw-away PostgreSQL schema (created and dropped here; PostgreSQL from
--postgres, SUNBID_BENCH_POSTGRES_URL or SUNBID_TEST_POSTGRES_URL). Per backend and run it times:

- ``load_s``: ``integrity.table.load`` — the database load alone: one query of the columns the
  indicators read, through COPY ... TO STDOUT (asyncpg ``copy_from_query``) on PostgreSQL and the raw
  driver in 200,000-row batches on SQLite, the codes numbered in numpy;
- ``per_lot_s``: the per-lot indicators (P1–P5 prices, E3 project managers) over every lot;
- ``market_s``: every market indicator (M1–M4 and Cardinal's R018–R058) over every bid;
- ``indicators_s``: ``per_lot_s + market_s``, the indicators without the load.

Measured at full size on the quiet 2-core machine (2026-12-04, nothing else running, ``--runs 3``,
medians; 999,543 bids): SQLite load 7.22 s, per-lot 0.68 s, market 3.30 s; PostgreSQL load 6.38 s,
per-lot 0.69 s, market 3.38 s — so load + per-lot 7.9 s (target < 10 s) and load + market 10.5 s
(target < 30 s); the same flags on both (1,214 lots by price, 527 manager groups, 7,171 market flags);
peak RSS 1,477 MiB for the whole run, generation included (target < 2 GiB; the rows are generated and
written 50,000 at a time, since a million rows of Python objects held at once took it to 2,254 MiB).

The last line printed is one JSON object: ``lots``, ``bids``, ``seconds`` and ``seconds_per_100k_bids``
(the slowest backend's median load + per-lot + market), the per-backend medians, and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from integrity import market, table
from integrity.indicators import Lots
from integrity.models import MarketBid


def generate(n_lots: int, per_lot: int, seed: int) -> tuple[Lots, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(max(1, per_lot - 7), per_lot + 8, size=n_lots).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    ceilings = np.round(rng.uniform(1e5, 5e7, size=n_lots), 2)
    per_row = np.repeat(ceilings, sizes)
    prices = np.round(per_row * rng.uniform(0.80, 0.99, size=per_row.size), 2)
    rigged = np.flatnonzero(rng.random(n_lots) < 0.01)
    for i in rigged:
        start, stop = offsets[i], offsets[i + 1]
        prices[start:stop] = np.round(ceilings[i] * (0.90 + 0.01 * np.arange(stop - start)), 2)
    winners = offsets[:-1] + np.array(
        [np.argmin(prices[a:b]) for a, b in itertools.pairwise(offsets)], dtype=np.int64
    )
    lot_of = np.repeat(np.arange(n_lots, dtype=np.int64), sizes)
    # 50,000 bidders, distinct within a lot (a bidder bids once per lot).
    rank = np.arange(per_row.size, dtype=np.int64) - np.repeat(offsets[:-1], sizes)
    bidder = (np.repeat(rng.integers(0, 50_000, size=n_lots), sizes) + 997 * rank) % 50_000
    device = rng.integers(0, 2**62, size=per_row.size).astype(np.int64)
    shared = np.flatnonzero(rng.random(n_lots) < 0.005)
    device[offsets[shared] + 1] = device[offsets[shared]]
    return Lots(prices, offsets, ceilings, winners), lot_of, bidder, device


def market_bids(lots: Lots, lot_of: np.ndarray, bidder: np.ndarray, seed: int) -> market.Bids:
    """The same bids as a market table: 2,000 buyers, one bid in fifty disqualified, lots in time order."""
    rng = np.random.default_rng(seed + 1)
    won = np.zeros(lot_of.size, dtype=np.bool_)
    won[lots.winners] = True
    buyer = rng.integers(0, 2_000, size=len(lots.sizes))
    return market.Bids(
        lot=lot_of,
        buyer=buyer[lot_of].astype(np.int64),
        bidder=bidder,
        price=lots.prices,
        valid=won | (rng.random(lot_of.size) >= 0.02),
        won=won,
        when=lot_of.astype(np.float64),
    )


CHUNK = 50_000


def row_chunks(
    lots: Lots, lot_of: np.ndarray, bidder: np.ndarray, device: np.ndarray, seed: int
) -> Iterator[list[tuple]]:
    """The generated bids as rows of the market table (shared devices become shared managers), CHUNK
    rows at a time: a million rows of Python objects held at once would take more memory than the
    indicators measured here."""
    bids = market_bids(lots, lot_of, bidder, seed)
    _, manager = np.unique(device, return_inverse=True)
    start = datetime(2016, 1, 1, tzinfo=UTC)
    ceilings = np.repeat(lots.ceilings, lots.sizes)
    for i in range(0, lot_of.size, CHUNK):
        part = slice(i, i + CHUNK)
        yield [
            (
                f"B{lot:07d}",
                "1",
                f"91220200BUY{buyer:05d}",
                f"招标人{buyer:05d}",
                f"91220200BID{who:06d}",
                f"投标企业{who:06d}有限公司",
                f"经理{m:07d}",
                f"{price:.2f}",
                f"{ceiling:.2f}",
                valid,
                won,
                start + timedelta(minutes=lot),
            )
            for lot, buyer, who, m, price, ceiling, valid, won in zip(
                lot_of[part].tolist(),
                bids.buyer[part].tolist(),
                bidder[part].tolist(),
                manager[part].tolist(),
                lots.prices[part].tolist(),
                ceilings[part].tolist(),
                bids.valid[part].tolist(),
                bids.won[part].tolist(),
                strict=True,
            )
        ]


COLUMNS = (
    "tender_code", "lot_number", "buyer_code", "buyer_name", "bidder_code", "bidder_name",
    "project_manager", "price", "ceiling", "valid", "won", "opened_at",
)  # fmt: skip


async def fill(engine: AsyncEngine, chunks: Iterator[list[tuple]], postgres: bool) -> float:
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: MarketBid.__table__.create(sync))
    if postgres:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            for data in chunks:
                records = [(*r[:7], Decimal(r[7]), Decimal(r[8]), *r[9:]) for r in data]
                await raw.copy_records_to_table(
                    "integrity_market_bids", records=records, columns=list(COLUMNS)
                )
            await conn.commit()
    else:
        table = MarketBid.__table__
        async with engine.begin() as conn:
            for data in chunks:
                await conn.execute(table.insert(), [dict(zip(COLUMNS, r, strict=True)) for r in data])
    return time.perf_counter() - started


async def measure(engine: AsyncEngine, runs: int) -> dict[str, Any]:
    loads, per_lots, markets, flagged, groups, found = [], [], [], 0, 0, 0
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    for _ in range(runs):
        async with sessions() as session:
            started = time.perf_counter()
            loaded = await table.load(session)
            loads.append(time.perf_counter() - started)
        started = time.perf_counter()
        results = table.per_lot(loaded)
        per_lots.append(time.perf_counter() - started)
        started = time.perf_counter()
        across = table.across_market(loaded)
        markets.append(time.perf_counter() - started)
        flagged = int(np.logical_or.reduce([f.flagged for f in results.prices]).sum())
        groups = len(results.managers)
        found = sum(
            len(x)
            for x in (
                across.rotation, across.cover, across.single_buyers, across.concentrated_buyers,
                across.single_bid, across.close_to_winner[0], across.discounted[0], across.identical,
                across.all_but_winner, across.lowest_disqualified, across.disqualified_buyers[0],
                across.disqualified_bidders[0],
            )
        )  # fmt: skip
        print(
            f"  run: load {loads[-1]:.2f} s, per-lot {per_lots[-1]:.2f} s ({flagged} lots flagged by price, "
            f"{groups} shared-manager groups), market {markets[-1]:.2f} s ({found} market flags)",
            flush=True,
        )
        del loaded
    load_s, per_lot_s, market_s = (statistics.median(x) for x in (loads, per_lots, markets))
    return {
        "load_s": round(load_s, 3),
        "per_lot_s": round(per_lot_s, 3),
        "market_s": round(market_s, 3),
        "indicators_s": round(per_lot_s + market_s, 3),
        "seconds": round(load_s + per_lot_s + market_s, 3),
        "lots_flagged_by_price": flagged,
        "shared_manager_groups": groups,
        "market_flags": found,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    lots, lot_of, bidder, device = generate(args.lots, args.bids_per_lot, args.seed)
    bids = int(lot_of.size)
    report: dict[str, Any] = {"lots": args.lots, "bids": bids}
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp}/bench.db")
        fill_s = await fill(engine, row_chunks(lots, lot_of, bidder, device, args.seed), postgres=False)
        print(f"SQLite: {bids:,} bids written in {fill_s:.1f} s", flush=True)
        report["sqlite"] = await measure(engine, args.runs)
        await engine.dispose()
    if args.postgres:
        schema = f"bench_integrity_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(args.postgres)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            engine = create_async_engine(
                args.postgres, connect_args={"server_settings": {"search_path": schema}}
            )
            fill_s = await fill(engine, row_chunks(lots, lot_of, bidder, device, args.seed), postgres=True)
            print(f"PostgreSQL: {bids:,} bids written in {fill_s:.1f} s", flush=True)
            report["postgresql"] = await measure(engine, args.runs)
            await engine.dispose()
        finally:
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()
    else:
        print("PostgreSQL: skipped (pass --postgres or set SUNBID_BENCH_POSTGRES_URL)")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=100_000)
    parser.add_argument("--bids-per-lot", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SUNBID_BENCH_POSTGRES_URL") or os.environ.get("SUNBID_TEST_POSTGRES_URL"),
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if args.no_postgres:
        args.postgres = None
    report = asyncio.run(run(args))
    backends = [report[b] for b in ("sqlite", "postgresql") if b in report]
    slowest = max(b["seconds"] for b in backends)
    report["seconds"] = slowest
    report["seconds_per_100k_bids"] = round(slowest / report["bids"] * 100_000, 4)
    for backend in backends:
        backend["seconds_per_100k_bids"] = round(backend["seconds"] / report["bids"] * 100_000, 4)
    report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
