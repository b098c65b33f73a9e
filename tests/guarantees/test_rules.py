"""The statutory rules on bid bonds, each at its boundary (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.clock import CENTRE_TZ
from guarantees import rules

DEADLINE = datetime(2026, 12, 24, 1, 30, tzinfo=UTC)


def test_amount_at_two_percent_is_allowed_and_one_fen_more_is_refused_naming_art_26() -> None:
    rules.check_amount(Decimal("240000.00"), Decimal("12000000.00"))  # exactly 2%
    with pytest.raises(rules.RuleBroken) as broken:
        rules.check_amount(Decimal("240000.01"), Decimal("12000000.00"))
    assert broken.value.rule.code == "amount_over_limit"
    assert "第二十六条" in broken.value.detail and "2%" in broken.value.detail


def test_validity_to_the_last_minute_of_the_bid_validity_period_and_one_minute_short() -> None:
    end = DEADLINE + timedelta(days=rules.BID_VALIDITY_DAYS)
    rules.check_validity(end, DEADLINE, {})
    with pytest.raises(rules.RuleBroken) as broken:
        rules.check_validity(end - timedelta(minutes=1), DEADLINE, {})
    assert broken.value.rule.code == "validity_too_short" and "第二十六条" in broken.value.detail
    # a tender that sets its own bid validity period moves the boundary
    rules.check_validity(DEADLINE + timedelta(days=60), DEADLINE, {"bid_validity_days": 60})
    with pytest.raises(rules.RuleBroken):
        rules.check_validity(DEADLINE + timedelta(days=120), DEADLINE, {"bid_validity_days": 121})


def test_refund_is_due_by_the_end_of_the_fifth_beijing_day_after_signing_art_57() -> None:
    # the signing day is not counted; the 5th day after it ends at 24:00 Beijing, whatever the hour signed
    end = datetime(2027, 3, 6, 23, 59, 59, 999_999, tzinfo=CENTRE_TZ)
    for signed in (
        datetime(2027, 3, 1, 0, 0, tzinfo=CENTRE_TZ),  # the first instant of the signing day
        datetime(2027, 3, 1, 2, 0, tzinfo=UTC),  # 10:00 Beijing
        datetime(2027, 3, 1, 15, 59, tzinfo=UTC),  # 23:59 Beijing, the same day
    ):
        assert rules.refund_due(signed) == end, signed
    # 16:00 UTC is already the next day in Beijing: one day later
    assert rules.refund_due(datetime(2027, 3, 1, 16, 0, tzinfo=UTC)) == end + timedelta(days=1)
    assert rules.refund_due(end) == end + timedelta(days=5)
    assert rules.REFUND_RULE.article.endswith("第五十七条")
    assert rules.FORFEIT_RULE.article.endswith("第七十四条")


def test_a_performance_bond_is_at_most_ten_percent_of_the_contract_amount() -> None:
    rules.check_performance_amount(Decimal("1000000.00"), Decimal("10000000.00"))  # exactly 10%: allowed
    with pytest.raises(rules.RuleBroken) as broken:
        rules.check_performance_amount(Decimal("1000000.01"), Decimal("10000000.00"))  # one fen more: refused
    assert broken.value.rule.code == "performance_over_limit" and "第五十八条" in broken.value.detail


def test_a_performance_guarantee_covers_the_performance_to_its_last_minute() -> None:
    end = datetime(2027, 6, 30, 15, 59, tzinfo=UTC)
    now = datetime(2027, 1, 1, tzinfo=UTC)
    rules.check_cover(end, end, now)  # valid to the very minute: enough
    with pytest.raises(rules.RuleBroken) as broken:
        rules.check_cover(end - timedelta(minutes=1), end, now)
    assert broken.value.rule.code == "performance_validity_too_short"
    rules.check_cover(now, None, now)  # no milestone yet: valid now is enough
    with pytest.raises(rules.RuleBroken):
        rules.check_cover(now - timedelta(minutes=1), None, now)
