"""The contract's rules as data, each at its boundary (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from contracts import rules
from contracts.rules import Party, RuleError
from credit.catalogue import spec_for_event


def test_thirty_days_from_the_award_notice_end_at_midnight_beijing() -> None:
    # notice at 10:00 Beijing on 1 March: the day is not counted, 31 March ends at 24:00 Beijing
    notice = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    due = rules.signing_due(notice)
    assert due == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    rules.check_signing_time(due - timedelta(minutes=1), due)  # the last allowed minute
    with pytest.raises(RuleError) as refused:
        rules.check_signing_time(due, due)  # the first refused
    assert refused.value.code == "signing_period_over" and "第四十六条" in refused.value.detail
    # a notice late in the Beijing evening (UTC still the previous day) counts from the Beijing day
    late = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 23:30 Beijing, 1 March
    assert rules.signing_due(late) == due
    assert rules.signing_due(late + timedelta(hours=1)) == due + timedelta(days=1)  # 00:30 on 2 March


def test_a_training_tender_counts_short_days() -> None:
    notice = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    assert rules.signing_due(notice, day_seconds=60) == notice + timedelta(minutes=30)


def test_the_performance_bond_is_at_most_ten_percent_of_the_amount() -> None:
    amount = Decimal("10000000.00")
    rules.check_performance_bond(None, amount)
    rules.check_performance_bond(Decimal("1000000.00"), amount)  # exactly 10%
    with pytest.raises(RuleError) as refused:
        rules.check_performance_bond(Decimal("1000000.01"), amount)  # the first cent above
    assert refused.value.code == "bond_too_high" and "第五十八条" in refused.value.detail
    assert "1,000,000.00" in refused.value.detail
    with pytest.raises(RuleError):
        rules.check_performance_bond(Decimal("-1"), amount)


def test_who_is_at_fault_when_the_period_runs_out() -> None:
    assert rules.faulted_parties(set()) == [Party.TENDERER, Party.SUPPLIER]
    assert rules.faulted_parties({Party.TENDERER}) == [Party.SUPPLIER]
    assert rules.faulted_parties({Party.SUPPLIER}) == [Party.TENDERER]


def test_the_credit_rules_the_contract_events_raise() -> None:
    refused = spec_for_event(rules.WINNER_REFUSED)
    tenderer = spec_for_event(rules.TENDERER_REFUSED)
    poor = spec_for_event(rules.PERFORMANCE_POOR)
    assert refused is not None and refused.code == "B04" and "第七十四条" in refused.legal_basis
    assert tenderer is not None and tenderer.code == "T04" and "第七十三条" in tenderer.legal_basis
    assert poor is not None and poor.code == "B10" and "第六十条" in poor.legal_basis


def test_the_digest_is_of_the_canonical_document() -> None:
    doc = {"type": rules.DOCUMENT_TYPE, "amount": "1.00", "terms": "交付"}
    assert rules.document_digest(doc) == rules.document_digest(dict(reversed(doc.items())))
    assert rules.document_digest({**doc, "amount": "1.01"}) != rules.document_digest(doc)
    assert rules.signing_message("ab" * 32).startswith(b"sunbid-contract-v1\n")


def test_the_signing_clock_warns_once_four_fifths_of_the_period_are_used() -> None:
    from catalog import service as catalog

    start = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    due = rules.signing_due(start)
    yellow = start + (due - start) * rules.WARNING_SHARE

    def level(now: datetime) -> str | None:
        return catalog.warning_level("processing", start, due, now, rules.WARNING_SHARE)

    assert level(yellow - timedelta(minutes=1)) == "green"
    assert level(yellow) == "yellow"
    assert level(due - timedelta(minutes=1)) == "yellow" and level(due) == "yellow"
    assert level(due + timedelta(microseconds=1)) == "red"  # signing is refused from ``due`` on anyway
