"""Benchmark of the per-lot collusion indicators (integrity/indicators.py) over a city's years of lots.

Usage: .venv/bin/python bench/integrity.py [--lots 100000] [--bids-per-lot 10] [--runs 3] [--seed 1]

Generates ``lots`` lots with on average ``bids-per-lot`` bids (1,000,000 by default) in this run: honest
prices spread under each ceiling, with one lot in a hundred rigged (prices in equal steps of 1% of the
ceiling), and a device key per bid (one in two hundred lots has two bidders sealing on one device).
Times every price indicator and the shared-evidence grouping over the whole batch (``seconds``, the
per-lot figure), then every market-level indicator of integrity/market.py over the same bids with 2,000
buyers (``seconds_market``), as the supervisors' nightly pass would run them. The baseline is one
``np.lexsort`` of the same prices by lot (the least any per-lot pass must do), timed in the same run.

Measured: the indicators over in-memory columns. Loading the columns from SQLite/PostgreSQL is not in
this figure yet (the evidence tables do not exist yet; see issue #21).
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrity import market
from integrity.indicators import Lots, price_flags, shared_evidence


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
    bidder = rng.integers(0, 50_000, size=per_row.size).astype(np.int64)
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


def run_market(bids: market.Bids) -> int:
    """Every market-level indicator once; how many things they flag in all."""
    found = [
        market.single_bid(bids),
        market.price_close_to_winner(bids)[0],
        market.heavily_discounted(bids)[0],
        market.all_but_winner_disqualified(bids),
        market.lowest_bid_disqualified(bids),
        market.disqualified_ratio(bids, bids.buyer)[0],
        market.disqualified_ratio(bids, bids.bidder)[0],
        *market.concentrated_buyers(bids),
    ]
    listed = [market.identical_prices(bids), market.cover_bidding(bids), market.bid_rotation(bids)]
    return sum(len(f) for f in found) + sum(len(f) for f in listed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=100_000)
    parser.add_argument("--bids-per-lot", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    lots, lot_of, bidder, device = generate(args.lots, args.bids_per_lot, args.seed)
    bids_table = market_bids(lots, lot_of, bidder, args.seed)
    baseline, seconds, market_seconds, flagged, groups, market_flags = [], [], [], 0, 0, 0
    for _ in range(args.runs):
        started = time.perf_counter()
        np.lexsort((lots.prices, lot_of))
        baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        flags = price_flags(lots)
        found = shared_evidence(lot_of, bidder, device)
        seconds.append(time.perf_counter() - started)
        flagged = int(np.logical_or.reduce([f.flagged for f in flags]).sum())
        groups = len(found)
        started = time.perf_counter()
        market_flags = run_market(bids_table)
        market_seconds.append(time.perf_counter() - started)
        print(
            f"run: per-lot {seconds[-1]:.3f} s ({flagged} lots flagged by price, {groups} shared-device "
            f"groups), market {market_seconds[-1]:.3f} s ({market_flags} flags)"
        )
    bids = int(lots.prices.size)
    median = statistics.median(seconds)
    print(
        json.dumps(
            {
                "lots": args.lots,
                "bids": bids,
                "seconds": round(median, 3),
                "seconds_per_100k_bids": round(median / bids * 100_000, 4),
                "baseline_sort_seconds": round(statistics.median(baseline), 3),
                "ratio_to_sort": round(median / statistics.median(baseline), 2),
                "seconds_market": round(statistics.median(market_seconds), 3),
                "lots_flagged_by_price": flagged,
                "market_flags": market_flags,
                "shared_device_groups": groups,
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "source": "in-memory columns (database load not measured yet)",
            }
        )
    )


if __name__ == "__main__":
    main()
