"""The pure rules of notice review and re-tendering (bidding/lifecycle.py), at their boundaries."""

from __future__ import annotations

import pytest

from bidding.lifecycle import (
    SECOND_FAILURE_BASIS,
    Actor,
    LifecycleError,
    Review,
    ReviewAction,
    State,
    check_review,
    check_reviewed,
    may_retender,
    may_switch_method,
    review_required,
)


def test_the_most_specific_rule_applies_and_none_means_no_review() -> None:
    rules = [("", "", True), ("", "goods", False), ("220281", "", False), ("220281", "services", True)]
    assert review_required(rules, "220281", "services") == ("220281", "services", True)
    assert review_required(rules, "220281", "goods") == ("220281", "", False)  # region beats category
    assert review_required(rules, "220282", "goods") == ("", "goods", False)
    assert review_required(rules, "220282", "construction") == ("", "", True)
    assert review_required([], "220281", "goods") is None


def test_review_transitions_and_who_moves_them() -> None:
    assert check_review(Review.NONE, ReviewAction.SUBMIT, Actor.OWNER) == Review.SUBMITTED
    assert check_review(Review.RETURNED, ReviewAction.SUBMIT, Actor.OWNER) == Review.SUBMITTED
    assert check_review(Review.SUBMITTED, ReviewAction.APPROVE, Actor.SUPERVISOR) == Review.APPROVED
    assert check_review(Review.SUBMITTED, ReviewAction.RETURN, Actor.SUPERVISOR) == Review.RETURNED
    for state, action in [
        (Review.SUBMITTED, ReviewAction.SUBMIT),
        (Review.APPROVED, ReviewAction.SUBMIT),
        (Review.NONE, ReviewAction.APPROVE),
        (Review.APPROVED, ReviewAction.RETURN),
    ]:
        with pytest.raises(LifecycleError) as refused:
            check_review(state, action, Actor.SUPERVISOR if action != ReviewAction.SUBMIT else Actor.OWNER)
        assert refused.value.code == "invalid_review_state"
    with pytest.raises(LifecycleError) as owner:
        check_review(Review.SUBMITTED, ReviewAction.APPROVE, Actor.OWNER)
    assert owner.value.code == "forbidden"


def test_publishing_needs_approval_only_where_required() -> None:
    check_reviewed(False, Review.NONE)
    check_reviewed(True, Review.APPROVED)
    for state in (Review.NONE, Review.SUBMITTED, Review.RETURNED):
        with pytest.raises(LifecycleError) as refused:
            check_reviewed(True, state)
        assert refused.value.code == "review_required"


def test_a_second_failure_allows_switching_method_the_first_does_not() -> None:
    assert may_retender(State.FAILED) and not may_retender(State.AWARDED)
    assert not may_switch_method(State.FAILED, 1)  # the first failure: re-tender
    assert may_switch_method(State.FAILED, 2)  # the re-tender failed too
    assert not may_switch_method(State.BIDDING, 2)
    assert "第三十八条" in SECOND_FAILURE_BASIS
