"""Scoring for an evaluation committee (pure: no I/O).

Rounding — the one rule two implementations must share
------------------------------------------------------
Every intermediate value is exact ``Decimal`` arithmetic (28 significant digits; the only divisions
are means and the deviation ratio). A figure is rounded **once, when it is published**, to 0.01 with
ROUND_HALF_UP, and later figures are computed from the *published* (rounded) figures, so anyone can
recompute them from the evaluation report:

1. benchmark price ``B`` — rounded to 0.01 yuan;
2. each bidder's price score — computed from the published ``B``, rounded to 0.01 points;
3. each committee score per bidder and criterion — the (trimmed) mean of the members' scores,
   rounded to 0.01 points;
4. group totals and the comprehensive total — sums of published figures (exact, no rounding).

numpy arrays here hold ``Decimal`` objects (dtype=object): the code stays vectorised (sorting and
reductions along an axis of the member × bidder × criterion cube) while the arithmetic stays exact.
float64 would put half-cent boundaries (x.xx5) at the mercy of binary representation, and two
implementations could then disagree by a cent on a published figure.

Formulas (worked examples live in tests/evaluation/test_scoring.py)
-------------------------------------------------------------------
- Benchmark: ``B = round2(mean(P_kept) × (1 − c))``; ``P_kept`` are the valid bid prices, without
  one highest and one lowest when there are at least ``drop_extremes_min_bids`` of them; ``c`` is the
  coefficient drawn at opening.
- Deviation in percent: ``D = (P − B) / B × 100``.
- Price score: ``S = full`` when ``P = B``; ``S = round2(max(0, full − D × above))`` when ``P > B``;
  ``S = round2(max(0, full − |D| × below))`` when ``P < B``. Deductions are linear: a part of a
  percent deducts the same part of the per-percent points (插值).
- Committee score: mean of the members' scores; when at least ``trim_from`` scores count (default 7),
  one highest and one lowest are dropped first.
- Anomaly: see :func:`find_anomalies`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.params import (
    CENT,
    GROUPS,
    HUNDRED,
    MEMBER_GROUPS,
    UNEXPLAINED_ANOMALY_EVENT,
    AnomalyLimit,
    Criterion,
    EvaluationMethod,
    Group,
    Method,
    PriceScoreParams,
    ScoreError,
    ScoreKey,
    Sheets,
    as_decimal,
    from_tender_criteria,
    publish,
)
from evaluation.ranking import BidResult, Ranking, rank_comprehensive, rank_lowest_price

__all__ = [  # the parameters live in evaluation/params.py; this module is the one to import from
    "CENT",
    "GROUPS",
    "HUNDRED",
    "MEMBER_GROUPS",
    "UNEXPLAINED_ANOMALY_EVENT",
    "Anomaly",
    "AnomalyLimit",
    "AnomalyReview",
    "CreditEvent",
    "Criterion",
    "EvaluationMethod",
    "Group",
    "Method",
    "PriceScoreParams",
    "PriceScores",
    "ScoreError",
    "ScoreKey",
    "ScoringResult",
    "Sheets",
    "aggregate",
    "allowed_values",
    "as_decimal",
    "benchmark_price",
    "committee_scores",
    "credit_events",
    "evaluate",
    "find_anomalies",
    "from_tender_criteria",
    "group_totals",
    "price_score",
    "price_scores",
    "publish",
    "review_anomalies",
    "validate_score",
]


def _exact() -> Any:
    # A fixed context so intermediate divisions agree everywhere, whatever the caller's context is.
    return localcontext(prec=28)


# --- member scores -----------------------------------------------------------------------------------


def allowed_values(criterion: Criterion) -> str:
    """Human description of the values a member may give, e.g. ``0 to 20 in steps of 0.5``."""
    return f"0 to {criterion.max_points} in steps of {criterion.step}"


def validate_score(criterion: Criterion, value: Any) -> Decimal:
    """A member's score for ``criterion``: in [0, max_points] and a multiple of step (exact Decimal)."""
    if criterion.group == "price":
        raise ScoreError(f"criterion {criterion.id} is the price score: the platform computes it")
    try:
        score = as_decimal(value, f"score for criterion {criterion.id}")
    except ScoreError as error:
        raise ScoreError(f"{error}; allowed: {allowed_values(criterion)}") from None
    if not 0 <= score <= criterion.max_points or score % criterion.step != 0:
        raise ScoreError(
            f"score {score} for criterion {criterion.id} is not allowed: {allowed_values(criterion)}"
        )
    return score


# --- price -------------------------------------------------------------------------------------------


def _prices(prices: Iterable[Any]) -> npt.NDArray[np.object_]:
    values = [as_decimal(p, "bid price") for p in prices]
    if not values:
        raise ScoreError("no valid bid price: the benchmark needs at least one")
    if any(p <= 0 for p in values):
        raise ScoreError("bid prices must be positive")
    return np.array(values, dtype=object)


def benchmark_price(prices: Iterable[Decimal], params: PriceScoreParams) -> Decimal:
    """``B = round2(mean(P_kept) × (1 − c))`` over the valid bids' prices (see the module docstring).

    Only one highest and one lowest are dropped even when several bids share the extreme price.
    """
    kept = np.sort(_prices(prices))
    if params.drop_extremes_min_bids is not None and len(kept) >= params.drop_extremes_min_bids:
        kept = kept[1:-1]
    with _exact():
        mean = kept.sum() / len(kept)
        return publish(mean * (1 - params.coefficient))


def _price_score(price: Decimal, benchmark: Decimal, params: PriceScoreParams) -> Decimal:
    with _exact():
        deviation = (price - benchmark) / benchmark * HUNDRED
        per_pct = params.deduct_per_pct_above if deviation > 0 else params.deduct_per_pct_below
        return publish(max(Decimal(0), params.full_points - abs(deviation) * per_pct))


def price_score(price: Decimal, benchmark: Decimal, params: PriceScoreParams) -> Decimal:
    """``full − |D| × (above if P > B else below)``, never below 0, rounded to 0.01 (D in percent)."""
    benchmark = as_decimal(benchmark, "benchmark price")
    if benchmark <= 0:
        raise ScoreError("the benchmark price must be positive")
    return _price_score(_prices([price])[0], benchmark, params)


@dataclass(frozen=True)
class PriceScores:
    benchmark: Decimal
    scores: Mapping[str, Decimal]


def price_scores(prices: Mapping[str, Decimal], params: PriceScoreParams) -> PriceScores:
    """The benchmark over all of ``prices`` (the valid bids only) and each bidder's price score."""
    values = _prices(prices.values())
    benchmark = benchmark_price(values, params)
    score = np.frompyfunc(lambda p: _price_score(p, benchmark, params), 1, 1)
    return PriceScores(benchmark, dict(zip(prices, score(values), strict=True)))


# --- committee aggregation ---------------------------------------------------------------------------


def _aggregate_exact(scores: npt.NDArray[np.object_], trim_from: int | None) -> Decimal:
    ordered = np.sort(scores)
    if trim_from is not None and len(ordered) >= trim_from:
        ordered = ordered[1:-1]  # one highest and one lowest, whatever ties there are
    with _exact():
        return Decimal(ordered.sum()) / len(ordered)


def aggregate(scores: Sequence[Decimal], *, trim_from: int | None = 7) -> Decimal:
    """The committee's score from its members' scores: the mean, rounded to 0.01; from ``trim_from``
    scores on, the mean without one highest and one lowest (None: never trim)."""
    if not scores:
        raise ScoreError("no member score to aggregate")
    values = np.array([as_decimal(s, "member score") for s in scores], dtype=object)
    return publish(_aggregate_exact(values, trim_from))


def _cube(
    sheets: Sheets, members: Sequence[str], bidders: Sequence[str], criteria: Sequence[Criterion]
) -> npt.NDArray[np.object_]:
    """members × bidders × criteria, every score validated; names every missing score."""
    cube = np.empty((len(members), len(bidders), len(criteria)), dtype=object)
    missing: list[str] = []
    for m, member in enumerate(members):
        for b, bidder in enumerate(bidders):
            row = sheets.get(member, {}).get(bidder, {})
            for c, criterion in enumerate(criteria):
                if criterion.id in row:
                    cube[m, b, c] = validate_score(criterion, row[criterion.id])
                else:
                    missing.append(f"member {member} → bidder {bidder} criterion {criterion.id}")
    if missing:
        raise ScoreError(f"scores missing: {'; '.join(missing)}")
    return cube


def committee_scores(
    sheets: Sheets,
    criteria: Sequence[Criterion],
    bidders: Sequence[str],
    *,
    trim_from: int | None = 7,
    dropped: Collection[ScoreKey] = (),
) -> dict[str, dict[str, Decimal]]:
    """bidder → criterion id → published committee score (see :func:`aggregate`).

    ``dropped`` holds (member, bidder, criterion id) scores that do not count — an anomaly left
    unexplained; the criterion is then aggregated over the remaining members, and ``trim_from``
    compares with the number of scores that count.
    """
    members = sorted(sheets)
    scored = [c for c in criteria if c.group in MEMBER_GROUPS]
    cube = _cube(sheets, members, bidders, scored)
    out: dict[str, dict[str, Decimal]] = {}
    for b, bidder in enumerate(bidders):
        out[bidder] = {}
        for c, criterion in enumerate(scored):
            keep = [(member, bidder, criterion.id) not in dropped for member in members]
            column = cube[:, b, c][np.array(keep, dtype=bool)]
            if len(column) == 0:
                raise ScoreError(f"no score counts for bidder {bidder} criterion {criterion.id}")
            out[bidder][criterion.id] = publish(_aggregate_exact(column, trim_from))
    return out


def group_totals(committee: Mapping[str, Decimal], criteria: Sequence[Criterion]) -> dict[str, Decimal]:
    """technical and commercial totals: sums of the published criterion scores (exact)."""
    totals = dict.fromkeys(MEMBER_GROUPS, Decimal("0.00"))
    for criterion in criteria:
        if criterion.group in MEMBER_GROUPS:
            totals[criterion.group] += committee[criterion.id]
    return totals


# --- anomalies ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anomaly:
    """A member's score that deviates from the other members' mean by more than the limit.

    ``unit`` is a criterion id (per criterion) or a group name (per group). ``others_mean`` and
    ``deviation`` are rounded to 0.01 for display; the test itself is exact.
    """

    member: str
    bidder: str
    unit: str
    score: Decimal
    others_mean: Decimal
    deviation: Decimal
    threshold: Decimal

    @property
    def key(self) -> ScoreKey:
        return (self.member, self.bidder, self.unit)

    def describe(self) -> str:
        return (
            f"member {self.member} gave bidder {self.bidder} {self.score} on {self.unit}, "
            f"{self.deviation} from the others' mean {self.others_mean} (limit {self.threshold})"
        )


def find_anomalies(
    sheets: Sheets, criteria: Sequence[Criterion], bidders: Sequence[str], limit: AnomalyLimit
) -> list[Anomaly]:
    """Every (member, bidder, unit) with ``|s − mean(others)| > threshold``.

    ``mean(others) = (Σ all − s) / (n − 1)``; the test is made without division, as
    ``|(n − 1)·s − (Σ all − s)| > (n − 1)·threshold``, so a deviation exactly at the limit is never an
    anomaly whatever the rounding. A committee of one has no others: no anomaly. Sorted by member,
    bidder, then the tender's criterion order.
    """
    members = sorted(sheets)
    scored = [c for c in criteria if c.group in MEMBER_GROUPS]
    cube = _cube(sheets, members, bidders, scored)
    n = len(members)
    if n < 2:
        return []
    if limit.per == "criterion":
        units = [c.id for c in scored]
        maxima = [c.max_points for c in scored]
        values = cube
    else:
        units = [g for g in MEMBER_GROUPS if any(c.group == g for c in scored)]
        maxima = [sum((c.max_points for c in scored if c.group == g), Decimal(0)) for g in units]
        values = np.stack(
            [cube[:, :, [i for i, c in enumerate(scored) if c.group == g]].sum(axis=2) for g in units],
            axis=2,
        )
    totals = values.sum(axis=0)  # bidders × units
    found: list[Anomaly] = []
    with _exact():
        for m, member in enumerate(members):
            for b, bidder in enumerate(bidders):
                for u, unit in enumerate(units):
                    score = Decimal(values[m, b, u])
                    others = Decimal(totals[b, u]) - score
                    threshold = limit.threshold(maxima[u])
                    if abs((n - 1) * score - others) > (n - 1) * threshold:
                        mean = others / (n - 1)
                        found.append(
                            Anomaly(
                                member, bidder, unit, score, publish(mean), publish(score - mean), threshold
                            )
                        )
    return found


def outliers_at_submit(
    sheets: Sheets,
    criteria: Sequence[Criterion],
    bidders: Sequence[str],
    limit: AnomalyLimit,
    member: str,
    members: Iterable[str],
    submitted: Iterable[str],
) -> list[Anomaly]:
    """The anomalies of ``member``'s sheet when it is the last one in (every other member has
    ``submitted``): the committee's mean is then final, and the member must give a reason for each
    before the sheet is accepted. The test is :func:`find_anomalies`' (a deviation exactly at the limit
    needs no reason). Earlier sheets have nothing final to compare with: their anomalies appear when
    the last sheet is in, and must be confirmed before the chair can close scoring."""
    others = set(members) - {member}
    if not others or others - set(submitted):
        return []
    subset = {m: sheets.get(m, {}) for m in (*sorted(others), member)}
    return [a for a in find_anomalies(subset, criteria, bidders, limit) if a.member == member]


@dataclass(frozen=True)
class AnomalyReview:
    """``confirmed``: explained with a reason, the score counts. ``unconfirmed``: block completion."""

    confirmed: tuple[Anomaly, ...]
    unconfirmed: tuple[Anomaly, ...]

    @property
    def blocking(self) -> bool:
        return bool(self.unconfirmed)


def review_anomalies(anomalies: Iterable[Anomaly], reasons: Mapping[ScoreKey, str]) -> AnomalyReview:
    """Split anomalies by whether the member confirmed the score with a (non-blank) reason."""
    confirmed: list[Anomaly] = []
    unconfirmed: list[Anomaly] = []
    for anomaly in anomalies:
        reason = reasons.get(anomaly.key, "")
        (confirmed if reason.strip() else unconfirmed).append(anomaly)
    return AnomalyReview(tuple(confirmed), tuple(unconfirmed))


@dataclass(frozen=True)
class CreditEvent:
    """What the service passes to credit's ``record_event_deduction`` (rule E02, 评分异常)."""

    event: str
    expert: str
    detail: str


def credit_events(unexplained: Iterable[Anomaly]) -> list[CreditEvent]:
    """One credit event per anomaly its member left unexplained."""
    return [CreditEvent(UNEXPLAINED_ANOMALY_EVENT, a.member, a.describe()) for a in unexplained]


# --- a whole evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringResult:
    """What scoring one evaluation gives: price scores (comprehensive method), the committee's
    scores per bidder, the ranking, and the bidders excluded with their reasons."""

    price: PriceScores | None
    committee: Mapping[str, Mapping[str, Decimal]]
    ranking: Ranking
    excluded: Mapping[str, str] = field(default_factory=dict)


def evaluate(
    method: EvaluationMethod,
    prices: Mapping[str, Decimal],
    sheets: Sheets,
    *,
    excluded: Mapping[str, str] | None = None,
    adjustments: Mapping[str, Decimal] | None = None,
    dropped: Collection[ScoreKey] = (),
) -> ScoringResult:
    """Score and rank the bids: ``prices`` of every opened bid, ``excluded`` bidder → reason (failed
    qualification or preliminary review), ``sheets`` the members' scores for the bidders still in.

    Comprehensive: benchmark and price scores over the bids still in, committee scores, total =
    price score + technical + commercial. Lowest evaluated price: evaluated price = price + the
    bidder's ``adjustments`` (priced deviations, published to 0.01); committee scores are kept only
    for the technical tie-break when the method has member criteria.
    """
    excluded = dict(excluded or {})
    adjustments = adjustments or {}
    valid = [b for b in prices if b not in excluded]
    committee = (
        committee_scores(sheets, method.criteria, valid, trim_from=method.trim_from, dropped=dropped)
        if method.member_criteria
        else {b: {} for b in valid}
    )
    totals = {b: group_totals(committee[b], method.criteria) for b in valid}
    if method.method == "comprehensive":
        assert method.price is not None  # checked by EvaluationMethod
        priced = price_scores({b: prices[b] for b in valid}, method.price) if valid else None
        results = [
            BidResult(
                bidder=b,
                price=prices[b],
                technical=totals[b]["technical"],
                commercial=totals[b]["commercial"],
                price_score=priced.scores[b] if priced else Decimal("0.00"),
            )
            for b in valid
        ]
        return ScoringResult(priced, committee, rank_comprehensive(results, excluded), excluded)
    results = [
        BidResult(
            bidder=b,
            price=prices[b],
            technical=totals[b]["technical"],
            commercial=totals[b]["commercial"],
            adjustments=as_decimal(adjustments.get(b, Decimal(0)), f"adjustments for {b}"),
        )
        for b in valid
    ]
    return ScoringResult(None, committee, rank_lowest_price(results, excluded), excluded)
