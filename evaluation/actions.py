"""The room's actions (protocol: docs/evaluation-room.md): one tagged union, ``action`` naming the kind.

Each action is a Struct with its fields, who may send it (``sender``: a committee member, or the
host) and, for a step, the step event it becomes (``event``). A client message — a
``POST /api/evaluations/{code}/actions`` body or a socket ``act`` frame — is read by :func:`parse`:
the sender is checked first (a refusal says who may send it, whatever the fields), then the message is
converted into :data:`RoomAction` in one step, and its texts are trimmed and bounded. Every fault is a
422 naming the field (``missing_field``, ``bad_field``, ``too_long``), as the room has always answered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Self, TypeAlias, get_args

import msgspec

from core.errors import Conflict, InvalidInput, PermissionDenied
from core.numbers import Bounds, decimal_input
from evaluation import steps
from evaluation.events import Review
from evaluation.models import Evaluation
from evaluation.room import Seat
from evaluation.steps import Phase, Room

SCORE_INPUT = Bounds(places=4, integer_digits=3, minimum=None)  # then validate_score: 0..max, on the step

MAX_TEXT = 2000
CLARIFY_MINUTES = (5, 24 * 60)  # the time a bidder is given to answer, bounds

Sender = Literal["member", "host"]
HOST = "host"  # who sends the host's actions (no member code)
MEMBERS_ONLY = "只有评标委员会成员可以这样做 (committee members only)"
# A fault with its own (code, detail); a code of None is InvalidInput's own.
Refusal = tuple[str | None, str]


class Action(msgspec.Struct, tag_field="action", frozen=True, kw_only=True):
    """One action in the room. ``sender`` says who may send it; ``refusals`` the answer to a missing or
    mistyped field that is not text (text fields answer ``missing_field`` / ``bad_field``)."""

    sender: ClassVar[Sender] = "member"
    refusals: ClassVar[Mapping[str, Refusal]] = {}

    @classmethod
    def sent_by(cls, seat: Seat, state: Room) -> str:
        """Who sends it: the member's code, or ``HOST``; refuses a caller who may not send it."""
        if cls.sender == "host":
            if not seat.host:
                raise PermissionDenied("只有招标人或代理机构可以登记缺席 (only the host records an absence)")
            return HOST
        if seat.member is None:
            raise PermissionDenied(MEMBERS_ONLY)
        return seat.member

    def optional(self, field: str) -> bool:
        """Whether an empty text ``field`` is allowed (a text field with a default is, unless overridden)."""
        return True

    def checked(self) -> Self:
        """The texts trimmed and bounded, and the checks across fields."""
        texts: dict[str, str] = {}
        for info in msgspec.structs.fields(self):
            value = getattr(self, info.name)
            if not isinstance(value, str) or info.name in self.refusals:
                continue
            value = value.strip()
            required = info.required or not self.optional(info.name)
            if required and not value:
                raise InvalidInput(f"缺少 {info.name} ({info.name} is required)", code="missing_field")
            if len(value) > MAX_TEXT:
                raise InvalidInput(f"{info.name} 过长 (at most {MAX_TEXT} characters)", code="too_long")
            texts[info.name] = value
        return msgspec.structs.replace(self, **texts)


class Step(Action, frozen=True, kw_only=True):
    """An action that is a step of the room (evaluation/steps.py decides whether it may be taken)."""

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        raise NotImplementedError


class SignIn(Step, tag="sign_in", frozen=True, kw_only=True):
    venue: str  # the region code of the main venue or a sub-venue

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        if self.venue not in (evaluation.main_venue, *evaluation.venues):
            raise InvalidInput(
                f"{self.venue} 不是本次评标的场地 (not one of this evaluation's venues)", code="bad_venue"
            )
        return steps.SignedIn(by)


class Declare(Step, tag="declare", frozen=True, kw_only=True):
    conflict: bool
    reason: str = ""  # required for a conflict

    refusals: ClassVar[Mapping[str, Refusal]] = {
        "conflict": ("bad_field", "conflict 须为 true/false (conflict must be a boolean)")
    }

    def optional(self, field: str) -> bool:
        return not self.conflict

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        return steps.AvoidanceDeclared(by, self.conflict, self.reason)


class Absent(Step, tag="absent", frozen=True, kw_only=True):
    """The host records a member who confirmed but did not come."""

    sender: ClassVar[Sender] = "host"
    member: str
    reason: str

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        return steps.MemberAbsent(self.member, self.reason)


class Vote(Step, tag="vote", frozen=True, kw_only=True):
    candidate: str

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        return steps.ChairVote(by, self.candidate)


VERDICT_FIELDS = (None, "verdict 需要 review (qualification|preliminary) 和 passed (true/false)")


class GiveVerdict(Step, tag="verdict", frozen=True, kw_only=True):
    review: Review
    passed: bool
    bidder: str
    item: str
    reason: str = ""  # required to fail

    refusals: ClassVar[Mapping[str, Refusal]] = {"review": VERDICT_FIELDS, "passed": VERDICT_FIELDS}

    def optional(self, field: str) -> bool:
        return self.passed

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        return steps.Verdict(self.review, by, self.bidder, self.item, self.passed, self.reason)


class Score(Step, tag="score", frozen=True, kw_only=True):
    bidder: str
    criterion: str
    value: str | int  # a decimal string (an integer will do)

    refusals: ClassVar[Mapping[str, Refusal]] = {
        "value": ("bad_field", "value: 须为数字字符串 (value must be a decimal string)")
    }

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        # bounded before any arithmetic (1e308 or 400 nines are refused, not a 500); whether the
        # criterion allows the value is the room's rule (validate_score)
        value = decimal_input(self.value, "value", SCORE_INPUT, code="bad_field")
        return steps.ScoreGiven(by, self.bidder, self.criterion, value)


class OutlierReason(msgspec.Struct, frozen=True, kw_only=True):
    """The member's reason for a score that deviates from the others' mean by more than the limit."""

    bidder: str
    unit: str  # a criterion id (or a group, when the limit is per group)
    reason: str


class Submit(Step, tag="submit", frozen=True, kw_only=True):
    """Submits the sheet; ``reasons`` explain the deviating scores (the room refuses without them)."""

    reasons: tuple[OutlierReason, ...] = ()

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        for r in self.reasons:
            if len(r.reason) > MAX_TEXT:
                raise InvalidInput(f"reason 过长 (at most {MAX_TEXT} characters)", code="too_long")
        return steps.SheetSubmitted(by, tuple((r.bidder, r.unit, r.reason.strip()) for r in self.reasons))


class Return(Step, tag="return", frozen=True, kw_only=True):
    """The chair returns a member's sheet."""

    member: str
    reason: str

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        return steps.ScoresReturned(by, self.member, self.reason)


class ConfirmAnomaly(Step, tag="confirm_anomaly", frozen=True, kw_only=True):
    bidder: str
    unit: str
    reason: str

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        return steps.AnomalyConfirmed(by, self.bidder, self.unit, self.reason)


class Unexplained(Step, tag="unexplained", frozen=True, kw_only=True):
    """The chair marks an anomaly unexplained."""

    member: str
    bidder: str
    unit: str

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        return steps.AnomalyUnexplained(by, self.member, self.bidder, self.unit)


class Advance(Step, tag="advance", frozen=True, kw_only=True):
    @classmethod
    def sent_by(cls, seat: Seat, state: Room) -> str:
        if state.phase in (Phase.SIGN_IN, Phase.CHAIR_ELECTION):
            raise InvalidInput("签到和推选组长完成后自动进入下一步 (this step moves on by itself)")
        return super().sent_by(seat, state)

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        return steps.Advance(by)


class Sign(Step, tag="sign", frozen=True, kw_only=True):
    signature: str  # standard base64 Ed25519 over the report's signing message

    def event(self, by: str, evaluation: Evaluation) -> steps.Event:
        return steps.ReportSigned(by)


class Clarify(Action, tag="clarify", frozen=True, kw_only=True):
    """A member asks a bidder to clarify (not a step: evaluation/clarifications.py)."""

    bidder: str
    question: str
    minutes: int = 30

    refusals: ClassVar[Mapping[str, Refusal]] = {
        "minutes": (
            None,
            f"答复时限须为 {CLARIFY_MINUTES[0]}–{CLARIFY_MINUTES[1]} 分钟 (minutes out of range)",
        )
    }

    @classmethod
    def sent_by(cls, seat: Seat, state: Room) -> str:
        by = super().sent_by(seat, state)
        if state.phase not in (Phase.QUALIFICATION, Phase.PRELIMINARY, Phase.SCORING):
            raise Conflict(
                f"澄清只能在评审阶段提出 (clarifications are asked during review, not in {state.phase})"
            )
        return by

    def checked(self) -> Self:
        checked = super().checked()
        if not CLARIFY_MINUTES[0] <= self.minutes <= CLARIFY_MINUTES[1]:
            code, detail = self.refusals["minutes"]
            raise InvalidInput(detail, code=code)
        return checked


# In the order the room lists them when it does not know an action.
RoomAction: TypeAlias = (
    SignIn | Declare | Vote | GiveVerdict | Score | Submit | Return | ConfirmAnomaly | Unexplained
    | Advance | Sign | Clarify | Absent
)  # fmt: skip
ACTIONS: dict[str, type[Action]] = {str(kind.__struct_config__.tag): kind for kind in get_args(RoomAction)}
_FIELD = re.compile(r"missing required field `(\w+)`|at `\$\.(\w+)`")


def parse(message: Mapping[str, Any], seat: Seat, state: Room) -> tuple[RoomAction, str]:
    """The action a message asks for and who sends it (the member's code, or ``HOST``)."""
    name = message.get("action")
    kind = ACTIONS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise InvalidInput(f"未知操作 {name!r} (unknown action; one of {', '.join(ACTIONS)})")
    by = kind.sent_by(seat, state)
    try:
        action: RoomAction = msgspec.convert(message, RoomAction)
    except msgspec.ValidationError as error:
        raise _refusal(kind, str(error)) from None
    return action.checked(), by


def _refusal(kind: type[Action], error: str) -> InvalidInput:
    found = _FIELD.search(error)
    if found is None:  # not a field's fault (e.g. the message is not an object)
        return InvalidInput(f"操作有误 (bad action): {error}", code="bad_field")
    missing, field = found.group(1) is not None, found.group(1) or found.group(2)
    if field in kind.refusals:
        code, detail = kind.refusals[field]
        return InvalidInput(detail, code=code)
    if missing:
        return InvalidInput(f"缺少 {field} ({field} is required)", code="missing_field")
    return InvalidInput(f"{field} 须为文本 ({field} must be text)", code="bad_field")
