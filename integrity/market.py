"""Market-level red flags across tenders and time: who bids with whom, who wins, who always loses.

Pure numpy over one columnar table of bids (``Bids``: one row per bid, with its lot, the lot's buyer
(the tenderer, 招标人), the bidder, the price, whether the bid stayed valid and whether it won).

Two families:
- the rings the supervisors look for under 《招标投标法实施条例》第三十九条/第四十条 — bid rotation
  (the same group taking turns to win), cover bidding (a bidder that always loses to the same winner),
  single-bidder rates and the top winner's share per buyer;
- the red flags the open-contracting community's Cardinal tool defines over OCDS data
  (https://cardinal.readthedocs.io/, open-contracting/cardinal-rs docs/cli/indicators/R/), computed
  from their published definitions over this platform's own data: R018 single bid received, R024 price
  close to winning bid, R028 identical bid prices, R035 all except winning bid disqualified, R036 lowest
  bid disqualified, R038 excessive disqualified bids (per buyer and per tenderer), R058 heavily
  discounted bid. Cardinal's outlier fences (Q1 − 1.5·IQR, Q3 + 1.5·IQR) are computed the same way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from integrity.columns import distinct_rows, runs

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

ART_39 = "《招标投标法实施条例》第三十九条"


@dataclass(frozen=True)
class MarketRule:
    code: str
    name_zh: str
    name_en: str
    basis: str
    threshold: float
    minimum: int


ROTATION = MarketRule("M1", "轮流中标", "bid rotation", ART_39, threshold=0, minimum=4)
COVER = MarketRule("M2", "陪标", "cover bidding", ART_39, threshold=1.0, minimum=3)
SINGLE_BIDDER_RATE = MarketRule("M3", "单一投标人比例偏高", "single-bidder rate by buyer", ART_39, 1.5, 4)
WINNER_SHARE = MarketRule("M4", "中标集中于一家", "top winner's share by buyer", ART_39, 0.5, 4)
CARDINAL = "Cardinal (open-contracting/cardinal-rs), docs/cli/indicators/R/"
R018 = MarketRule("R018", "单一投标", "single bid received", CARDINAL + "018.md", threshold=1, minimum=1)
R024 = MarketRule("R024", "报价与中标价过近", "price close to winning bid", CARDINAL + "024.md", 1.5, 1)
R028 = MarketRule("R028", "报价相同", "identical bid prices", CARDINAL + "028.md", threshold=2, minimum=2)
R035 = MarketRule("R035", "仅中标人有效", "all except winning bid disqualified", CARDINAL + "035.md", 1, 1)
R036 = MarketRule("R036", "最低价被否决", "lowest bid disqualified", CARDINAL + "036.md", 1, 1)
R038 = MarketRule("R038", "否决比例偏高", "excessive disqualified bids", CARDINAL + "038.md", 1.5, 2)
R058 = MarketRule("R058", "中标价大幅低于次低价", "heavily discounted bid", CARDINAL + "058.md", 1.5, 1)


@dataclass(frozen=True)
class Bids:
    """One row per bid. ``lot`` numbers the contracting process (one lot of one tender); ``when`` orders
    lots in time (e.g. the opening's epoch seconds)."""

    lot: Ints
    buyer: Ints
    bidder: Ints
    price: Floats
    valid: Bools
    won: Bools
    when: Floats


def fences(values: Floats, k: float = 1.5) -> tuple[float, float]:
    """Tukey's fences (Q1 − k·IQR, Q3 + k·IQR), as Cardinal uses them; (−inf, inf) with no values."""
    if values.size == 0:
        return -np.inf, np.inf
    q1, q3 = np.percentile(values, [25, 75])
    return float(q1 - k * (q3 - q1)), float(q3 + k * (q3 - q1))


def _lots(bids: Bids) -> tuple[Ints, Ints]:
    """The distinct lots and, per bid, the index of its lot among them."""
    lots, index = np.unique(bids.lot, return_inverse=True)
    return lots, index.astype(np.int64)


def single_bid(bids: Bids) -> Ints:
    """R018: lots with exactly one bidder."""
    lots, index = _lots(bids)
    bidders = distinct_rows(index, bids.bidder)[:, 0]
    return lots[np.bincount(bidders, minlength=len(lots)) == 1]


def _winner_and_runner_up(bids: Bids) -> tuple[Ints, Floats, Floats]:
    """Per lot with one winning valid bid that is the lowest valid bid: the lot, the winning price and
    the second-lowest valid price (Cardinal R024/R058's exclusions: price-only awards, one award)."""
    lots, index = _lots(bids)
    valid = bids.valid
    order = np.lexsort((bids.price, index))
    valid_sorted = order[valid[order]]
    lot_of = index[valid_sorted]
    first = np.flatnonzero(np.r_[True, lot_of[1:] != lot_of[:-1]])
    # The row after each lot's lowest valid row is its second-lowest when it is of the same lot.
    after = first + 1
    has_second = after < lot_of.size
    has_second[has_second] = lot_of[after[has_second]] == lot_of[first[has_second]]
    lowest = valid_sorted[first[has_second]]
    second = valid_sorted[after[has_second]]
    winners_per_lot = np.bincount(index[bids.won], minlength=len(lots))
    keep = bids.won[lowest] & (winners_per_lot[index[lowest]] == 1)
    return lots[index[lowest][keep]], bids.price[lowest][keep], bids.price[second][keep]


def price_close_to_winner(bids: Bids, rule: MarketRule = R024) -> tuple[Ints, Floats, float]:
    """R024: (second-lowest valid − winning) / winning at or below the lower fence over all lots.
    Returns the flagged lots, their differences and the fence."""
    lots, winning, second = _winner_and_runner_up(bids)
    difference = (second - winning) / winning
    low, _ = fences(difference, rule.threshold)
    flagged = difference <= low
    return lots[flagged], difference[flagged], low


def heavily_discounted(bids: Bids, rule: MarketRule = R058) -> tuple[Ints, Floats, float]:
    """R058: the same difference at or above the upper fence."""
    lots, winning, second = _winner_and_runner_up(bids)
    difference = (second - winning) / winning
    _, high = fences(difference, rule.threshold)
    flagged = difference >= high
    return lots[flagged], difference[flagged], high


def identical_prices(bids: Bids) -> list[tuple[int, tuple[int, ...]]]:
    """R028: lots where different bidders bid the same price, with those bidders."""
    cents = np.round(bids.price * 100).astype(np.int64)
    rows = distinct_rows(bids.lot, cents, bids.bidder)
    starts, counts = runs(rows[:, :2])
    return [
        (int(rows[s, 0]), tuple(int(b) for b in rows[s : s + n, 2]))
        for s, n in zip(starts[counts >= 2], counts[counts >= 2], strict=True)
    ]


def all_but_winner_disqualified(bids: Bids, rule: MarketRule = R035) -> Ints:
    """R035: exactly one bidder has valid bids, that bidder won, and at least ``threshold`` other
    bidders were disqualified."""
    lots, index = _lots(bids)
    valid_bidders = distinct_rows(index[bids.valid], bids.bidder[bids.valid])
    n_valid = np.bincount(valid_bidders[:, 0], minlength=len(lots))
    invalid = ~bids.valid
    invalid_bidders = distinct_rows(index[invalid], bids.bidder[invalid])
    n_invalid = np.bincount(invalid_bidders[:, 0], minlength=len(lots))
    won_valid = np.bincount(index[bids.won & bids.valid], minlength=len(lots)) > 0
    return lots[(n_valid == 1) & won_valid & (n_invalid >= rule.threshold)]


def lowest_bid_disqualified(bids: Bids) -> Ints:
    """R036: a lot with an award whose lowest submitted bid was disqualified."""
    lots, index = _lots(bids)
    order = np.lexsort((bids.price, index))
    first = order[np.r_[True, index[order][1:] != index[order][:-1]]]
    awarded = np.bincount(index[bids.won], minlength=len(lots)) > 0
    flagged = ~bids.valid[first] & awarded[index[first]]
    return lots[index[first][flagged]]


def disqualified_ratio(bids: Bids, by: Ints, rule: MarketRule = R038) -> tuple[Ints, Floats, float]:
    """R038: per buyer (``by=bids.buyer``) or per bidder (``by=bids.bidder``), disqualified bids over
    submitted bids, flagged at or above the upper fence; groups with fewer than ``minimum`` bids are
    left out (Cardinal counts contracting processes for buyers; here bids for both, stated as such)."""
    groups, index = np.unique(by, return_inverse=True)
    submitted = np.bincount(index, minlength=len(groups))
    disqualified = np.bincount(index[~bids.valid], minlength=len(groups))
    enough = submitted >= rule.minimum
    ratio = disqualified[enough] / submitted[enough]
    _, high = fences(ratio.astype(np.float64), rule.threshold)
    flagged = (ratio >= high) & (ratio > 0)
    return groups[enough][flagged], ratio[flagged], high


def cover_bidding(bids: Bids, rule: MarketRule = COVER) -> list[tuple[int, int, int]]:
    """(loser, winner, lots): a bidder that bid in at least ``minimum`` lots, lost every one of them,
    and lost every one to the same winner."""
    lots, index = _lots(bids)
    winner = np.full(len(lots), -1, dtype=np.int64)
    winner[index[bids.won]] = bids.bidder[bids.won]
    pairs = distinct_rows(bids.bidder, index)  # one row per (bidder, lot)
    bidders, per_bidder = np.unique(pairs[:, 0], return_counts=True)
    lot_winner = winner[pairs[:, 1]]
    lost = (lot_winner >= 0) & (lot_winner != pairs[:, 0])
    losses = np.stack([pairs[lost, 0], lot_winner[lost]], axis=1)  # sorted by loser, not by winner
    losses = losses[np.lexsort((losses[:, 1], losses[:, 0]))]
    starts, count = runs(losses)
    pair = losses[starts]
    lots_of = dict(zip(bidders.tolist(), per_bidder.tolist(), strict=True))
    return [
        (int(loser), int(won_by), int(n))
        for (loser, won_by), n in zip(pair.tolist(), count.tolist(), strict=True)
        if n >= rule.minimum and n == lots_of[loser]
    ]


def bid_rotation(bids: Bids, rule: MarketRule = ROTATION) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """(group, winners in time order): the same set of three or more bidders bid together in at least
    ``minimum`` lots, a member won each, every member won at least once, and no one won twice running."""
    lots, index = _lots(bids)
    when = np.zeros(len(lots))
    when[index] = bids.when
    winner = np.full(len(lots), -1, dtype=np.int64)
    winner[index[bids.won]] = bids.bidder[bids.won]
    members: dict[int, set[int]] = defaultdict(set)
    for lot, bidder in zip(index.tolist(), bids.bidder.tolist(), strict=True):
        members[lot].add(bidder)
    together: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for lot, bidders in members.items():
        if len(bidders) >= 3 and winner[lot] >= 0:
            together[tuple(sorted(bidders))].append(lot)
    found = []
    for group, group_lots in together.items():
        if len(group_lots) < rule.minimum:
            continue
        winners = [int(winner[lot]) for lot in sorted(group_lots, key=lambda lot: when[lot])]
        if set(winners) == set(group) and all(a != b for a, b in pairwise(winners)):
            found.append((group, tuple(winners)))
    return found


def buyer_concentration(bids: Bids) -> tuple[Ints, Floats, Floats, Ints]:
    """Per buyer: how many lots it ran, its single-bidder rate and its top winner's share of its awards."""
    lots, index = _lots(bids)
    buyer_of = np.zeros(len(lots), dtype=np.int64)
    buyer_of[index] = bids.buyer
    lot_bidders = distinct_rows(index, bids.bidder)
    single = np.bincount(lot_bidders[:, 0], minlength=len(lots)) == 1
    buyers, buyer_index = np.unique(buyer_of, return_inverse=True)
    n_lots = np.bincount(buyer_index, minlength=len(buyers))
    single_rate = np.bincount(buyer_index, weights=single, minlength=len(buyers)) / n_lots
    won = np.stack([buyer_of[index[bids.won]], bids.bidder[bids.won]], axis=1)
    won = won[np.lexsort((won[:, 1], won[:, 0]))]
    starts, counts = runs(won)
    pairs = won[starts]
    top = np.zeros(len(buyers))
    awards = np.zeros(len(buyers))
    if len(pairs):
        at = np.searchsorted(buyers, pairs[:, 0])
        np.maximum.at(top, at, counts)
        np.add.at(awards, at, counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(awards > 0, top / awards, 0.0)
    return buyers, single_rate, share, n_lots


def concentrated_buyers(bids: Bids) -> tuple[Ints, Ints]:
    """M3 and M4: buyers whose single-bidder rate is at or above the upper fence (over buyers with at
    least ``minimum`` lots), and buyers whose top winner took more than ``threshold`` of their awards."""
    buyers, single_rate, share, n_lots = buyer_concentration(bids)
    enough = n_lots >= SINGLE_BIDDER_RATE.minimum
    _, high = fences(single_rate[enough], SINGLE_BIDDER_RATE.threshold)
    single = buyers[enough & (single_rate >= high) & (single_rate > 0)]
    concentrated = buyers[(n_lots >= WINNER_SHARE.minimum) & (share > WINNER_SHARE.threshold)]
    return single, concentrated
