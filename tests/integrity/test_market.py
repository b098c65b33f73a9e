"""Worked examples of the market-level indicators and of Cardinal's red flags, from their definitions."""

from __future__ import annotations

import numpy as np

from integrity.market import (
    Bids,
    all_but_winner_disqualified,
    bid_rotation,
    concentrated_buyers,
    cover_bidding,
    disqualified_ratio,
    fences,
    heavily_discounted,
    identical_prices,
    lowest_bid_disqualified,
    price_close_to_winner,
    single_bid,
)


def bids(rows: list[tuple[int, int, int, float, bool, bool]], when: dict[int, float] | None = None) -> Bids:
    """rows: (lot, buyer, bidder, price, valid, won)."""
    lot, buyer, bidder, price, valid, won = (np.array(col) for col in zip(*rows, strict=True))
    return Bids(
        lot=lot.astype(np.int64),
        buyer=buyer.astype(np.int64),
        bidder=bidder.astype(np.int64),
        price=price.astype(np.float64),
        valid=valid.astype(np.bool_),
        won=won.astype(np.bool_),
        when=np.array([(when or {}).get(int(x), float(x)) for x in lot], dtype=np.float64),
    )


def test_fences_are_tukeys():
    low, high = fences(np.array([0.05, 0.05, 0.06, 0.07, 0.07]))
    assert (round(low, 4), round(high, 4)) == (0.02, 0.1)


def test_r018_single_bid():
    found = single_bid(
        bids([(1, 9, 10, 100, True, True), (2, 9, 10, 100, True, True), (2, 9, 11, 101, True, False)])
    )
    assert found.tolist() == [1]


def test_r024_and_r058_second_lowest_against_the_winner():
    # Eight lots with the runner-up 5%..7% above the winner, one at +1% (close: R024), one at +15% (R058).
    rows = []
    gaps = [0.05, 0.05, 0.06, 0.06, 0.06, 0.07, 0.07, 0.07, 0.01, 0.15]
    for lot, gap in enumerate(gaps):
        rows += [(lot, 1, 10, 100_000, True, True), (lot, 1, 11, 100_000 * (1 + gap), True, False)]
    close, difference, low = price_close_to_winner(bids(rows))
    assert close.tolist() == [8] and round(float(difference[0]), 4) == 0.01 and low > 0.01
    discounted, _, high = heavily_discounted(bids(rows))
    assert discounted.tolist() == [9] and high < 0.15


def test_r024_leaves_out_a_lot_not_won_by_its_lowest_valid_bid():
    rows = [(1, 1, 10, 100, True, False), (1, 1, 11, 101, True, True)]
    assert price_close_to_winner(bids(rows))[0].tolist() == []


def test_r028_identical_prices_of_different_bidders():
    found = identical_prices(
        bids([(1, 1, 10, 500.0, True, True), (1, 1, 11, 500.0, True, False), (1, 1, 12, 500.01, True, False)])
    )
    assert found == [(1, (10, 11))]


def test_r035_and_r036_disqualifications():
    rows = [
        (1, 1, 10, 90, False, False),  # the lowest, disqualified (R036)
        (1, 1, 11, 95, False, False),
        (1, 1, 12, 99, True, True),  # the only valid bid, and it won (R035)
        (2, 1, 10, 90, True, True),
        (2, 1, 11, 95, False, False),
        (2, 1, 12, 99, True, False),
    ]
    assert all_but_winner_disqualified(bids(rows)).tolist() == [1]
    assert lowest_bid_disqualified(bids(rows)).tolist() == [1]


def test_r038_a_buyer_that_disqualifies_far_more_than_the_others():
    rows = []
    for buyer in range(1, 9):  # eight buyers disqualify 0, 1 or 2 bids in 10: upper fence 0.3875
        for k in range(10):
            rows.append((buyer * 100 + k, buyer, k, 100.0, k >= buyer % 3, k == 2))
    for k in range(10):  # buyer 99 disqualifies 8 in 10
        rows.append((9900 + k, 99, k, 100.0, k >= 8, k == 8))
    found = bids(rows)
    buyers, ratio, _ = disqualified_ratio(found, found.buyer)
    assert buyers.tolist() == [99] and float(ratio[0]) == 0.8


def test_cover_bidding_always_loses_to_the_same_winner():
    # 20 bids in lots 0-2 and loses all three to 10: a cover. 21 loses lots 0-1 to 10 but wins lot 3.
    rows = []
    for lot in range(3):
        rows += [(lot, 1, 10, 100, True, True), (lot, 1, 20, 101, True, False)]
    rows += [(0, 1, 21, 102, True, False), (1, 1, 21, 102, True, False)]
    rows += [(3, 1, 21, 99, True, True), (3, 1, 10, 100, True, False)]
    assert cover_bidding(bids(rows)) == [(20, 10, 3)]


def test_bid_rotation_same_three_taking_turns():
    ring = [
        (lot, 1, bidder, 100 + bidder, True, bidder == 10 + lot % 3)
        for lot in range(6)
        for bidder in (10, 11, 12)
    ]
    assert bid_rotation(bids(ring)) == [((10, 11, 12), (10, 11, 12, 10, 11, 12))]
    # The same three where 10 wins twice running is not a rotation.
    broken = [(lot, 1, b, 100.0, True, b == (10, 10, 11, 12)[lot]) for lot in range(4) for b in (10, 11, 12)]
    assert bid_rotation(bids(broken)) == []


def test_buyers_with_many_single_bidder_lots_and_one_favourite_winner():
    rows = []
    for buyer in range(1, 9):  # competitive buyers: two bidders, different winners
        for k in range(4):
            rows += [
                (buyer * 10 + k, buyer, 100 + k, 100, True, True),
                (buyer * 10 + k, buyer, 200 + k, 101, True, False),
            ]
    for k in range(4):  # buyer 99: every lot a single bid from firm 7
        rows.append((990 + k, 99, 7, 100, True, True))
    single, concentrated = concentrated_buyers(bids(rows))
    assert single.tolist() == [99] and concentrated.tolist() == [99]
