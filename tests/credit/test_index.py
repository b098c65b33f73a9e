"""The index formula against hand-computed histories, and its properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from credit import index
from credit.index import NEVER, Deductions, compute, from_tenths, grade_of, history, to_tenths

D0 = date(2026, 1, 10)


def n(day: date) -> int:
    return day.toordinal()


def one_subject(*rows: tuple[int, date, int, date | None, bool]) -> Deductions:
    """(points in tenths, start, validity days, revoked on, bars) for subject 0."""
    return Deductions.of(
        [0] * len(rows),
        [p for p, *_ in rows],
        [n(s) for _, s, *_ in rows],
        [n(s + timedelta(days=v)) for _, s, v, *_ in rows],
        [n(r) if r else NEVER for *_, r, _ in rows],
        [b for *_, b in rows],
    )


def at(d: Deductions, day: date) -> tuple[int, bool]:
    result = compute(d, 1, n(day))
    return int(result.index[0]), bool(result.barred[0])


def test_expiry_on_the_exact_day() -> None:
    d = one_subject((50, D0, 30, None, False))  # 5 points for 30 days: counts 01-10 .. 02-08
    assert at(d, D0 - timedelta(days=1)) == (1000, False)
    assert at(d, D0) == (950, False)
    assert at(d, date(2026, 2, 8)) == (950, False)
    assert at(d, date(2026, 2, 9)) == (1000, False)


def test_revocation_counts_until_the_day_before() -> None:
    d = one_subject((50, D0, 30, None, False), (100, date(2026, 1, 15), 365, date(2026, 1, 20), True))
    assert at(d, date(2026, 1, 14)) == (950, False)
    assert at(d, date(2026, 1, 15)) == (850, True)
    assert at(d, date(2026, 1, 19)) == (850, True)
    assert at(d, date(2026, 1, 20)) == (950, False)  # revoked from that day on, not before


def test_floor_at_zero_and_never_above_100() -> None:
    d = one_subject(*[(300, D0, 10, None, False)] * 4)  # 120 points
    assert at(d, D0) == (0, False)
    assert int(compute(d, 1, n(D0)).deducted[0]) == 1200
    assert at(d, D0 + timedelta(days=10)) == (1000, False)
    empty = compute(Deductions.empty(), 3, n(D0))
    assert empty.index.tolist() == [1000, 1000, 1000] and not empty.barred.any()


def test_many_subjects_and_mixed_histories() -> None:
    d = Deductions.of(
        [0, 0, 2, 2, 2],
        [200, 35, 5, 150, 100],
        [n(D0)] * 5,
        [n(D0 + timedelta(days=365))] * 5,
        [NEVER, NEVER, NEVER, n(D0 + timedelta(days=3)), NEVER],
        [False, False, False, False, True],
    )
    result = compute(d, 4, n(D0 + timedelta(days=5)))
    assert result.index.tolist() == [765, 1000, 895, 1000]  # 100-20-3.5; 100-0.5-10
    assert result.barred.tolist() == [False, False, True, False]
    assert index.grades(result.index).tolist() == ["B", "A", "B", "A"]


def test_grades_are_bands_with_inclusive_minimums() -> None:
    cases = {1000: "A", 900: "A", 899: "B", 750: "B", 749: "C", 600: "C", 599: "D", 0: "D"}
    assert {k: grade_of(k) for k in cases} == cases


def test_decimal_conversions_are_exact() -> None:
    assert to_tenths(Decimal("2.5")) == 25 and to_tenths("20") == 200
    assert from_tenths(875) == Decimal("87.50")
    try:
        to_tenths(Decimal("0.25"))
    except ValueError:
        pass
    else:
        raise AssertionError("two decimal places must be refused")


deduction = st.tuples(
    st.integers(0, 2),  # subject
    st.integers(1, 400),  # tenths
    st.integers(0, 60),  # start
    st.integers(1, 40),  # validity
    st.one_of(st.none(), st.integers(0, 60)),  # revoked after start
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(deduction, max_size=25))
def test_index_only_rises_on_an_expiry_or_a_revocation(
    rows: list[tuple[int, int, int, int, int | None, bool]],
) -> None:
    d = Deductions.of(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[2] + r[3] for r in rows],
        [r[2] + r[4] if r[4] is not None else NEVER for r in rows],
        [r[5] for r in rows],
    )
    days = range(-1, 110)
    series = np.stack([compute(d, 3, day).index for day in days])  # day x subject
    assert ((series >= 0) & (series <= 1000)).all()
    for s in range(3):
        mine = [r for r in rows if r[0] == s]
        lone = Deductions.of(
            [0] * len(mine),
            [r[1] for r in mine],
            [r[2] for r in mine],
            [r[2] + r[3] for r in mine],
            [r[2] + r[4] if r[4] is not None else NEVER for r in mine],
            [r[5] for r in mine],
        )
        assert history(lone, list(days))[0].tolist() == series[:, s].tolist()
        for i in range(1, len(days)):
            if series[i, s] > series[i - 1, s]:
                day = days[i]
                assert any(
                    r[2] + r[3] == day or (r[4] is not None and r[2] + r[4] == day and r[4] < r[3])
                    for r in mine
                ), (s, day)
