"""Published statistics against a small catalog computed by hand."""

from datetime import UTC, datetime, timedelta

from catalog.stats import CaseFacts, ItemFacts, case_statistics, item_statistics

DUE = datetime(2026, 3, 10, 16, tzinfo=UTC)
ITEMS = [
    ItemFacts("行政审批", "甲局", "city", 20, 5, True),
    ItemFacts("行政审批", "甲局", "county", 10, 2, False),
    ItemFacts("行政确认", "乙局", "city", 0, 0, True),  # on the spot: no statutory limit to compress
    ItemFacts("行政给付", "乙局", "town", 30, 8, True, delegated=True),
]
CASES = [
    CaseFacts("甲局", "done", DUE - timedelta(days=1), DUE, "good"),
    CaseFacts("甲局", "done", DUE + timedelta(hours=1), DUE, "bad"),
    CaseFacts("甲局", "returned", DUE - timedelta(days=2), DUE, None),
    CaseFacts("甲局", "processing", None, DUE, None),  # still open: not counted
    CaseFacts("乙局", "done", DUE, DUE, "good"),  # finished at the deadline is on time
]


def test_item_statistics_by_hand() -> None:
    stats = item_statistics(ITEMS)
    assert stats["items"] == 4
    kinds = {row["kind"]: row["count"] for row in stats["by_kind"]}  # type: ignore[attr-defined]
    assert len(kinds) == 10 and kinds["行政审批"] == 2 and kinds["行政确认"] == 1 and kinds["其他"] == 0
    assert stats["by_level"] == [
        {"level": "city", "count": 2},
        {"level": "county", "count": 1},
        {"level": "town", "count": 1},
    ]
    assert stats["delegated"] == 1
    assert stats["by_department"] == [{"department": "乙局", "count": 2}, {"department": "甲局", "count": 2}]
    # Timed items: 20+10+30 = 60 statutory days, 5+2+8 = 15 promised → 75 % shorter.
    assert stats["time_limits"] == {
        "items_counted": 3,
        "avg_statutory_days": 20.0,
        "avg_promised_days": 5.0,
        "compression_rate": 0.75,
    }
    assert stats["online"] == {"items": 3, "share": 0.75}


def test_case_statistics_by_hand() -> None:
    rows = {row["department"]: row for row in case_statistics(CASES)}
    assert rows["甲局"] == {
        "department": "甲局",
        "finished": 3,
        "on_time": 2,
        "on_time_rate": 0.6667,
        "ratings": 2,
        "good": 1,
        "good_rate": 0.5,
    }
    assert rows["乙局"]["on_time_rate"] == 1.0 and rows["乙局"]["good_rate"] == 1.0


def test_empty_catalog_has_no_rates() -> None:
    stats = item_statistics([])
    assert stats["items"] == 0 and stats["online"] == {"items": 0, "share": None}
    assert stats["time_limits"]["compression_rate"] is None  # type: ignore[index]
    assert case_statistics([]) == []
