"""Worked examples of the per-lot indicators, each at its threshold: the last value that flags and the
first that does not."""

from __future__ import annotations

import numpy as np
import pytest

from integrity.indicators import (
    CEILING_FRACTIONS,
    COVER_ABOVE_WINNER,
    EQUAL_STEPS,
    TIGHT_BAND,
    Lots,
    ceiling_fractions,
    cover_above_winner,
    equal_ratios,
    equal_steps,
    price_flags,
    shared_evidence,
    tight_band,
)


def test_equal_steps_flags_an_arithmetic_progression_and_its_edge():
    # 1,000,000 / 1,010,000 / 1,020,000: gaps 10,000 and 10,000, spread 0 -> flagged.
    # Gaps 10,000 and 10,100 differ by 100 = 0.995% of the mean gap 10,050 -> still flagged (<= 1%);
    # gaps 10,000 and 10,203 differ by 203 = 2.01% of the mean -> not flagged.
    lots = Lots.of(
        [
            [1_000_000, 1_010_000, 1_020_000],
            [1_000_000, 1_010_000, 1_020_100],
            [1_000_000, 1_010_000, 1_020_203],
        ],
        ceilings=[1_100_000] * 3,
    )
    found = equal_steps(lots)
    assert found.flagged.tolist() == [True, True, False]
    assert found.measure[0] == 0
    assert found.measure[1] == pytest.approx(100 / 10_050)


def test_equal_steps_needs_three_bids_and_ignores_order_of_arrival():
    lots = Lots.of([[1_020_000, 1_000_000, 1_010_000], [900_000, 950_000]], ceilings=[1_100_000] * 2)
    assert equal_steps(lots).flagged.tolist() == [True, False]


def test_equal_ratios_flags_a_geometric_progression_but_not_equal_prices():
    geometric = [1_000_000, 1_030_000, 1_060_900]  # x1.03 each
    lots = Lots.of([geometric, [500_000, 500_000, 500_000]], ceilings=[2_000_000] * 2)
    assert equal_ratios(lots).flagged.tolist() == [True, False]


def test_tight_band_at_half_a_percent():
    # 1,005,000 is exactly 0.5% above 1,000,000 -> flagged; 1,005,001 is just over -> not.
    lots = Lots.of(
        [[1_000_000, 1_002_000, 1_005_000], [1_000_000, 1_002_000, 1_005_001]], ceilings=[1_100_000] * 2
    )
    found = tight_band(lots)
    assert found.flagged.tolist() == [True, False]
    assert found.measure[0] == pytest.approx(TIGHT_BAND.threshold)


def test_cover_above_winner_every_loser_within_two_percent():
    # The winner bids 800,000; losers at +1% and +2% -> flagged; a loser at +2.01% -> not; a loser
    # below the winner (a price method that is not lowest-price) -> not.
    lots = Lots.of(
        [[800_000, 808_000, 816_000], [800_000, 808_000, 816_080], [800_000, 790_000, 808_000]],
        ceilings=[1_000_000] * 3,
        winners=[0, 0, 0],
    )
    found = cover_above_winner(lots)
    assert found.flagged.tolist() == [True, False, False]
    assert found.measure[0] == pytest.approx(COVER_ABOVE_WINNER.threshold)


def test_cover_above_winner_waits_for_a_ranking():
    lots = Lots.of([[800_000, 808_000, 816_000]], ceilings=[1_000_000])
    assert not cover_above_winner(lots).flagged.any()


def test_ceiling_fractions_every_bid_a_whole_half_percent():
    # Ceiling 1,234,567.89: 95%, 96.5% and 98% of it, each rounded to the cent, are flagged; the same
    # with one bid a cent off is not, nor are bids at round sums that are not round fractions.
    ceiling = 1_234_567.89
    exact = [1_172_839.50, 1_191_358.01, 1_209_876.53]
    off = [1_172_839.50, 1_191_358.01, 1_209_876.54]
    round_sums = [1_100_000.0, 1_150_000.0, 1_200_000.0]
    found = ceiling_fractions(Lots.of([exact, off, round_sums], ceilings=[ceiling] * 3))
    assert found.flagged.tolist() == [True, False, False]
    assert CEILING_FRACTIONS.threshold == 0.005


def test_honest_looking_prices_raise_nothing():
    rng = np.random.default_rng(7)
    honest = [list(np.round(rng.uniform(850_000, 990_000, size=6), 2)) for _ in range(200)]
    lots = Lots.of(honest, ceilings=[1_000_000] * 200, winners=[int(np.argmin(lot)) for lot in honest])
    assert sum(int(f.flagged.sum()) for f in price_flags(lots)) == 0


def test_a_batch_gives_the_same_flags_as_each_lot_alone():
    rows = [[1_000_000, 1_010_000, 1_020_000], [], [700_000], [1_000_000, 1_002_000, 1_004_000]]
    batch = price_flags(Lots.of(rows, ceilings=[1_100_000] * 4, winners=[0, -1, 0, 0]))
    for i, row in enumerate(rows):
        alone = price_flags(Lots.of([row], ceilings=[1_100_000], winners=[0 if row else -1]))
        assert [bool(f.flagged[i]) for f in batch] == [bool(f.flagged[0]) for f in alone]
    assert EQUAL_STEPS.basis.endswith("第（四）项")


def test_shared_evidence_groups_distinct_bidders_per_lot():
    # Lot 1: bidders 10 and 11 sealed on device 5; bidder 12 on device 6; bidder 10 twice on 5 counts once.
    # Lot 2: bidder 10 on device 5 alone -> no group (the same device in another lot is not this rule).
    lot = np.array([1, 1, 1, 1, 2])
    bidder = np.array([10, 11, 12, 10, 10])
    key = np.array([5, 5, 6, 5, 5])
    groups = shared_evidence(lot, bidder, key)
    assert [(g.lot, g.key, g.bidders) for g in groups] == [(1, 5, (10, 11))]
    assert shared_evidence(np.array([], np.int64), np.array([], np.int64), np.array([], np.int64)) == []
