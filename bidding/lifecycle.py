"""The tender lifecycle as one pure state machine (no I/O): states, who may move them, and when.

    draft → published (报名/发售) → bidding → opening → evaluating → publicity → awarded → closed
    side exits: cancelled (终止), failed (流标)

The statutory defaults are data (``Rules``) stored on each tender, so a tender keeps the rules it was
published under even if the defaults change later. Services call ``check`` before every transition
and append the result to the audit log; this module only decides.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class State(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    BIDDING = "bidding"
    OPENING = "opening"
    EVALUATING = "evaluating"
    PUBLICITY = "publicity"
    AWARDED = "awarded"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Action(StrEnum):
    PUBLISH = "publish"
    AMEND = "amend"
    CLOSE_REGISTRATION = "close_registration"
    OPEN = "open"
    START_EVALUATION = "start_evaluation"
    PUBLISH_CANDIDATES = "publish_candidates"
    AWARD = "award"
    CLOSE = "close"
    CANCEL = "cancel"
    FAIL = "fail"


class Actor(StrEnum):
    """Who moves a tender: the owners (tenderer, agent), the supervisor, or the platform itself."""

    OWNER = "owner"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"


# (from, action) -> to. AMEND keeps the state.
TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.DRAFT, Action.PUBLISH): State.PUBLISHED,
    (State.PUBLISHED, Action.AMEND): State.PUBLISHED,
    (State.BIDDING, Action.AMEND): State.BIDDING,
    (State.PUBLISHED, Action.CLOSE_REGISTRATION): State.BIDDING,
    (State.PUBLISHED, Action.OPEN): State.OPENING,  # registration may run up to the deadline
    (State.BIDDING, Action.OPEN): State.OPENING,
    (State.OPENING, Action.START_EVALUATION): State.EVALUATING,
    (State.EVALUATING, Action.PUBLISH_CANDIDATES): State.PUBLICITY,
    (State.PUBLICITY, Action.AWARD): State.AWARDED,
    (State.AWARDED, Action.CLOSE): State.CLOSED,
    (State.OPENING, Action.FAIL): State.FAILED,
    (State.EVALUATING, Action.FAIL): State.FAILED,
    **{(s, Action.CANCEL): State.CANCELLED for s in (State.DRAFT, State.PUBLISHED, State.BIDDING)},
}

WHO: dict[Action, frozenset[Actor]] = {
    Action.PUBLISH: frozenset({Actor.OWNER}),
    Action.AMEND: frozenset({Actor.OWNER}),
    Action.CLOSE_REGISTRATION: frozenset({Actor.SYSTEM}),
    Action.OPEN: frozenset({Actor.SYSTEM}),
    Action.START_EVALUATION: frozenset({Actor.OWNER, Actor.SUPERVISOR, Actor.SYSTEM}),
    Action.PUBLISH_CANDIDATES: frozenset({Actor.OWNER}),
    Action.AWARD: frozenset({Actor.OWNER}),
    Action.CLOSE: frozenset({Actor.OWNER, Actor.SUPERVISOR, Actor.SYSTEM}),
    Action.CANCEL: frozenset({Actor.OWNER, Actor.SUPERVISOR}),
    Action.FAIL: frozenset({Actor.OWNER, Actor.SUPERVISOR, Actor.SYSTEM}),
}

# States in which the tender and its notices are public.
PUBLIC_STATES = frozenset(State) - {State.DRAFT}
# Statutory minimum from notice to deadline by trading category (《招标投标法》第二十四条: 20 days
# for works and goods; the same default is used for the other categories unless a tender says so).
MIN_NOTICE_DAYS = {"construction": 20, "goods": 20, "services": 20}
DEFAULT_MIN_NOTICE_DAYS = 20
# The length of a statutory day (日) in seconds: a day by law. Training tenders (培训项目) scale it
# down so a whole tender runs in minutes; TRAINING_DAY_SECONDS is a training-only setting, not law.
DAY_SECONDS = 86_400
TRAINING_DAY_SECONDS = 3  # 20 days from notice to deadline become 60 seconds
# The host starts the opening; if nobody has this many minutes after the deadline, the platform
# starts it by itself (a platform setting per tender, not a statutory period: the law only says the
# opening takes place at the deadline, 《招标投标法》第三十四条).
OPENING_AUTOSTART_MINUTES = 10
# Platform settings stored with the rules that are not statutory floors (``at_least`` skips them).
NOT_STATUTORY = ("decryption_minutes", "min_valid_bids", "opening_autostart_minutes")
# A tender's terms kept beside its periods in its stored rules, read by other contexts, never periods:
# publish_contract_document — the signed contract is published with its document (contracts reads it;
# set through the draft's ``publish_contract_document``; stored as 1, like the periods a whole number).
TENDER_TERMS = ("publish_contract_document",)


class LifecycleError(Exception):
    """A transition or timeline the rules do not allow; ``code`` is the API error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Rules:
    min_notice_days: int = DEFAULT_MIN_NOTICE_DAYS  # notice → bid deadline
    min_registration_days: int = 5  # document sale window (《招标投标法实施条例》第十六条)
    amendment_min_days: int = 15  # an amendment closer than this to the deadline moves it
    clarification_min_days: int = 3  # clarification questions close this long before the deadline
    publicity_days: int = 3  # candidate publicity
    min_valid_bids: int = 3  # fewer valid bids → failed (流标)
    decryption_minutes: int = 30
    opening_autostart_minutes: int = OPENING_AUTOSTART_MINUTES  # the platform starts an unhosted opening
    day_seconds: int = DAY_SECONDS  # one statutory day; only training tenders shorten it

    @classmethod
    def for_category(cls, category: str, *, training: bool = False) -> Rules:
        rules = cls(min_notice_days=MIN_NOTICE_DAYS.get(category, DEFAULT_MIN_NOTICE_DAYS))
        return rules.for_training() if training else rules

    def for_training(self) -> Rules:
        """The same periods on a training clock (培训专用, not law): a day lasts ``TRAINING_DAY_SECONDS``
        seconds, the decryption window and the host's grace one minute each."""
        return replace(
            self, day_seconds=TRAINING_DAY_SECONDS, decryption_minutes=1, opening_autostart_minutes=1
        )

    def days(self, n: int) -> timedelta:
        """``n`` statutory days on this tender's clock."""
        return timedelta(seconds=n * self.day_seconds)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rules:
        """The periods of a tender's stored rules (its terms, ``TENDER_TERMS``, are not periods)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known - set(TENDER_TERMS)
        if unknown:
            raise LifecycleError("bad_rules", f"unknown rule(s): {', '.join(sorted(unknown))}")
        values = {k: v for k, v in data.items() if k in known}
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values.values()):
            raise LifecycleError("bad_rules", "rules are non-negative whole numbers")
        if values.get("day_seconds") == 0:
            raise LifecycleError("bad_rules", "day_seconds must be at least 1")
        return cls(**values)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def at_least(self, floor: Rules) -> list[str]:
        """Rules may be stricter than the statutory defaults, never looser."""
        return [
            f"{f.name} {getattr(self, f.name)} < {getattr(floor, f.name)}"
            for f in fields(self)
            if f.name not in NOT_STATUTORY and getattr(self, f.name) < getattr(floor, f.name)
        ]


@dataclass(frozen=True)
class Timeline:
    registration_start: datetime
    registration_end: datetime
    clarification_deadline: datetime
    bid_deadline: datetime
    notice_at: datetime | None = None


def registration_from_notice(timeline: Timeline, notice_at: datetime) -> Timeline:
    """A registration start already past when the notice goes out means "open on publication".

    An agent who fills in 10:00 and publishes at 10:03 wants registration open now, not an error.
    """
    if timeline.registration_start >= notice_at:
        return timeline
    return replace(timeline, registration_start=notice_at)


def timeline_problems(timeline: Timeline, rules: Rules, notice_at: datetime) -> list[str]:
    """What is wrong with a timeline if the notice went out at ``notice_at`` (empty when fine)."""
    t = timeline
    problems = []
    if t.registration_start < notice_at - timedelta(minutes=1):
        problems.append("报名开始不能早于公告发布 (registration cannot start before the notice)")
    if t.registration_end <= t.registration_start:
        problems.append("报名截止须晚于报名开始 (registration must end after it starts)")
    elif t.registration_end - t.registration_start < rules.days(rules.min_registration_days):
        problems.append(
            f"招标文件发售期不得少于{rules.min_registration_days}日 "
            f"(documents must be on sale at least {rules.min_registration_days} days)"
        )
    if t.registration_end > t.bid_deadline:
        problems.append("报名截止不能晚于投标截止 (registration must close by the bid deadline)")
    if t.bid_deadline - notice_at < rules.days(rules.min_notice_days):
        problems.append(
            f"自公告发布至投标截止不得少于{rules.min_notice_days}日 "
            f"(at least {rules.min_notice_days} days from notice to bid deadline)"
        )
    if t.clarification_deadline > t.bid_deadline - rules.days(rules.clarification_min_days):
        problems.append(
            f"澄清截止须在投标截止前至少{rules.clarification_min_days}日 "
            f"(clarifications close at least {rules.clarification_min_days} days before the deadline)"
        )
    return problems


def check(state: State, action: Action, actor: Actor) -> State:
    """The state after ``action``, or LifecycleError saying why it is not allowed."""
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise LifecycleError(
            "invalid_state",
            f"招标项目处于“{state.value}”状态，不能执行 {action.value} (not allowed in this state)",
        )
    if actor not in WHO[action]:
        raise LifecycleError("forbidden", f"{actor.value} may not {action.value} a tender")
    return target


def check_publish(timeline: Timeline, rules: Rules, now: datetime) -> None:
    problems = timeline_problems(timeline, rules, now)
    if problems:
        raise LifecycleError("bad_timeline", "；".join(problems))


def amended_deadline(
    bid_deadline: datetime, rules: Rules, now: datetime, wanted: datetime | None
) -> datetime:
    """The deadline after an amendment issued at ``now``.

    《招标投标法》第二十三条: a clarification or change less than 15 days before the deadline
    moves the deadline so that at least 15 days remain; a later deadline asked for is kept.
    """
    if now >= bid_deadline:
        raise LifecycleError("deadline_passed", "投标截止后不能修改招标文件 (the deadline has passed)")
    deadline = wanted or bid_deadline
    if wanted is not None and wanted < bid_deadline:
        raise LifecycleError(
            "bad_timeline", "修改不能提前投标截止时间 (an amendment cannot bring the deadline forward)"
        )
    floor = now + rules.days(rules.amendment_min_days)
    return max(deadline, floor)


def sources(action: Action) -> frozenset[State]:
    """The states ``action`` may move a tender from, read off ``TRANSITIONS``."""
    return frozenset(state for (state, act) in TRANSITIONS if act == action)


# Registration runs while the registration window can still close; bids are taken in every state the
# deadline opens a tender from (registration may run up to the deadline, see TRANSITIONS).
REGISTERING = sources(Action.CLOSE_REGISTRATION)
TAKING_BIDS = sources(Action.OPEN)


def registration_open(state: State, timeline: Timeline, now: datetime) -> bool:
    return state in REGISTERING and timeline.registration_start <= now < timeline.registration_end


def accepting_bids(state: State, timeline: Timeline, now: datetime) -> bool:
    """Bids count only if committed before the deadline by the server clock, whatever the state says
    (the opening job may not have flipped the state yet)."""
    return state in TAKING_BIDS and now < timeline.bid_deadline


def due_to_close_registration(state: State, timeline: Timeline, now: datetime) -> bool:
    return state in REGISTERING and now >= timeline.registration_end


def due_to_open(state: State, timeline: Timeline, now: datetime) -> bool:
    return state in TAKING_BIDS and now >= timeline.bid_deadline


def autostart_at(bid_deadline: datetime, rules: Rules) -> datetime:
    """When the platform starts an opening its host has not started (the deadline + the grace)."""
    return bid_deadline + timedelta(minutes=rules.opening_autostart_minutes)


def due_to_autostart(bid_deadline: datetime, rules: Rules, now: datetime) -> bool:
    return now >= autostart_at(bid_deadline, rules)


@dataclass(frozen=True)
class Moment:
    """A tender's state and timeline at one server time, and what the rules allow then.

    Services get one from ``bidding.common.lock_tender`` (read under the tender's lock) or
    ``moment_of``; pages show its answers rather than working them out again.
    """

    state: State
    timeline: Timeline
    now: datetime

    @property
    def registration_open(self) -> bool:
        return registration_open(self.state, self.timeline, self.now)

    @property
    def accepting_bids(self) -> bool:
        return accepting_bids(self.state, self.timeline, self.now)

    @property
    def deadline_passed(self) -> bool:
        return self.now >= self.timeline.bid_deadline

    @property
    def due_to_close_registration(self) -> bool:
        return due_to_close_registration(self.state, self.timeline, self.now)

    @property
    def due_to_open(self) -> bool:
        return due_to_open(self.state, self.timeline, self.now)


# ---- Supervisor review of tender notices (公告审核) -------------------------------------------
# Not a national statutory step: where a region's supervising department requires it (a local
# rule, recorded with its basis in ``bidding_review_rules``), a draft goes
#     draft → submitted (报审) → approved (审核通过) | returned (退回, with reasons) → submitted …
# and only an approved draft may be published. Without a rule nothing is required (the default).
REVIEW_REQUIRED_BY_DEFAULT = False


class Review(StrEnum):
    """Where a draft stands in the supervisor's review of its notice."""

    NONE = "none"  # never submitted (or the draft changed after the last decision)
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class ReviewAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"


REVIEW_TRANSITIONS: dict[tuple[Review, ReviewAction], Review] = {
    (Review.NONE, ReviewAction.SUBMIT): Review.SUBMITTED,
    (Review.RETURNED, ReviewAction.SUBMIT): Review.SUBMITTED,
    (Review.SUBMITTED, ReviewAction.APPROVE): Review.APPROVED,
    (Review.SUBMITTED, ReviewAction.RETURN): Review.RETURNED,
}
REVIEW_WHO: dict[ReviewAction, Actor] = {
    ReviewAction.SUBMIT: Actor.OWNER,
    ReviewAction.APPROVE: Actor.SUPERVISOR,
    ReviewAction.RETURN: Actor.SUPERVISOR,
}


def check_review(current: Review, action: ReviewAction, actor: Actor) -> Review:
    """The review state after ``action``, or LifecycleError saying why not."""
    target = REVIEW_TRANSITIONS.get((current, action))
    if target is None:
        raise LifecycleError(
            "invalid_review_state",
            f"公告审核处于“{current.value}”状态，不能执行 {action.value} (not allowed in this review state)",
        )
    if actor != REVIEW_WHO[action]:
        raise LifecycleError("forbidden", f"{actor.value} may not {action.value} a notice review")
    return target


def review_required(
    rules: list[tuple[str, str, bool]], region_code: str, category: str
) -> tuple[str, str, bool] | None:
    """The review rule that applies to a tender of ``region_code`` and ``category``, or None.

    A rule is (region code or "" for every region, category or "" for every category, required);
    the most specific wins: region + category, then region, then category, then everywhere.
    """
    for scope in ((region_code, category), (region_code, ""), ("", category), ("", "")):
        for rule in rules:
            if (rule[0], rule[1]) == scope:
                return rule
    return None


def check_reviewed(required: bool, current: Review) -> None:
    """Publishing where review is required needs an approved notice."""
    if required and current != Review.APPROVED:
        raise LifecycleError(
            "review_required",
            "本地区/类别的招标公告须经监管部门审核通过后方可发布 "
            "(this region or category requires the supervisor to approve the notice before publishing)",
        )


# ---- Re-tendering after a failure (流标后重新招标) ---------------------------------------------
# 《招标投标法实施条例》第四十四条: fewer than 3 bidders → no opening, the tenderer re-tenders
# (重新招标); 《工程建设项目施工招标投标办法》第三十八条: if fewer than 3 bid again after the
# re-tender, a project subject to approval may, with the approving department's consent, stop
# tendering (不再进行招标), and other projects may decide so themselves.
RETENDER_BASIS = "《招标投标法实施条例》第四十四条"
SECOND_FAILURE_BASIS = "《工程建设项目施工招标投标办法》第三十八条"
# The attempt from whose failure on the tenderer may switch method (the first re-tender is attempt 2).
SWITCH_METHOD_FROM_ATTEMPT = 2


def may_retender(state: State) -> bool:
    return state == State.FAILED


def may_switch_method(state: State, attempt: int) -> bool:
    """After the re-tender fails too (the second failure) the tenderer may stop tendering or switch."""
    return state == State.FAILED and attempt >= SWITCH_METHOD_FROM_ATTEMPT
