"""The room's actions as a client sends them (evaluation/actions.py): what each message becomes, and
the refusal a client sees (status, code, detail) for an unknown action, a sender who may not send
it, and a missing, mistyped, empty or overlong field. Pure: no database."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from core.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from evaluation.actions import ACTIONS, Clarify, parse
from evaluation.room import Seat
from evaluation.steps import (
    AvoidanceDeclared,
    Event,
    MemberAbsent,
    Phase,
    Room,
    ScoreGiven,
    SignedIn,
    Verdict,
)

MEMBER = Seat("e1", False, False)
HOST = Seat(None, True, False)
SUPERVISOR = Seat(None, False, True)


@dataclass
class Venues:  # what the sign-in reads of the evaluation
    main_venue: str = "220281"
    venues: tuple[str, ...] = ("220221",)


def state(phase: Phase = Phase.SCORING) -> Room:
    return Room(phase, (), (), (), (), (), (), None)


def event(message: dict[str, Any], seat: Seat = MEMBER, phase: Phase = Phase.SCORING) -> Event:
    action, by = parse(message, seat, state(phase))
    assert not isinstance(action, Clarify)
    return action.event(by, Venues())  # type: ignore[arg-type]


def refusal(message: dict[str, Any], seat: Seat = MEMBER, phase: Phase = Phase.SCORING) -> DomainError:
    with pytest.raises(DomainError) as caught:
        event(message, seat, phase)
    return caught.value


def test_each_message_becomes_its_step_event() -> None:
    assert event({"action": "sign_in", "venue": " 220221 "}, phase=Phase.SIGN_IN) == SignedIn("e1")
    assert event({"action": "declare", "conflict": False}) == AvoidanceDeclared("e1", False, "")
    verdict = {"action": "verdict", "review": "qualification", "passed": False, "bidder": "B1", "item": "q1"}
    assert event({**verdict, "reason": " 无资质 "}) == Verdict(
        "qualification", "e1", "B1", "q1", False, "无资质"
    )
    assert event(
        {"action": "score", "bidder": "B1", "criterion": "T1", "value": "24.5", "ref": 7}
    ) == ScoreGiven("e1", "B1", "T1", Decimal("24.5"))
    assert event({"action": "score", "bidder": "B1", "criterion": "T1", "value": 24}).value == 24  # type: ignore[union-attr]
    assert event({"action": "absent", "member": "e3", "reason": "未到"}, HOST) == MemberAbsent("e3", "未到")
    action, by = parse({"action": "clarify", "bidder": "B1", "question": "工期？"}, MEMBER, state())
    assert action == Clarify(bidder="B1", question="工期？", minutes=30) and by == "e1"


def test_an_unknown_action_names_every_action() -> None:
    for message in ({}, {"action": "nope"}, {"action": 5}):
        error = refusal(message)
        assert isinstance(error, InvalidInput) and error.code == "invalid_input"
        assert error.detail.startswith(f"未知操作 {message.get('action')!r} (unknown action; one of ")
    assert ", ".join(ACTIONS) == (
        "sign_in, declare, vote, verdict, score, submit, return, confirm_anomaly, unexplained, advance, "
        "sign, clarify, absent"
    )


def test_who_may_send_what_is_checked_before_the_fields() -> None:
    for seat in (HOST, SUPERVISOR):
        error = refusal({"action": "score"}, seat)
        assert isinstance(error, PermissionDenied)
        assert error.detail == "只有评标委员会成员可以这样做 (committee members only)"
    for seat in (MEMBER, SUPERVISOR):
        error = refusal({"action": "absent"}, seat)
        assert isinstance(error, PermissionDenied)
        assert error.detail == "只有招标人或代理机构可以登记缺席 (only the host records an absence)"
    error = refusal({"action": "advance"}, HOST, Phase.SIGN_IN)  # this step moves on by itself, for anyone
    assert isinstance(error, InvalidInput) and "moves on by itself" in error.detail
    assert isinstance(refusal({"action": "clarify"}, MEMBER, Phase.SIGN_IN), Conflict)


@pytest.mark.parametrize(
    ("message", "code", "detail"),
    [
        ({"action": "vote"}, "missing_field", "缺少 candidate (candidate is required)"),
        ({"action": "vote", "candidate": "  "}, "missing_field", "缺少 candidate (candidate is required)"),
        ({"action": "vote", "candidate": 3}, "bad_field", "candidate 须为文本 (candidate must be text)"),
        ({"action": "vote", "candidate": None}, "bad_field", "candidate 须为文本 (candidate must be text)"),
        ({"action": "vote", "candidate": "x" * 2001}, "too_long", "candidate 过长 (at most 2000 characters)"),
        ({"action": "declare"}, "bad_field", "conflict 须为 true/false (conflict must be a boolean)"),
        ({"action": "declare", "conflict": True}, "missing_field", "缺少 reason (reason is required)"),
        (
            {"action": "verdict", "review": "other", "passed": True, "bidder": "B1", "item": "q1"},
            "invalid_input",
            "verdict 需要 review (qualification|preliminary) 和 passed (true/false)",
        ),
        (
            {"action": "verdict", "review": "preliminary", "passed": False, "bidder": "B1", "item": "q1"},
            "missing_field",
            "缺少 reason (reason is required)",
        ),
        (
            {"action": "score", "bidder": "B1", "criterion": "T1", "value": 1.5},
            "bad_field",
            "value: 须为数字字符串 (value must be a decimal string)",
        ),
        (
            {"action": "score", "bidder": "B1", "criterion": "T1", "value": "abc"},
            "bad_field",
            "value: is not a number: 'abc' (须为数字 < 1e3, at most 4 decimal places)",
        ),
        (
            {"action": "score", "bidder": "B1", "criterion": "T1", "value": "Infinity"},
            "bad_field",
            "value: must be a finite number (须为数字 < 1e3, at most 4 decimal places)",
        ),
        (
            {"action": "clarify", "bidder": "B1", "question": "?", "minutes": 2},
            "invalid_input",
            "答复时限须为 5–1440 分钟 (minutes out of range)",
        ),
        (
            {"action": "clarify", "bidder": "B1", "question": "?", "minutes": True},
            "invalid_input",
            "答复时限须为 5–1440 分钟 (minutes out of range)",
        ),
        (
            {"action": "sign_in", "venue": "110101"},
            "bad_venue",
            "110101 不是本次评标的场地 (not one of this evaluation's venues)",
        ),
    ],
)  # fmt: skip
def test_a_bad_field_is_named_as_the_room_always_named_it(
    message: dict[str, Any], code: str, detail: str
) -> None:
    error = refusal(message)
    assert isinstance(error, InvalidInput) and error.status_code == 422
    assert (error.code, error.detail) == (code, detail)
