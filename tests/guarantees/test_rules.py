"""The statutory rules on bid bonds, each at its boundary (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

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


def test_refund_is_due_five_days_after_the_contract_art_57() -> None:
    signed = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
    assert rules.refund_due(signed) == signed + timedelta(days=5)
    assert rules.REFUND_RULE.article.endswith("第五十七条")
    assert rules.FORFEIT_RULE.article.endswith("第七十四条")
