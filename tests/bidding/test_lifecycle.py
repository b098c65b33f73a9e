"""The lifecycle state machine and its statutory rules (pure)."""

from datetime import UTC, datetime, timedelta

import pytest

from bidding.lifecycle import (
    TRANSITIONS,
    Action,
    Actor,
    LifecycleError,
    Moment,
    Rules,
    State,
    Timeline,
    accepting_bids,
    amended_deadline,
    check,
    check_publish,
    due_to_close_registration,
    due_to_open,
    registration_from_notice,
    registration_open,
    timeline_problems,
)

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def timeline(days: int = 21, reg_days: int = 10) -> Timeline:
    return Timeline(
        NOW, NOW + timedelta(days=reg_days), NOW + timedelta(days=days - 5), NOW + timedelta(days=days)
    )


def test_the_main_line_runs_in_order_and_nothing_skips_a_step() -> None:
    state = State.DRAFT
    for action, actor in [
        (Action.PUBLISH, Actor.OWNER),
        (Action.CLOSE_REGISTRATION, Actor.SYSTEM),
        (Action.OPEN, Actor.SYSTEM),
        (Action.START_EVALUATION, Actor.SYSTEM),
        (Action.PUBLISH_CANDIDATES, Actor.OWNER),
        (Action.AWARD, Actor.OWNER),
        (Action.CLOSE, Actor.SYSTEM),
    ]:
        state = check(state, action, actor)
    assert state == State.CLOSED
    with pytest.raises(LifecycleError) as err:
        check(State.DRAFT, Action.OPEN, Actor.SYSTEM)
    assert err.value.code == "invalid_state"
    with pytest.raises(LifecycleError):
        check(State.CLOSED, Action.CANCEL, Actor.SUPERVISOR)


def test_every_transition_names_who_may_do_it() -> None:
    with pytest.raises(LifecycleError) as err:
        check(State.DRAFT, Action.PUBLISH, Actor.SUPERVISOR)
    assert err.value.code == "forbidden"
    with pytest.raises(LifecycleError):
        check(State.BIDDING, Action.OPEN, Actor.OWNER)  # only the platform opens, at the deadline
    assert check(State.BIDDING, Action.CANCEL, Actor.SUPERVISOR) == State.CANCELLED
    assert {action for _, action in TRANSITIONS} == set(Action)


def test_side_exits_failed_and_cancelled() -> None:
    assert check(State.OPENING, Action.FAIL, Actor.SYSTEM) == State.FAILED
    assert check(State.EVALUATING, Action.FAIL, Actor.OWNER) == State.FAILED
    for state in (State.DRAFT, State.PUBLISHED, State.BIDDING):
        assert check(state, Action.CANCEL, Actor.OWNER) == State.CANCELLED
    with pytest.raises(LifecycleError):
        check(State.OPENING, Action.CANCEL, Actor.OWNER)


def test_twenty_days_from_notice_to_deadline_for_construction() -> None:
    rules = Rules.for_category("construction")
    assert rules.min_notice_days == 20
    check_publish(timeline(days=20), rules, NOW)
    with pytest.raises(LifecycleError) as err:
        check_publish(timeline(days=19), rules, NOW)
    assert err.value.code == "bad_timeline" and "20" in err.value.detail


def test_document_sale_window_at_least_five_days_and_closes_by_deadline() -> None:
    rules = Rules()
    assert any("5" in p for p in timeline_problems(timeline(reg_days=4), rules, NOW))
    assert any(
        "registration must close" in p for p in timeline_problems(timeline(days=21, reg_days=22), rules, NOW)
    )
    assert timeline_problems(timeline(), rules, NOW) == []


def test_stricter_rules_are_allowed_looser_are_not() -> None:
    floor = Rules.for_category("construction")
    assert Rules(min_notice_days=30).at_least(floor) == []
    assert Rules(min_notice_days=10).at_least(floor) != []
    with pytest.raises(LifecycleError):
        Rules.from_dict({"min_notice_days": -1})
    with pytest.raises(LifecycleError):
        Rules.from_dict({"nonsense": 1})


def test_amendment_less_than_15_days_before_deadline_moves_it() -> None:
    rules = Rules()
    deadline = NOW + timedelta(days=21)
    assert amended_deadline(deadline, rules, NOW, None) == deadline  # 21 days left: unchanged
    late = NOW + timedelta(days=10)
    assert amended_deadline(deadline, rules, late, None) == late + timedelta(days=15)
    wanted = NOW + timedelta(days=40)
    assert amended_deadline(deadline, rules, late, wanted) == wanted
    with pytest.raises(LifecycleError):
        amended_deadline(deadline, rules, late, deadline - timedelta(days=1))
    with pytest.raises(LifecycleError) as err:
        amended_deadline(deadline, rules, deadline, None)
    assert err.value.code == "deadline_passed"


def test_registration_and_bids_follow_the_server_clock() -> None:
    t = timeline()
    assert registration_open(State.PUBLISHED, t, NOW)
    assert not registration_open(State.PUBLISHED, t, t.registration_end)
    assert not registration_open(State.DRAFT, t, NOW)
    assert accepting_bids(State.BIDDING, t, t.bid_deadline - timedelta(microseconds=1))
    assert not accepting_bids(State.BIDDING, t, t.bid_deadline)
    assert not accepting_bids(State.OPENING, t, NOW)


def test_a_registration_start_already_past_at_publication_opens_with_the_notice() -> None:
    late_publish = NOW + timedelta(minutes=3)  # the agent typed "now", then took three minutes
    moved = registration_from_notice(timeline(), late_publish)
    assert moved.registration_start == late_publish and moved.bid_deadline == timeline().bid_deadline
    assert timeline_problems(moved, Rules(), late_publish) == []
    future = timeline()
    assert registration_from_notice(future, NOW - timedelta(days=1)) is future


def test_the_time_driven_rules_follow_the_transition_table() -> None:
    """Registration, bidding and the deadline's opening are allowed in exactly the states TRANSITIONS
    lets the corresponding action start from, so the jobs and the services cannot drift from it."""
    t = timeline()
    for state in State:
        opens = (state, Action.OPEN) in TRANSITIONS
        closes = (state, Action.CLOSE_REGISTRATION) in TRANSITIONS
        assert due_to_open(state, t, t.bid_deadline) is opens, state
        assert accepting_bids(state, t, NOW) is opens, state
        assert due_to_close_registration(state, t, t.registration_end) is closes, state
        assert registration_open(state, t, NOW) is closes, state
        moment = Moment(state, t, NOW)
        assert (moment.accepting_bids, moment.registration_open) == (opens, closes)
    assert not Moment(State.BIDDING, t, t.bid_deadline).accepting_bids
    assert Moment(State.BIDDING, t, t.bid_deadline).deadline_passed
