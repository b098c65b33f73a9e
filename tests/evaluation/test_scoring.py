"""Scoring: every formula with a hand-computed worked example, then properties (hypothesis)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bidding.criteria import default_criteria, validate_criteria
from evaluation.ranking import BidResult, RankingError, rank_comprehensive, rank_lowest_price
from evaluation.scoring import (
    UNEXPLAINED_ANOMALY_EVENT,
    AnomalyLimit,
    Criterion,
    EvaluationMethod,
    PriceScoreParams,
    ScoreError,
    aggregate,
    benchmark_price,
    committee_scores,
    credit_events,
    evaluate,
    find_anomalies,
    from_tender_criteria,
    group_totals,
    price_score,
    price_scores,
    review_anomalies,
    validate_score,
)

D = Decimal

# The five bids of the worked examples (yuan).
PRICES = {
    "A": D("1000000.00"),
    "B": D("980000.00"),
    "C": D("1050000.00"),
    "D": D("900000.00"),
    "E": D("1200000.00"),
}
PARAMS = PriceScoreParams(
    full_points=D(60),
    deduct_per_pct_above=D(1),
    deduct_per_pct_below=D("0.5"),
    drop_extremes_min_bids=5,
    coefficient=D("0.02"),
)
T1 = Criterion("T1", "technical", D(30), D("0.5"), "施工组织设计")
T2 = Criterion("T2", "technical", D(10), D(1), "质量保证措施")
C1 = Criterion("C1", "commercial", D(10), D("0.5"), "企业业绩")
P1 = Criterion("P1", "price", D(50), D("0.01"), "投标报价")


# --- parameters --------------------------------------------------------------------------------------


def test_criterion_is_validated_on_construction() -> None:
    with pytest.raises(ScoreError, match="group must be one of"):
        Criterion("X", "beauty", D(10), D(1))  # type: ignore[arg-type]
    with pytest.raises(ScoreError, match="max_points must be positive"):
        Criterion("X", "technical", D(0), D(1))
    with pytest.raises(ScoreError, match="step must be positive"):
        Criterion("X", "technical", D(10), D(0))
    with pytest.raises(ScoreError, match=r"max_points 10 is not a multiple of step 3"):
        Criterion("X", "technical", D(10), D(3))
    with pytest.raises(ScoreError, match="must be a Decimal"):
        Criterion("X", "technical", 10.0, D(1))  # type: ignore[arg-type]
    with pytest.raises(ScoreError, match="id must be a non-empty"):
        Criterion(" ", "technical", D(10), D(1))


def test_price_params_are_validated_on_construction() -> None:
    with pytest.raises(ScoreError, match="full_points must be positive"):
        PriceScoreParams(D(0), D(1), D(1))
    with pytest.raises(ScoreError, match="must not be negative"):
        PriceScoreParams(D(60), D(-1), D(1))
    with pytest.raises(ScoreError, match=r"coefficient must be in \[0, 1\)"):
        PriceScoreParams(D(60), D(1), D(1), coefficient=D(1))
    with pytest.raises(ScoreError, match="drop_extremes_min_bids"):
        PriceScoreParams(D(60), D(1), D(1), drop_extremes_min_bids=2)
    with pytest.raises(ScoreError, match="must be a Decimal"):
        PriceScoreParams(D(60), 1.5, D(1))  # type: ignore[arg-type]
    params = PriceScoreParams("60", "1", "0.5")  # type: ignore[arg-type]
    assert params.full_points == D(60)  # decimal strings are accepted and normalised


def test_anomaly_limit_and_method_are_validated() -> None:
    with pytest.raises(ScoreError, match="at most 100"):
        AnomalyLimit(D(120), "percent")
    with pytest.raises(ScoreError, match="must be positive"):
        AnomalyLimit(D(0), "points")
    assert AnomalyLimit(D(20)).threshold(D(30)) == D(6)  # 20 % of 30 points
    assert AnomalyLimit(D(5), "points").threshold(D(30)) == D(5)
    with pytest.raises(ScoreError, match="must total 100 points, not 90"):
        EvaluationMethod("comprehensive", (T1, T2, P1), PARAMS, AnomalyLimit(D(20)))
    with pytest.raises(ScoreError, match="exactly one price criterion"):
        EvaluationMethod("comprehensive", (T1, T2, C1), PARAMS, AnomalyLimit(D(20)))
    with pytest.raises(ScoreError, match="needs price score parameters"):
        EvaluationMethod("comprehensive", (T1, T2, C1, P1), None, AnomalyLimit(D(20)))
    with pytest.raises(ScoreError, match="ids repeat"):
        EvaluationMethod("lowest_price", (T1, T1), None, AnomalyLimit(D(20)))
    with pytest.raises(ScoreError, match="trim_from must be None or at least 3"):
        EvaluationMethod("lowest_price", (T1,), None, AnomalyLimit(D(20)), trim_from=2)
    with pytest.raises(ScoreError, match="method must be"):
        EvaluationMethod("auction", (T1,), None, AnomalyLimit(D(20)))  # type: ignore[arg-type]


def test_from_tender_criteria_maps_the_bidding_document() -> None:
    # bidding/criteria.py's default: T1 technical 30 step 0.5, C1 commercial 10 step 1, P1 price 60,
    # trimmed_mean benchmark, coefficient_max 0.05, above 1 / below 0.5 per percent, anomaly 20 %.
    method = from_tender_criteria(default_criteria(), coefficient=D("0.03"))
    assert method.method == "comprehensive"
    assert [(c.id, c.group, c.max_points, c.step) for c in method.criteria] == [
        ("T1", "technical", D(30), D("0.5")),
        ("C1", "commercial", D(10), D(1)),
        ("P1", "price", D(60), D("0.01")),
    ]
    assert method.price == PriceScoreParams(D(60), D(1), D("0.5"), 5, D("0.03"))
    assert method.anomaly == AnomalyLimit(D(20), "percent", "criterion")
    assert method.qualification_items == ("Q1", "Q2")
    assert [c.id for c in method.member_criteria] == ["T1", "C1"]
    with pytest.raises(ScoreError, match=r"exceeds the tender's coefficient_max 0.05"):
        from_tender_criteria(default_criteria(), coefficient=D("0.06"))


def test_from_tender_criteria_lowest_price_and_plain_mean() -> None:
    doc = validate_criteria(
        {
            "method": "lowest_price",
            "qualification": [{"id": "Q1", "text": "资质"}],
            "scored": [{"id": "T1", "group": "technical", "name": "方案", "max_points": "10", "step": "1"}],
            "price": {"benchmark": "mean"},
        }
    )
    method = from_tender_criteria(doc)
    assert method.method == "lowest_price" and method.price is None
    doc2 = {**default_criteria(), "price": {**default_criteria()["price"], "benchmark": "mean"}}
    assert from_tender_criteria(doc2).price is not None
    assert from_tender_criteria(doc2).price.drop_extremes_min_bids is None  # type: ignore[union-attr]


# --- validate_score ----------------------------------------------------------------------------------


def test_validate_score_accepts_multiples_of_step_within_bounds() -> None:
    assert validate_score(T1, D("0")) == D(0)
    assert validate_score(T1, D("17.5")) == D("17.5")
    assert validate_score(T1, "30") == D(30)
    assert validate_score(T2, 7) == D(7)


@pytest.mark.parametrize("value", [D("17.3"), D("-0.5"), D("30.5"), D("0.25")])
def test_validate_score_names_criterion_and_allowed_values(value: Decimal) -> None:
    with pytest.raises(ScoreError, match=r"criterion T1 is not allowed: 0 to 30 in steps of 0.5"):
        validate_score(T1, value)


def test_validate_score_refuses_floats_nan_and_the_price_criterion() -> None:
    with pytest.raises(ScoreError, match=r"criterion T1.*allowed: 0 to 30 in steps of 0.5"):
        validate_score(T1, 17.5)
    with pytest.raises(ScoreError, match="must be finite"):
        validate_score(T1, D("NaN"))
    with pytest.raises(ScoreError, match="platform computes it"):
        validate_score(P1, D(50))


# --- benchmark price ---------------------------------------------------------------------------------


def test_benchmark_drops_extremes_and_applies_the_coefficient() -> None:
    # 5 valid bids ≥ drop_extremes_min_bids 5: drop the highest E 1,200,000 and the lowest D 900,000.
    # mean(A, B, C) = (1,000,000 + 980,000 + 1,050,000) / 3 = 3,030,000 / 3 = 1,010,000.00
    # B = 1,010,000.00 × (1 − 0.02) = 989,800.00
    assert benchmark_price(PRICES.values(), PARAMS) == D("989800.00")


def test_benchmark_keeps_extremes_below_the_bid_count() -> None:
    # 4 bids < 5: no drop. mean = (1,000,000 + 980,000 + 1,050,000 + 900,000) / 4 = 982,500
    # × 0.98 = 962,850.00
    four = [PRICES[k] for k in "ABCD"]
    assert benchmark_price(four, PARAMS) == D("962850.00")
    # never dropping: mean of all five = 5,130,000 / 5 = 1,026,000 × 0.98 = 1,005,480.00
    never = PriceScoreParams(D(60), D(1), D("0.5"), None, D("0.02"))
    assert benchmark_price(PRICES.values(), never) == D("1005480.00")


def test_benchmark_drops_one_extreme_only_when_tied() -> None:
    # 100, 100, 200, 300, 300: drop one 100 and one 300 → mean(100, 200, 300) = 200.00
    params = PriceScoreParams(D(60), D(1), D(1), 5)
    assert benchmark_price([D(100), D(100), D(200), D(300), D(300)], params) == D("200.00")


def test_benchmark_rounds_half_up_once_at_the_end() -> None:
    # (100.00 + 100.01) / 2 = 100.005 exactly → 100.01 (ROUND_HALF_UP).
    # In float64 the mean is 100.00499999999999545…, which would publish 100.00: hence Decimal inside.
    params = PriceScoreParams(D(60), D(1), D(1))
    assert benchmark_price([D("100.00"), D("100.01")], params) == D("100.01")
    # coefficient applied before the only rounding: 333.33 × (1 − 0.015) = 328.33005 → 328.33
    params = PriceScoreParams(D(60), D(1), D(1), coefficient=D("0.015"))
    assert benchmark_price([D("333.33")], params) == D("328.33")


def test_benchmark_refuses_empty_and_non_positive_prices() -> None:
    with pytest.raises(ScoreError, match="at least one"):
        benchmark_price([], PARAMS)
    with pytest.raises(ScoreError, match="positive"):
        benchmark_price([D(0), D(10)], PARAMS)
    with pytest.raises(ScoreError, match="must be a Decimal"):
        benchmark_price([1000.0], PARAMS)  # type: ignore[list-item]


# --- price score -------------------------------------------------------------------------------------


def test_price_scores_worked_example() -> None:
    # B = 989,800.00 (above). Full 60; −1 point per % above, −0.5 point per % below; linear.
    # A 1,000,000: D = 10,200 / 989,800 × 100 = +1.0305112…%  → 60 − 1.0305112  = 58.9694888 → 58.97
    # B   980,000: D = −9,800 / 989,800 × 100 = −0.9900990…%  → 60 − 0.4950495  = 59.5049505 → 59.50
    # C 1,050,000: D = 60,200 / 989,800 × 100 = +6.0820368…%  → 60 − 6.0820368  = 53.9179632 → 53.92
    # D   900,000: D = −89,800 / 989,800 × 100 = −9.0725399…% → 60 − 4.5362700  = 55.4637300 → 55.46
    # E 1,200,000: D = 210,200 / 989,800 × 100 = +21.2366135…% → 60 − 21.2366135 = 38.7633865 → 38.76
    result = price_scores(PRICES, PARAMS)
    assert result.benchmark == D("989800.00")
    assert result.scores == {
        "A": D("58.97"),
        "B": D("59.50"),
        "C": D("53.92"),
        "D": D("55.46"),
        "E": D("38.76"),
    }
    assert all(s.as_tuple().exponent == -2 for s in result.scores.values())


def test_price_score_at_the_benchmark_is_full() -> None:
    assert price_score(D("989800.00"), D("989800.00"), PARAMS) == D("60.00")


def test_price_score_never_below_zero() -> None:
    # B = 100.00, P = 160.00: D = +60 %, 2 points per % → 10 − 120 < 0 → 0.00
    steep = PriceScoreParams(D(10), D(2), D(2))
    assert price_score(D("160.00"), D("100.00"), steep) == D("0.00")
    # P = 40.00: D = −60 % → 10 − 120 < 0 → 0.00
    assert price_score(D("40.00"), D("100.00"), steep) == D("0.00")


def test_price_score_rounds_half_up() -> None:
    # B = 100.00, P = 100.50: D = +0.5 %, 0.99 per % → 60 − 0.495 = 59.505 → 59.51 (half up)
    params = PriceScoreParams(D(60), D("0.99"), D(1))
    assert price_score(D("100.50"), D("100.00"), params) == D("59.51")


def test_below_the_benchmark_a_lower_price_scores_lower() -> None:
    # Deliberate (it discourages abnormally low bids): below B the deviation grows as the price falls.
    # B = 100.00, below 0.5 per %: P = 95.00 → D = −5 % → 60 − 2.5 = 57.50; P = 90.00 → −10 % → 55.00
    params = PriceScoreParams(D(60), D(1), D("0.5"))
    assert price_score(D("95.00"), D("100.00"), params) == D("57.50")
    assert price_score(D("90.00"), D("100.00"), params) == D("55.00")


def test_price_score_below_with_zero_deduction_is_full() -> None:
    params = PriceScoreParams(D(60), D(1), D(0))
    assert price_score(D("50.00"), D("100.00"), params) == D("60.00")


def test_price_score_refuses_a_non_positive_benchmark() -> None:
    with pytest.raises(ScoreError, match="benchmark price must be positive"):
        price_score(D(100), D(0), PARAMS)


# --- aggregation -------------------------------------------------------------------------------------


def test_aggregate_is_the_mean_below_seven() -> None:
    # (18 + 19.5 + 20 + 17 + 16) / 5 = 90.5 / 5 = 18.10
    assert aggregate([D(18), D("19.5"), D(20), D(17), D(16)]) == D("18.10")
    # 6 members, no trim: (10 + 17 + 18 + 19 + 20 + 25) / 6 = 109 / 6 = 18.1666… → 18.17
    assert aggregate([D(10), D(17), D(18), D(19), D(20), D(25)]) == D("18.17")


def test_aggregate_trims_from_seven() -> None:
    # 20, 18, 19, 17, 25, 18.5, 10 → drop 25 and 10 → (17 + 18 + 18.5 + 19 + 20) / 5 = 92.5 / 5 = 18.50
    # (the plain mean would be 127.5 / 7 = 18.2142… → 18.21)
    seven = [D(20), D(18), D(19), D(17), D(25), D("18.5"), D(10)]
    assert aggregate(seven) == D("18.50")
    assert aggregate(seven, trim_from=None) == D("18.21")
    # a configurable threshold, trim from 5: drop 16 and 20 → (17 + 18 + 19.5) / 3 = 18.1666… → 18.17
    assert aggregate([D(18), D("19.5"), D(20), D(17), D(16)], trim_from=5) == D("18.17")


def test_aggregate_rounds_half_up() -> None:
    # (10.5 + 10 + 10 + 10) / 4 = 10.125 → 10.13 (half-even would give 10.12)
    assert aggregate([D("10.5"), D(10), D(10), D(10)]) == D("10.13")
    with pytest.raises(ScoreError, match="no member score"):
        aggregate([])


SHEETS = {
    # member → bidder → criterion: T1 (30, step 0.5), C1 (10, step 0.5)
    "m1": {"X": {"T1": D(24), "C1": D(8)}, "Y": {"T1": D(20), "C1": D(7)}},
    "m2": {"X": {"T1": D(25), "C1": D("8.5")}, "Y": {"T1": D(21), "C1": D(7)}},
    "m3": {"X": {"T1": D(23), "C1": D(8)}, "Y": {"T1": D(19), "C1": D(6)}},
    "m4": {"X": {"T1": D(24), "C1": D(8)}, "Y": {"T1": D(20), "C1": D(7)}},
    "m5": {"X": {"T1": D(15), "C1": D(8)}, "Y": {"T1": D(20), "C1": D("6.5")}},
}


def test_committee_scores_per_criterion_then_group_totals() -> None:
    # X T1: (24 + 25 + 23 + 24 + 15) / 5 = 111 / 5 = 22.20;   X C1: (8 + 8.5 + 8 + 8 + 8) / 5 = 8.10
    # Y T1: (20 + 21 + 19 + 20 + 20) / 5 = 20.00;             Y C1: (7 + 7 + 6 + 7 + 6.5) / 5 = 6.70
    committee = committee_scores(SHEETS, [T1, C1, P1], ["X", "Y"])
    assert committee == {"X": {"T1": D("22.20"), "C1": D("8.10")}, "Y": {"T1": D("20.00"), "C1": D("6.70")}}
    assert group_totals(committee["X"], [T1, C1, P1]) == {"technical": D("22.20"), "commercial": D("8.10")}


def test_committee_scores_without_dropped_scores() -> None:
    # m5's X T1 left unexplained: (24 + 25 + 23 + 24) / 4 = 24.00
    committee = committee_scores(SHEETS, [T1, C1], ["X", "Y"], dropped={("m5", "X", "T1")})
    assert committee["X"]["T1"] == D("24.00")


def test_committee_scores_name_every_missing_score() -> None:
    partial = {**SHEETS, "m2": {"X": {"T1": D(25)}}}
    with pytest.raises(
        ScoreError, match=r"scores missing: member m2 → bidder X criterion C1; member m2 → bidder Y"
    ):
        committee_scores(partial, [T1, C1], ["X", "Y"])


def test_committee_scores_revalidate_member_scores() -> None:
    bad = {**SHEETS, "m2": {"X": {"T1": D("25.3"), "C1": D(8)}, "Y": {"T1": D(21), "C1": D(7)}}}
    with pytest.raises(ScoreError, match=r"score 25.3 for criterion T1"):
        committee_scores(bad, [T1, C1], ["X", "Y"])


# --- anomalies ---------------------------------------------------------------------------------------


def test_anomaly_per_criterion_percent_of_max() -> None:
    # Limit 20 % of T1's 30 points = 6 points; of C1's 10 points = 2 points.
    # m5 on X T1: others' mean = (24 + 25 + 23 + 24) / 4 = 24; |15 − 24| = 9 > 6 → anomaly.
    # m1 on X T1: others' mean = (25 + 23 + 24 + 15) / 4 = 21.75; |24 − 21.75| = 2.25 ≤ 6 → fine.
    # Every C1 deviation is at most |6 − 6.875| = 0.875 ≤ 2 → fine.
    found = find_anomalies(SHEETS, [T1, C1], ["X", "Y"], AnomalyLimit(D(20)))
    assert [
        (a.member, a.bidder, a.unit, a.score, a.others_mean, a.deviation, a.threshold) for a in found
    ] == [("m5", "X", "T1", D(15), D("24.00"), D("-9.00"), D(6))]
    assert "member m5 gave bidder X 15 on T1" in found[0].describe()


def test_anomaly_exactly_at_the_limit_is_not_an_anomaly() -> None:
    # m5 gives 18: others' mean 24, |18 − 24| = 6 = limit → not an anomaly (strictly greater only).
    at_limit = {**SHEETS, "m5": {"X": {"T1": D(18), "C1": D(8)}, "Y": {"T1": D(20), "C1": D("6.5")}}}
    assert find_anomalies(at_limit, [T1, C1], ["X", "Y"], AnomalyLimit(D(20))) == []
    # 17.5: |17.5 − 24| = 6.5 > 6 → anomaly
    over = {**SHEETS, "m5": {"X": {"T1": D("17.5"), "C1": D(8)}, "Y": {"T1": D(20), "C1": D("6.5")}}}
    assert [a.key for a in find_anomalies(over, [T1, C1], ["X", "Y"], AnomalyLimit(D(20)))] == [
        ("m5", "X", "T1")
    ]


def test_anomaly_with_a_non_terminating_mean_is_exact() -> None:
    # Three members, others' mean of m3 = (10 + 10.5) / 2... use 3 others: (10 + 10 + 10.5) / 3 = 10.1666…
    # Limit 2 points: m4 = 12.5: |12.5 − 10.1666…| = 2.3333… > 2 → anomaly; m4 = 12: 1.8333… → fine.
    crit = Criterion("T", "technical", D(20), D("0.5"))
    base = {"a": {"X": {"T": D(10)}}, "b": {"X": {"T": D(10)}}, "c": {"X": {"T": D("10.5")}}}
    limit = AnomalyLimit(D(2), "points")
    assert [
        a.member for a in find_anomalies({**base, "d": {"X": {"T": D("12.5")}}}, [crit], ["X"], limit)
    ] == ["d"]
    assert find_anomalies({**base, "d": {"X": {"T": D(12)}}}, [crit], ["X"], limit) == []


def test_anomaly_per_group_compares_group_totals() -> None:
    # Per group, points limit 5. X technical totals = T1 only: m5 15 vs others 24 → 9 > 5 → anomaly.
    # Y technical: m3 19 vs others (20 + 21 + 20 + 20) / 4 = 20.25 → 1.25 → fine.
    found = find_anomalies(SHEETS, [T1, C1], ["X", "Y"], AnomalyLimit(D(5), "points", "group"))
    assert [a.key for a in found] == [("m5", "X", "technical")]


def test_a_committee_of_one_has_no_anomaly() -> None:
    assert find_anomalies({"m1": SHEETS["m1"]}, [T1, C1], ["X", "Y"], AnomalyLimit(D(1), "points")) == []


def test_anomaly_confirmation_and_credit_events() -> None:
    limit = AnomalyLimit(D(5), "points")
    found = find_anomalies(SHEETS, [T1, C1], ["X", "Y"], limit)
    assert [a.key for a in found] == [("m5", "X", "T1")]
    review = review_anomalies(found, {})
    assert review.blocking and review.unconfirmed == tuple(found)
    review = review_anomalies(found, {("m5", "X", "T1"): "   "})  # a blank reason confirms nothing
    assert review.blocking
    review = review_anomalies(found, {("m5", "X", "T1"): "施工方案缺少冬季施工措施"})
    assert not review.blocking and review.confirmed == tuple(found)
    events = credit_events(found)
    assert [(e.event, e.expert) for e in events] == [(UNEXPLAINED_ANOMALY_EVENT, "m5")]
    assert UNEXPLAINED_ANOMALY_EVENT == "expert.unexplained_anomaly"  # credit/catalogue.py E02


# --- ranking -----------------------------------------------------------------------------------------


def test_comprehensive_ranking_with_stated_tie_breaks() -> None:
    results = [
        # total = price score + technical + commercial
        BidResult("A", D("1000000.00"), D("25.00"), D("8.00"), D("58.97")),  # 91.97
        BidResult("B", D("980000.00"), D("24.47"), D("8.00"), D("59.50")),  # 91.97, lower price
        BidResult("C", D("990000.00"), D("20.00"), D("8.00"), D("60.00")),  # 88.00
        BidResult("D", D("990000.00"), D("21.00"), D("7.00"), D("60.00")),  # 88.00, same price, more tech
        BidResult("F", D("990000.00"), D("20.00"), D("8.00"), D("60.00")),  # like C in every key
        BidResult("G", D("990000.00"), D("10.00"), D("5.00"), D("0.00")),  # 15.00
    ]
    ranking = rank_comprehensive(results, {"E": "资格审查 Q1 未通过"})
    assert ranking.order == ("B", "A", "D", "C", "F", "G")
    assert [r.rank for r in ranking.ranked] == [1, 2, 3, 4, 5, 6]
    assert [r.separated_by for r in ranking.ranked] == [None, "price", "total", "technical", "code", "total"]
    assert [r.bidder for r in ranking.candidates()] == ["B", "A", "D"]
    assert [(e.bidder, e.reason) for e in ranking.excluded] == [("E", "资格审查 Q1 未通过")]
    assert ranking.ranked[0].result.total == D("91.97")


def test_lowest_evaluated_price_ranking() -> None:
    results = [
        BidResult("A", D("970000.00"), technical=D("20")),  # 970,000, same price as D, less technical
        BidResult("B", D("960000.00"), technical=D("18"), adjustments=D("10000.00")),  # 970,000, lower price
        BidResult("C", D("980000.00"), technical=D("15"), adjustments=D("-30000.00")),  # 950,000
        BidResult("D", D("970000.00"), technical=D("25")),  # 970,000, higher price than B
    ]
    ranking = rank_lowest_price(results)
    assert ranking.order == ("C", "B", "D", "A")
    assert [r.separated_by for r in ranking.ranked] == [None, "evaluated_price", "price", "technical"]
    assert len(rank_lowest_price(results[:2]).candidates()) == 2  # fewer than three: all of them


def test_ranking_refuses_inconsistent_input() -> None:
    a = BidResult("A", D(1))
    with pytest.raises(RankingError, match="appears twice"):
        rank_comprehensive([a, a])
    with pytest.raises(RankingError, match="both ranked and excluded: A"):
        rank_comprehensive([a], {"A": "x"})
    with pytest.raises(RankingError, match="needs a reason: B"):
        rank_comprehensive([a], {"B": " "})


# --- a whole evaluation ------------------------------------------------------------------------------


def test_evaluate_comprehensive_end_to_end() -> None:
    # T1 30 + C1 10 + P1 60 = 100. Bidder E is out (qualification); X, Y and Z compete.
    params = PriceScoreParams(D(60), D(1), D("0.5"), 5, D(0))
    method = EvaluationMethod(
        "comprehensive", (T1, C1, Criterion("P1", "price", D(60), D("0.01"))), params, AnomalyLimit(D(20))
    )
    prices = {"X": D("1000000.00"), "Y": D("950000.00"), "Z": D("1100000.00"), "E": D("500000.00")}
    sheets = {
        m: {**s, "Z": {"T1": D(22), "C1": D(8)}} for m, s in SHEETS.items()
    }  # Z: 22.00 and 8.00 from every member
    result = evaluate(
        method, prices, sheets, excluded={"E": "资格审查 Q1 未通过"}, dropped={("m5", "X", "T1")}
    )
    # 3 valid bids < 5: no drop. B = (1,000,000 + 950,000 + 1,100,000) / 3 = 1,016,666.666… → 1,016,666.67
    assert result.price is not None and result.price.benchmark == D("1016666.67")
    # X: D = −16,666.67 / 1,016,666.67 × 100 = −1.6393443…% → 60 − 0.8196722 = 59.18
    # Y: D = −66,666.67 / 1,016,666.67 × 100 = −6.5573771…% → 60 − 3.2786885 = 56.72
    # Z: D = +83,333.33 / 1,016,666.67 × 100 = +8.1967211…% → 60 − 8.1967211 = 51.80
    assert result.price.scores == {"X": D("59.18"), "Y": D("56.72"), "Z": D("51.80")}
    # X = 59.18 + 24.00 (m5 dropped) + 8.10 = 91.28; Y = 56.72 + 20.00 + 6.70 = 83.42;
    # Z = 51.80 + 22.00 + 8.00 = 81.80
    assert [(r.bidder, r.result.total) for r in result.ranking.ranked] == [
        ("X", D("91.28")),
        ("Y", D("83.42")),
        ("Z", D("81.80")),
    ]
    assert [e.bidder for e in result.ranking.excluded] == ["E"]


def test_evaluate_lowest_price_end_to_end() -> None:
    method = EvaluationMethod("lowest_price", (T1,), None, AnomalyLimit(D(20)))
    sheets = {m: {b: {"T1": s[b]["T1"]} for b in s} for m, s in SHEETS.items()}
    prices = {"X": D("1000000.00"), "Y": D("990000.00")}
    result = evaluate(method, prices, sheets, adjustments={"Y": D("20000.00")})
    # X evaluated 1,000,000.00; Y 990,000 + 20,000 = 1,010,000.00 → X first
    assert result.price is None
    assert result.ranking.order == ("X", "Y")
    assert result.ranking.ranked[0].result.technical == D("22.20")


# --- properties --------------------------------------------------------------------------------------

prices_st = st.decimals(min_value=D("1000.00"), max_value=D("99999999.99"), places=2)
params_st = st.builds(
    PriceScoreParams,
    full_points=st.decimals(min_value=D(1), max_value=D(100), places=2),
    deduct_per_pct_above=st.decimals(min_value=D(0), max_value=D(5), places=2),
    deduct_per_pct_below=st.decimals(min_value=D(0), max_value=D(5), places=2),
    drop_extremes_min_bids=st.none() | st.integers(min_value=3, max_value=9),
    coefficient=st.decimals(min_value=D(0), max_value=D("0.10"), places=3),
)


@settings(max_examples=200, deadline=None)
@given(params_st, prices_st, prices_st, prices_st)
def test_price_score_is_bounded_and_monotone_on_each_side(
    params: PriceScoreParams, benchmark: Decimal, p: Decimal, q: Decimal
) -> None:
    low, high = sorted((p, q))
    s_low, s_high = price_score(low, benchmark, params), price_score(high, benchmark, params)
    for s in (s_low, s_high):
        assert D(0) <= s <= params.full_points and s.as_tuple().exponent == -2
    if low >= benchmark:  # above: the lower price is closer, never scores lower
        assert s_low >= s_high
    if high <= benchmark:  # below: the higher price is closer, never scores lower
        assert s_high >= s_low


@settings(max_examples=100, deadline=None)
@given(params_st, st.lists(prices_st, min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_benchmark_is_order_independent_and_within_the_prices(
    params: PriceScoreParams, prices: list[Decimal], rnd: random.Random
) -> None:
    benchmark = benchmark_price(prices, params)
    shuffled = prices[:]
    rnd.shuffle(shuffled)
    assert benchmark_price(shuffled, params) == benchmark
    factor = 1 - params.coefficient
    assert (min(prices) * factor).quantize(D("0.01")) - D("0.01") <= benchmark
    assert benchmark <= (max(prices) * factor).quantize(D("0.01")) + D("0.01")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=60), st.sampled_from([D("0.5"), D(1), D("0.25"), D("0.1")]))
def test_validate_score_accepts_exactly_the_steps(units: int, step: Decimal) -> None:
    crit = Criterion("T", "technical", step * 40, step)
    value = step * units
    if units <= 40:
        assert validate_score(crit, value) == value
    else:
        with pytest.raises(ScoreError):
            validate_score(crit, value)
    with pytest.raises(ScoreError):
        validate_score(crit, value + step / 2)


result_st = st.builds(
    BidResult,
    bidder=st.text(alphabet="ABCDEFGH", min_size=1, max_size=2),
    price=st.sampled_from([D("100.00"), D("101.00"), D("99.50")]),
    technical=st.sampled_from([D("10.00"), D("12.50"), D("20.00")]),
    commercial=st.sampled_from([D("5.00"), D("7.50")]),
    price_score=st.sampled_from([D("50.00"), D("52.50"), D("47.50")]),
    adjustments=st.sampled_from([D("0.00"), D("1.00"), D("-0.50")]),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(result_st, max_size=10, unique_by=lambda r: r.bidder),
    st.sampled_from([rank_comprehensive, rank_lowest_price]),
    st.randoms(use_true_random=False),
)
def test_ranking_is_a_total_order_stable_under_permutation(results, rank, rnd) -> None:  # type: ignore[no-untyped-def]
    ranking = rank(results)
    shuffled = results[:]
    rnd.shuffle(shuffled)
    assert rank(shuffled).order == ranking.order
    assert sorted(ranking.order) == sorted(r.bidder for r in results)
    for above, below in zip(ranking.ranked, ranking.ranked[1:], strict=False):
        a, b = above.result, below.result
        if rank is rank_comprehensive:
            key_a = (-a.total, a.price, -a.technical, a.bidder)
            key_b = (-b.total, b.price, -b.technical, b.bidder)
        else:
            key_a = (a.evaluated_price, a.price, -a.technical, a.bidder)
            key_b = (b.evaluated_price, b.price, -b.technical, b.bidder)
        assert key_a < key_b  # strictly: no two bids share a rank
        assert below.separated_by is not None
    assert ranking.candidates() == ranking.ranked[:3]
