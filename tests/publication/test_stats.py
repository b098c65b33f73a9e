"""Trading statistics, the bar chart and the notice-row readers, pure: every figure computed by hand."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal as D

import pytest

from publication import entries
from publication.chart import Series, bar_chart
from publication.stats import Award, TenderStat, compute, figures, percent, to_csv, to_json


def tender(code: str, month: str, category: str, region: str, budget: str, **over: object) -> TenderStat:
    return TenderStat(code, month, category, region, D(budget), **over)  # type: ignore[arg-type]


# T1 one lot, awarded 10 % under budget; T2 opened but not awarded; T3 two lots, both awarded;
# T4 zero budget, awarded anyway; T5 two lots, only lot 2 awarded.
FIXTURE = [
    tender(
        "T1", "2026-03", "construction", "220281", "1000000.00",
        lot_budgets={"1": D("1000000.00")}, awards=(Award("1", D("900000.00")),), bidders=4,
    ),
    tender("T2", "2026-03", "goods", "220202", "500000.00", bidders=3),
    tender(
        "T3", "2026-04", "construction", "220281", "2000000.00",
        lot_budgets={"1": D("1200000.00"), "2": D("800000.00")},
        awards=(Award("1", D("1140000.00")), Award("2", D("780000.00"))), bidders=5,
    ),
    tender(
        "T4", "2026-04", "services", "220202", "0.00",
        lot_budgets={"1": D("0.00")}, awards=(Award("1", D("10000.00")),),
    ),
    tender(
        "T5", "2026-04", "construction", "220281", "3000000.00",
        lot_budgets={"1": D("2000000.00"), "2": D("1000000.00")},
        awards=(Award("2", D("950000.00")),), bidders=3,
    ),
]  # fmt: skip


def row(f: object) -> tuple[object, ...]:
    return (
        f.key,  # type: ignore[attr-defined]
        f.tenders,  # type: ignore[attr-defined]
        f.budget,  # type: ignore[attr-defined]
        f.awarded_tenders,  # type: ignore[attr-defined]
        f.awarded_budget,  # type: ignore[attr-defined]
        f.award_amount,  # type: ignore[attr-defined]
        f.savings,  # type: ignore[attr-defined]
        f.savings_rate,  # type: ignore[attr-defined]
        f.opened_tenders,  # type: ignore[attr-defined]
        f.bidders,  # type: ignore[attr-defined]
        f.avg_bidders,  # type: ignore[attr-defined]
    )


def test_total_over_awarded_tenders_only() -> None:
    total = compute(FIXTURE).total
    # budget 1.0 + 0.5 + 2.0 + 0 + 3.0 M; awarded budget counts only awarded lots: 1.0 + 2.0 + 0 + 1.0 M
    # awards 0.9 + 1.92 + 0.01 + 0.95 M; savings 4.0 − 3.78 = 0.22 M; rate 0.22 / 4.0 = 5.5 %
    # bidders (4 + 3 + 5 + 3) / 4 tenders with an opening record = 3.75
    assert row(total) == (
        "total", 5, D("6500000.00"), 4, D("4000000.00"), D("3780000.00"), D("220000.00"), D("0.0550"),
        4, 15, D("3.75"),
    )  # fmt: skip
    assert percent(total.savings_rate) == "5.50%"


def test_by_month_category_and_region() -> None:
    stats = compute(FIXTURE, category_order=["construction", "goods", "services", "land"])
    assert [row(f) for f in stats.by_month] == [
        ("2026-03", 2, D("1500000.00"), 1, D("1000000.00"), D("900000.00"), D("100000.00"), D("0.1000"),
         2, 7, D("3.50")),
        ("2026-04", 3, D("5000000.00"), 3, D("3000000.00"), D("2880000.00"), D("120000.00"), D("0.0400"),
         2, 8, D("4.00")),
    ]  # fmt: skip
    construction = ("construction", 3, D("6000000.00"), 3, D("4000000.00"), D("3770000.00"),
                    D("230000.00"), D("0.0575"), 3, 12, D("4.00"))  # fmt: skip
    assert [row(f) for f in stats.by_category] == [
        construction,
        ("goods", 1, D("500000.00"), 0, D("0.00"), D("0.00"), D("0.00"), None, 1, 3, D("3.00")),
        # zero budget: savings are negative and there is no rate, rather than a division by zero
        ("services", 1, D("0.00"), 1, D("0.00"), D("10000.00"), D("-10000.00"), None, 0, 0, None),
    ]
    assert [row(f) for f in stats.by_region] == [
        ("220202", 2, D("500000.00"), 1, D("0.00"), D("10000.00"), D("-10000.00"), None, 1, 3, D("3.00")),
        ("220281", *construction[1:]),
    ]


def test_each_tender_has_its_own_row_newest_first() -> None:
    by_tender = compute(FIXTURE).by_tender
    assert [f.key for f in by_tender] == ["T5", "T4", "T3", "T2", "T1"]
    t5 = by_tender[0]  # only lot 2 awarded: 1,000,000 budget, 950,000 award, 5 %
    assert row(t5) == ("T5", 1, D("3000000.00"), 1, D("1000000.00"), D("950000.00"), D("50000.00"),
                       D("0.0500"), 1, 3, D("3.00"))  # fmt: skip
    assert by_tender[3].savings_rate is None  # T2: opened, not awarded


def test_rounding_an_unknown_lot_and_nothing_at_all() -> None:
    third = figures(
        "x",
        [
            tender("A", "2026-05", "goods", "220202", "300.00", lot_budgets={"1": D("300.00")},
                   awards=(Award("1", D("200.00")),), bidders=10),
            tender("B", "2026-05", "goods", "220202", "50.00", bidders=0),
            tender("C", "2026-05", "goods", "220202", "50.00", bidders=0),
        ],
    )  # fmt: skip
    assert (third.savings, third.savings_rate, third.avg_bidders) == (D("100.00"), D("0.3333"), D("3.33"))
    # an award naming a lot the tender does not have counts the whole tender's budget
    odd = tender("D", "2026-05", "goods", "220202", "700.00", lot_budgets={"1": D("300.00")},
                 awards=(Award("9", D("600.00")),))  # fmt: skip
    assert figures("y", [odd]).awarded_budget == D("700.00")
    empty = compute([])
    assert row(empty.total) == ("total", 0, D("0.00"), 0, D("0.00"), D("0.00"), D("0.00"), None, 0, 0, None)
    assert empty.by_month == empty.by_category == empty.by_region == empty.by_tender == []
    assert percent(None) == "—"


def test_csv_and_json_carry_the_same_figures() -> None:
    stats = compute(FIXTURE, category_order=["construction", "goods", "services"])
    labels = {"category": {"construction": "工程建设"}, "total": {"total": "合计"}}
    rows = list(csv.DictReader(io.StringIO(to_csv(stats, labels))))
    assert [(r["dimension"], r["key"]) for r in rows][:4] == [
        ("total", "total"),
        ("month", "2026-03"),
        ("month", "2026-04"),
        ("category", "construction"),
    ]
    assert len(rows) == 1 + 2 + 3 + 2 + 5
    t3 = next(r for r in rows if (r["dimension"], r["key"]) == ("tender", "T3"))
    assert (t3["budget"], t3["award_amount"], t3["savings_rate"]) == ("2000000.00", "1920000.00", "0.0400")
    first = rows[0]
    assert (first["label"], first["budget"], first["savings_rate"], first["avg_bidders"]) == (
        "合计", "6500000.00", "0.0550", "3.75",
    )  # fmt: skip
    services = next(r for r in rows if r["key"] == "services")
    assert (services["savings_rate"], services["avg_bidders"], services["label"]) == ("", "", "services")
    data = to_json(stats, labels)
    assert data["total"]["award_amount"] == D("3780000.00") and data["total"]["label"] == "合计"
    assert [f["key"] for f in data["by_region"]] == ["220202", "220281"]
    assert data["by_category"][0]["label"] == "工程建设"


def test_bar_chart_is_escaped_svg_with_one_bar_per_value() -> None:
    svg = bar_chart(
        ["2026-03", "<b>&"],
        [Series("预算", [D("100.00"), D("50.00")]), Series("中标", [D("90.00"), D("-10.00")])],
        title='chart "x" <y>',
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg
    assert 'aria-label="chart &#34;x&#34; &lt;y&gt;"' in svg
    bars = re.findall(r'<rect [^>]*height="([^"]+)" fill="[^"]+" data-label', svg)
    assert len(bars) == 4
    heights = [float(h) for h in bars]
    assert heights[0] > heights[1] > heights[2] > heights[3] > 0  # 100, 90 | 50, −10 (below the axis)
    assert 'data-value="-10.00"' in svg and "<script" not in svg
    assert "—" in bar_chart([], [], title="empty")
    with pytest.raises(ValueError):
        bar_chart(["a"], [Series("s", [1, 2])], title="bad")


def test_notice_rows_are_read_tolerantly_and_prices_only_for_opened_bids() -> None:
    bidder = {"name": "甲公司", "credit_code": "91220281mA0000001x"}
    bids = entries.bids(
        {
            "bids": [
                {"lot": "1", "bidder": bidder, "status": "opened", "price": "100.5"},
                {"lot": "1", "bidder": bidder, "status": "revoked", "price": "99.00"},
                {"lot": "1", "bidder": {"name": "no code"}, "status": "opened", "price": "1"},
                {"lot": "1", "bidder": bidder, "status": "sealed", "price": "1"},
                "junk",
            ]
        }
    )
    assert [(b.status, b.price, b.bidder.credit_code) for b in bids] == [
        ("opened", D("100.50"), "91220281MA0000001X"),
        ("revoked", None, "91220281MA0000001X"),
    ]
    assert entries.bids(None) == [] and entries.bids({"bids": "nope"}) == []
    awards = entries.awards({"awards": [{"lot": "2", "bidder": bidder, "price": "-1", "date": "nonsense"}]})
    assert [(a.lot, a.price, a.date) for a in awards] == [("2", None, None)]
    ranked = entries.candidates(
        {"candidates": [{"rank": 2, "bidder": bidder, "price": "2"}, {"rank": 1, "bidder": bidder}]}
    )
    assert [(c.rank, c.price) for c in ranked] == [(1, None), (2, D("2.00"))]
