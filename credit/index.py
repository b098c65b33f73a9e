"""The credit index, pure and vectorised: index(subject, day) = max(0, 100 − active deductions).

Everything here works in integers so that sums are exact: points are tenths of a point (a rule's
points have one decimal place) and days are proleptic ordinals (``date.toordinal()``).

A deduction is active on day d when ``start <= d < end`` and ``d < revoked``: ``end`` is the first
day it no longer counts (start + validity days), ``revoked`` the day a supervisor's revocation took
effect. Revocation corrects from that day on; earlier days keep the deduction (history is not rewritten).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import numpy.typing as npt

FULL = 1000  # 100.0 points, in tenths
NEVER = np.iinfo(np.int32).max  # "not revoked" as a day that never comes
TENTH = Decimal("0.1")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class GradeBand:
    letter: str
    minimum: int  # whole points: the band holds indexes >= minimum


# Grades are data: the first band whose minimum the index reaches.
GRADES: tuple[GradeBand, ...] = (
    GradeBand("A", 90),
    GradeBand("B", 75),
    GradeBand("C", 60),
    GradeBand("D", 0),
)


@dataclass(frozen=True)
class Deductions:
    """Deductions as columns; ``subject`` indexes into the caller's list of subjects."""

    subject: npt.NDArray[np.int64]
    points: npt.NDArray[np.int32]
    start: npt.NDArray[np.int32]
    end: npt.NDArray[np.int32]
    revoked: npt.NDArray[np.int32]
    bars: npt.NDArray[np.bool_]

    @classmethod
    def empty(cls) -> Deductions:
        return cls.of([], [], [], [], [], [])

    @classmethod
    def of(
        cls,
        subject: list[int] | npt.ArrayLike,
        points: list[int] | npt.ArrayLike,
        start: list[int] | npt.ArrayLike,
        end: list[int] | npt.ArrayLike,
        revoked: list[int] | npt.ArrayLike,
        bars: list[bool] | npt.ArrayLike,
    ) -> Deductions:
        return cls(
            np.asarray(subject, dtype=np.int64),
            np.asarray(points, dtype=np.int32),
            np.asarray(start, dtype=np.int32),
            np.asarray(end, dtype=np.int32),
            np.asarray(revoked, dtype=np.int32),
            np.asarray(bars, dtype=np.bool_),
        )

    def __len__(self) -> int:
        return int(self.subject.shape[0])


@dataclass(frozen=True)
class Result:
    index: npt.NDArray[np.int32]  # tenths of a point, 0..1000
    barred: npt.NDArray[np.bool_]
    deducted: npt.NDArray[np.int64]  # the active total before the floor at 0


def active(d: Deductions, day: int) -> npt.NDArray[np.bool_]:
    return (d.start <= day) & (day < d.end) & (day < d.revoked)


def compute(d: Deductions, n_subjects: int, day: int) -> Result:
    """Every subject's index on ``day``; subjects without deductions stay at 100."""
    mask = active(d, day)
    # bincount with integer weights goes through float64, exact for sums below 2**53 tenths.
    total = np.bincount(d.subject, weights=d.points * mask, minlength=n_subjects).astype(np.int64)
    index = np.clip(FULL - total, 0, FULL).astype(np.int32)
    barred = np.zeros(n_subjects, dtype=np.bool_)
    barred[d.subject[mask & d.bars]] = True
    return Result(index, barred, total)


def history(d: Deductions, days: npt.ArrayLike) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
    """One subject's index and barred flag on each of ``days`` (all of ``d`` is about that subject)."""
    day = np.asarray(days, dtype=np.int32)[:, None]
    mask = (d.start[None, :] <= day) & (day < d.end[None, :]) & (day < d.revoked[None, :])
    total = (mask * d.points[None, :]).sum(axis=1)
    barred = np.asarray((mask & d.bars[None, :]).any(axis=1), dtype=np.bool_)
    return np.clip(FULL - total, 0, FULL).astype(np.int32), barred


_THRESHOLDS = np.array(sorted(band.minimum * 10 for band in GRADES if band.minimum > 0), dtype=np.int32)
_LETTERS = np.array([band.letter for band in sorted(GRADES, key=lambda b: b.minimum)])


def grades(index: npt.NDArray[np.int32]) -> npt.NDArray[np.str_]:
    """Grade letters for indexes in tenths."""
    return _LETTERS[np.searchsorted(_THRESHOLDS, index, side="right")]


def grade_of(index_tenths: int) -> str:
    return str(grades(np.array([index_tenths], dtype=np.int32))[0])


def to_tenths(points: Decimal | int | str) -> int:
    value = Decimal(points)
    tenths = value / TENTH
    if tenths != tenths.to_integral_value():
        raise ValueError(f"points must have at most one decimal place, got {points}")
    return int(tenths)


def from_tenths(tenths: int) -> Decimal:
    return (Decimal(int(tenths)) * TENTH).quantize(CENT)


def day_number(day: date) -> int:
    return day.toordinal()
