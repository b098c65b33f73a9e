"""Evaluation parameters: frozen dataclasses validated on construction (pure: no I/O).

They map the tender's criteria document (bidding/criteria.py) through :func:`from_tender_criteria`;
evaluation/scoring.py re-exports everything here, so callers import from ``evaluation.scoring``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

import msgspec
from msgspec.structs import force_setattr

GROUPS = ("technical", "commercial", "price")
MEMBER_GROUPS = ("technical", "commercial")  # scored by members; price is computed by the platform
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
UNEXPLAINED_ANOMALY_EVENT = "expert.unexplained_anomaly"  # credit/catalogue.py rule E02

Group = Literal["technical", "commercial", "price"]
Method = Literal["comprehensive", "lowest_price"]
# member → bidder → criterion id → score
Sheets = Mapping[str, Mapping[str, Mapping[str, Decimal]]]
ScoreKey = tuple[str, str, str]  # (member, bidder, criterion id or group)


class ScoreError(ValueError):
    """A parameter, score or input that the evaluation rules do not allow."""


def publish(value: Decimal) -> Decimal:
    """Round a figure for publication: 0.01, ROUND_HALF_UP (the only rounding in this module)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def as_decimal(value: Any, where: str) -> Decimal:
    """A finite Decimal from a Decimal, int or decimal string; floats are refused (money is exact)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ScoreError(f"{where} must be a Decimal, an int or a decimal string, not {value!r}")
    try:
        number = Decimal(value) if not isinstance(value, str) else Decimal(value.strip())
    except InvalidOperation:
        raise ScoreError(f"{where} is not a number: {value!r}") from None
    if not number.is_finite():
        raise ScoreError(f"{where} must be finite")
    return number


# --- parameters --------------------------------------------------------------------------------------


class Criterion(msgspec.Struct, frozen=True):
    """A scored criterion: members give a multiple of ``step`` in [0, ``max_points``].

    Its weight in comprehensive scoring is its ``max_points`` (the tender's points total 100).
    """

    id: str
    group: Group
    max_points: Decimal
    step: Decimal
    name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ScoreError("criterion id must be a non-empty string")
        if self.group not in GROUPS:
            raise ScoreError(f"criterion {self.id}: group must be one of {', '.join(GROUPS)}")
        points = as_decimal(self.max_points, f"criterion {self.id} max_points")
        step = as_decimal(self.step, f"criterion {self.id} step")
        if points <= 0:
            raise ScoreError(f"criterion {self.id}: max_points must be positive, not {points}")
        if step <= 0:
            raise ScoreError(f"criterion {self.id}: step must be positive, not {step}")
        if points % step != 0:
            raise ScoreError(f"criterion {self.id}: max_points {points} is not a multiple of step {step}")
        force_setattr(self, "max_points", points)
        force_setattr(self, "step", step)


@dataclass(frozen=True)
class PriceScoreParams:
    """How the price score is computed (see the module docstring for the formula).

    ``drop_extremes_min_bids``: drop one highest and one lowest price from the benchmark mean when at
    least this many valid bids remain (None: never drop). At least 3, so a price always remains.
    ``coefficient``: the coefficient drawn at opening, in [0, 1).
    """

    full_points: Decimal
    deduct_per_pct_above: Decimal
    deduct_per_pct_below: Decimal
    drop_extremes_min_bids: int | None = None
    coefficient: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        full = as_decimal(self.full_points, "price full_points")
        above = as_decimal(self.deduct_per_pct_above, "price deduct_per_pct_above")
        below = as_decimal(self.deduct_per_pct_below, "price deduct_per_pct_below")
        coefficient = as_decimal(self.coefficient, "price coefficient")
        if full <= 0:
            raise ScoreError(f"price full_points must be positive, not {full}")
        if above < 0 or below < 0:
            raise ScoreError("price deductions per percent must not be negative")
        if not 0 <= coefficient < 1:
            raise ScoreError(f"price coefficient must be in [0, 1), not {coefficient}")
        drop = self.drop_extremes_min_bids
        if drop is not None and (isinstance(drop, bool) or not isinstance(drop, int) or drop < 3):
            raise ScoreError(f"drop_extremes_min_bids must be None or an integer of at least 3, not {drop!r}")
        object.__setattr__(self, "full_points", full)
        object.__setattr__(self, "deduct_per_pct_above", above)
        object.__setattr__(self, "deduct_per_pct_below", below)
        object.__setattr__(self, "coefficient", coefficient)


class AnomalyLimit(msgspec.Struct, frozen=True):
    """The tender's limit on a member's deviation from the other members' mean.

    ``unit="points"``: the limit is absolute points. ``unit="percent"``: the limit is a percentage of
    the maximum points of what is compared (the criterion, or the group's total). The maximum, not
    the others' mean, is the base: a mean near zero would make any half point an anomaly on a bid
    the committee rightly scores low, while the maximum means the same on every bid.
    ``per``: compare each criterion, or each member's group total (technical, commercial).
    """

    value: Decimal
    unit: Literal["points", "percent"] = "percent"
    per: Literal["criterion", "group"] = "criterion"

    def __post_init__(self) -> None:
        value = as_decimal(self.value, "anomaly limit")
        if value <= 0:
            raise ScoreError(f"anomaly limit must be positive, not {value}")
        if self.unit not in ("points", "percent"):
            raise ScoreError("anomaly limit unit must be points or percent")
        if self.unit == "percent" and value > 100:
            raise ScoreError(f"anomaly limit in percent must be at most 100, not {value}")
        if self.per not in ("criterion", "group"):
            raise ScoreError("anomaly limit applies per criterion or per group")
        force_setattr(self, "value", value)

    def threshold(self, max_points: Decimal) -> Decimal:
        return self.value if self.unit == "points" else max_points * self.value / HUNDRED


@dataclass(frozen=True)
class EvaluationMethod:
    """Everything scoring needs from a tender, once the opening has drawn the coefficient."""

    method: Method
    criteria: tuple[Criterion, ...]
    price: PriceScoreParams | None
    anomaly: AnomalyLimit
    trim_from: int | None = 7
    qualification_items: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.method not in ("comprehensive", "lowest_price"):
            raise ScoreError("method must be comprehensive or lowest_price")
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ScoreError(f"criterion ids repeat: {', '.join(sorted(ids))}")
        if self.method == "comprehensive":
            if self.price is None:
                raise ScoreError("comprehensive scoring needs price score parameters")
            if sum(1 for c in self.criteria if c.group == "price") != 1:
                raise ScoreError("comprehensive scoring needs exactly one price criterion")
            total = sum((c.max_points for c in self.criteria), Decimal(0))
            if total != HUNDRED:
                raise ScoreError(f"comprehensive scoring must total 100 points, not {total}")
        if self.trim_from is not None and self.trim_from < 3:
            raise ScoreError("trim_from must be None or at least 3")

    @property
    def member_criteria(self) -> tuple[Criterion, ...]:
        """The criteria members score (technical and commercial; price is computed)."""
        return tuple(c for c in self.criteria if c.group in MEMBER_GROUPS)


def from_tender_criteria(
    doc: Mapping[str, Any],
    *,
    coefficient: Decimal = Decimal(0),
    drop_extremes_min_bids: int = 5,
    trim_from: int | None = 7,
) -> EvaluationMethod:
    """Map the tender's criteria document (bidding/criteria.py, already validated) onto the params.

    Field mapping: ``scored[]`` → :class:`Criterion`; the price criterion's ``max_points`` →
    ``full_points``; ``price.above_per_percent``/``below_per_percent`` → the deductions;
    ``price.benchmark`` ``"trimmed_mean"`` → drop extremes from ``drop_extremes_min_bids`` bids
    (the document does not say from how many; 5 is the usual rule), ``"mean"`` → never;
    ``anomaly_limit`` → a percentage per criterion. The document holds ``coefficient_max``; the
    coefficient itself is drawn at opening and passed here, and must not exceed that maximum.
    """
    criteria = tuple(
        Criterion(
            id=str(c["id"]),
            group=c["group"],
            max_points=as_decimal(c["max_points"], f"criterion {c['id']} max_points"),
            step=as_decimal(c.get("step", "0.5"), f"criterion {c['id']} step"),
            name=str(c.get("name", "")),
        )
        for c in doc.get("scored", [])
    )
    price_doc = doc.get("price", {})
    coefficient = as_decimal(coefficient, "coefficient")
    ceiling = as_decimal(price_doc.get("coefficient_max", "0"), "price coefficient_max")
    if coefficient > ceiling:
        raise ScoreError(f"the coefficient {coefficient} exceeds the tender's coefficient_max {ceiling}")
    method = doc.get("method")
    if method not in ("comprehensive", "lowest_price"):
        raise ScoreError(f"unknown evaluation method {method!r}")
    price_criteria = [c for c in criteria if c.group == "price"]
    price: PriceScoreParams | None = None
    if price_criteria:
        price = PriceScoreParams(
            full_points=price_criteria[0].max_points,
            deduct_per_pct_above=as_decimal(price_doc.get("above_per_percent", "1"), "above_per_percent"),
            deduct_per_pct_below=as_decimal(price_doc.get("below_per_percent", "0.5"), "below_per_percent"),
            drop_extremes_min_bids=(
                drop_extremes_min_bids if price_doc.get("benchmark", "mean") == "trimmed_mean" else None
            ),
            coefficient=coefficient,
        )
    return EvaluationMethod(
        method=method,
        criteria=criteria,
        price=price,
        anomaly=AnomalyLimit(as_decimal(doc.get("anomaly_limit", "20"), "anomaly_limit"), "percent"),
        trim_from=trim_from,
        qualification_items=tuple(str(q["id"]) for q in doc.get("qualification", [])),
    )
