"""The pure draw: every rule alone and combined, contradictions named, the lottery's order."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from experts import draw
from experts.draw import DrawInfeasible, DrawRules, Pool, Slot
from tests.experts.helpers import AGENT, BIDDER, DAY, TENDERER, company, row, rules, tender

SEED = bytes(32)


def eligible(rows, r=None, t=None):  # type: ignore[no-untyped-def]
    return draw.eligible_ids(Pool(rows), r or rules(), t or tender())[0]


def ids(*ns: int) -> list[str]:
    return sorted(f"E220200-{n:05d}" for n in ns)


def test_specialty() -> None:
    rows = [row(1), row(2, specialties=("B0101",)), row(3, specialties=("B0101", "A0101"))]
    assert eligible(rows) == ids(1, 3)


def test_status() -> None:
    rows = [row(1), row(2, status="suspended"), row(3, status="retired"), row(4, status="pending")]
    assert eligible(rows) == ids(1)


def test_available_on_the_evaluation_date() -> None:
    rows = [
        row(1, leave=((DAY - timedelta(days=5), DAY - timedelta(days=1)),)),
        row(2, leave=((DAY, DAY),)),
        row(3, leave=((DAY - timedelta(days=1), DAY + timedelta(days=1)),)),
    ]
    assert eligible(rows) == ids(1)


def test_counties_allowed() -> None:
    rows = [row(1, county="220221"), row(2, county="220281"), row(3, county="220202")]
    assert eligible(rows, rules(counties_allowed=("220221", "220281"))) == ids(1, 2)


def test_counties_excluded_and_tenderer_county() -> None:
    rows = [row(1, county="220221"), row(2, county="220281"), row(3, county="220202")]
    assert eligible(rows, rules(counties_excluded=("220221",))) == ids(2, 3)
    assert eligible(rows, rules(exclude_tenderer_county=True)) == ids(1, 2)


def test_employer_conflict_with_tenderer_agent_and_bidders() -> None:
    rows = [row(1, employer=TENDERER), row(2, employer=AGENT), row(3, employer=BIDDER), row(4)]
    assert eligible(rows) == ids(4)


def test_named_avoidance() -> None:
    rows = [row(1, avoid=(BIDDER,)), row(2, avoid=(company(999),)), row(3)]
    assert eligible(rows) == ids(2, 3)


def test_recent_evaluations_for_the_same_tenderer() -> None:
    rows = [row(1, recent=0), row(2, recent=2), row(3, recent=3)]
    assert eligible(rows, rules(max_recent_for_tenderer=2)) == ids(1, 2)
    assert eligible(rows) == ids(1, 2, 3)  # no rule, no limit


def test_credit_threshold_and_barred() -> None:
    rows = [
        row(1, credit=Decimal("95.0")),
        row(2, credit=Decimal("79.9")),
        row(3, credit=Decimal("99.0"), barred=True),
        row(4),  # no deductions: 100
    ]
    assert eligible(rows, rules(min_credit=Decimal(80))) == ids(1, 4)
    assert eligible(rows) == ids(1, 2, 4)  # no threshold, but a barring deduction still keeps 3 out


def test_all_rules_combined() -> None:
    rows = [
        row(1, county="220221"),
        row(2, county="220202"),  # tenderer's county
        row(3, county="220203", status="suspended"),
        row(4, county="220204", leave=((DAY, DAY),)),
        row(5, county="220211", employer=BIDDER),
        row(6, county="220281", avoid=(AGENT,)),
        row(7, county="220221", recent=5),
        row(8, county="220281", credit=Decimal("60")),
        row(9, county="220283"),  # not allowed
        row(10, county="220281"),
        row(11, county="220204", specialties=("C0101",)),
    ]
    combined = rules(
        experts=2,
        counties_allowed=("220202", "220203", "220204", "220211", "220221", "220281"),
        exclude_tenderer_county=True,
        max_recent_for_tenderer=2,
        min_credit=Decimal(80),
        min_counties=2,
        max_per_county=1,
    )
    assert eligible(rows, combined) == ids(1, 10)
    _, result = draw.draw(Pool(rows), combined, tender(), SEED, "DR-1")
    assert sorted(result[0].winners) == ids(1, 10)


def test_eligible_counts_name_how_many_each_rule_leaves() -> None:
    rows = [row(1), row(2, status="suspended"), row(3, county="220202"), row(4, employer=BIDDER)]
    _, counts = draw.slot_masks(Pool(rows), rules(exclude_tenderer_county=True), tender())
    by_rule = {r.rule: (r.passing, r.left) for r in counts[0].rules}
    assert counts[0].holders == 4
    assert by_rule["status"] == (3, 3)
    assert by_rule["counties_excluded"][1] < by_rule["status"][1]
    assert counts[0].eligible == 1


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        (DrawRules(slots=()), "slots"),
        (
            rules(counties_allowed=("220221",), counties_excluded=("220221",)),
            "counties_allowed/counties_excluded",
        ),
        (rules(experts=2, min_counties=3), "min_counties"),
        (rules(experts=3, counties_allowed=("220221", "220281"), min_counties=3), "min_counties"),
        (rules(max_per_county=0), "max_per_county"),
        (DrawRules(slots=(Slot("A0101", 0, 0),)), "slots"),
        (DrawRules(slots=(Slot("A0101", 1), Slot("A0101", 1))), "slots"),
    ],
)
def test_contradictions_are_named_before_drawing(bad: DrawRules, rule: str) -> None:
    with pytest.raises(DrawInfeasible) as caught:
        draw.eligible_ids(Pool([row(i) for i in range(10)]), bad, tender())
    assert caught.value.detail.startswith(rule) and caught.value.status_code == 422


def test_too_few_eligible_names_the_rule_and_counts() -> None:
    rows = [row(1), row(2, status="suspended"), row(3, status="suspended")]
    with pytest.raises(DrawInfeasible) as caught:
        draw.eligible_ids(Pool(rows), rules(experts=2, alternates=1), tender())
    detail = caught.value.detail
    assert detail.startswith("status:") and "仅剩 1 人" in detail and "status 1→1" in detail


def test_county_rules_unsatisfiable_on_the_pool() -> None:
    rows = [row(i, county="220221") for i in range(6)]
    with pytest.raises(DrawInfeasible, match=r"^min_counties"):
        draw.eligible_ids(Pool(rows), rules(experts=2, min_counties=2), tender())
    with pytest.raises(DrawInfeasible, match=r"^max_per_county"):
        draw.eligible_ids(Pool(rows), rules(experts=3, max_per_county=2), tender())


def test_lottery_ranks_by_hash_and_alternates_follow_in_order() -> None:
    rows = [row(i) for i in range(1, 21)]
    eligible_ids, result = draw.draw(Pool(rows), rules(experts=3, alternates=4), tender(), SEED, "DR-7")
    ranked = draw.rank(SEED, "DR-7", eligible_ids[0])
    assert list(result[0].winners) == ranked[:3] and list(result[0].alternates) == ranked[3:7]
    import hashlib

    first = min(eligible_ids[0], key=lambda e: hashlib.sha256(SEED + b"DR-7\x1f" + e.encode()).digest())
    assert ranked[0] == first


def test_min_counties_is_met_by_skipping_repeat_counties() -> None:
    rows = [row(i, county="220221") for i in range(1, 10)] + [row(50, county="220281")]
    _, result = draw.draw(Pool(rows), rules(experts=3, min_counties=2), tender(), SEED, "DR-2")
    counties = {r.county for r in rows if r.id in result[0].winners}
    assert len(counties) == 2


def test_several_slots_never_share_an_expert() -> None:
    rows = [row(i, specialties=("A0101", "A0102")) for i in range(1, 13)]
    two = DrawRules(slots=(Slot("A0101", 3, 2), Slot("A0102", 3, 2)))
    _, result = draw.draw(Pool(rows), two, tender(), SEED, "DR-3")
    everyone = [e for r in result for e in (*r.winners, *r.alternates)]
    assert len(everyone) == len(set(everyone)) == 10


def test_pick_alternate_respects_the_county_limit_in_order() -> None:
    county_of = {"a": "1", "b": "2", "c": "2", "x": "1"}
    assert draw.pick_alternate(["a", "b", "c"], county_of, ["x"], max_per_county=1) == "b"
    assert draw.pick_alternate(["a", "b"], county_of, ["x"], max_per_county=None) == "a"
    assert draw.pick_alternate([], county_of, ["x"], max_per_county=1) is None


def test_seed_mixes_every_contribution() -> None:
    secret = b"s" * 32
    assert draw.seed_from(secret, ["1"]) != draw.seed_from(secret, ["2"])
    assert draw.seed_from(secret, ["1", "2"]) != draw.seed_from(secret, ["12"])


def test_rules_round_trip_as_json() -> None:
    r = rules(
        experts=2, alternates=1, min_credit=Decimal("85.5"), max_per_county=2, counties_excluded=("220221",)
    )
    assert DrawRules.from_json(r.to_json()) == r
    assert tender().evaluation_date == date(2026, 12, 10)
