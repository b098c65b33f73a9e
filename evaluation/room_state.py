"""The state of an evaluation room (pure: no I/O): its phases, what each phase accepts, the frozen
``Room`` that every step builds anew, and the checks the steps share.

evaluation/steps.py folds the room's events into this state; import both from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from evaluation.events import (
    Advance,
    AlternatesAdded,
    AnomalyConfirmed,
    AnomalyUnexplained,
    AvoidanceDeclared,
    ChairVote,
    Event,
    MemberAbsent,
    PriceScoresComputed,
    RankingPublished,
    ReportSigned,
    Review,
    ScoreGiven,
    ScoresReturned,
    SheetSubmitted,
    SignedIn,
    Verdict,
)
from evaluation.scoring import (
    MEMBER_GROUPS,
    Anomaly,
    AnomalyLimit,
    CreditEvent,
    Criterion,
    ScoreKey,
    find_anomalies,
)

_LISTED = 10  # names listed in a message before "… and N more"


class StepError(ValueError):
    """An event the room's rules refuse, with what is missing or wrong."""


class Phase(StrEnum):
    SIGN_IN = "sign_in"
    CHAIR_ELECTION = "chair_election"
    QUALIFICATION = "qualification"
    PRELIMINARY = "preliminary"
    SCORING = "scoring"
    PRICE_SCORE = "price_score"
    RESULTS = "results"
    REPORT = "report"
    SIGNED = "signed"


PHASES = tuple(Phase)


# Which events each phase accepts; anything else is refused naming the phase.
ALLOWED: dict[Phase, tuple[type, ...]] = {
    Phase.SIGN_IN: (SignedIn, AvoidanceDeclared, MemberAbsent, AlternatesAdded, Advance),
    Phase.CHAIR_ELECTION: (ChairVote, Advance),
    Phase.QUALIFICATION: (Verdict, Advance),
    Phase.PRELIMINARY: (Verdict, Advance),
    Phase.SCORING: (
        ScoreGiven,
        SheetSubmitted,
        ScoresReturned,
        AnomalyConfirmed,
        AnomalyUnexplained,
        Advance,
    ),
    Phase.PRICE_SCORE: (PriceScoresComputed, ScoresReturned, Advance),
    Phase.RESULTS: (RankingPublished, ScoresReturned, Advance),
    Phase.REPORT: (ReportSigned, ScoresReturned, Advance),
    Phase.SIGNED: (),
}

# --- state -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replacement:
    member: str
    reason: str
    replaced_by: str | None  # None: no alternate was left (a vacancy)


@dataclass(frozen=True)
class Room:
    """The state of a room. Never mutated: every transition builds a new one (mappings are copied)."""

    phase: Phase
    members: tuple[str, ...]
    alternates: tuple[str, ...]
    bidders: tuple[str, ...]
    qualification_items: tuple[str, ...]
    preliminary_items: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    anomaly_limit: AnomalyLimit | None
    vacancies: int = 0
    bond_failures: Mapping[str, str] = field(default_factory=dict)  # bidder → why its bond failed
    replacements: tuple[Replacement, ...] = ()
    signed_in: frozenset[str] = frozenset()
    declared: frozenset[str] = frozenset()
    chair: str | None = None
    vote_round: int = 1
    ballot: tuple[str, ...] = ()  # who may be voted for in this round
    votes: Mapping[str, str] = field(default_factory=dict)
    verdicts: Mapping[tuple[Review, str, str, str], tuple[bool, str]] = field(default_factory=dict)
    out: Mapping[str, str] = field(default_factory=dict)  # bidder → reason
    scores: Mapping[tuple[str, str, str], Decimal] = field(default_factory=dict)
    submitted: frozenset[str] = frozenset()
    confirmations: Mapping[ScoreKey, tuple[Decimal, str]] = field(default_factory=dict)
    unexplained: frozenset[ScoreKey] = frozenset()
    credit: tuple[CreditEvent, ...] = ()
    returns: tuple[ScoresReturned, ...] = ()
    price_figures: Mapping[str, Decimal] | None = None
    benchmark: Decimal | None = None
    ranking: tuple[str, ...] | None = None
    signatures: frozenset[str] = frozenset()
    log: tuple[Event, ...] = ()

    @property
    def valid_bidders(self) -> tuple[str, ...]:
        """Bidders not out after qualification and preliminary review, in opening order."""
        return tuple(b for b in self.bidders if b not in self.out)

    @property
    def scored_criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.group in MEMBER_GROUPS)

    @property
    def sheets(self) -> dict[str, dict[str, dict[str, Decimal]]]:
        """member → bidder → criterion → score, for the scoring functions."""
        out: dict[str, dict[str, dict[str, Decimal]]] = {m: {} for m in self.members}
        for (member, bidder, criterion), value in self.scores.items():
            if member in out and bidder not in self.out:
                out[member].setdefault(bidder, {})[criterion] = value
        return out

    @property
    def anomalies(self) -> tuple[Anomaly, ...]:
        """Anomalies over the submitted sheets; empty until every member has submitted."""
        if self.anomaly_limit is None or not self.scored_criteria or set(self.members) - self.submitted:
            return ()
        found = find_anomalies(self.sheets, self.scored_criteria, self.valid_bidders, self.anomaly_limit)
        return tuple(found)

    @property
    def open_anomalies(self) -> tuple[Anomaly, ...]:
        """Anomalies neither confirmed (for the current score) nor marked unexplained."""
        return tuple(
            a
            for a in self.anomalies
            if a.key not in self.unexplained
            and not (a.key in self.confirmations and self.confirmations[a.key][0] == a.score)
        )

    @property
    def dropped(self) -> frozenset[ScoreKey]:
        """(member, bidder, criterion) scores that do not count: anomalies left unexplained."""
        keys: set[ScoreKey] = set()
        for member, bidder, unit in self.unexplained:
            if unit in MEMBER_GROUPS:
                keys.update((member, bidder, c.id) for c in self.scored_criteria if c.group == unit)
            else:
                keys.add((member, bidder, unit))
        return frozenset(keys)

    def score_history(self, member: str, bidder: str, criterion: str) -> tuple[Decimal, ...]:
        """Every value the member gave, in order (from the log)."""
        return tuple(
            e.value
            for e in self.log
            if isinstance(e, ScoreGiven) and (e.member, e.bidder, e.criterion) == (member, bidder, criterion)
        )


# --- helpers -----------------------------------------------------------------------------------------


def listed_names(items: Iterable[str]) -> str:
    items = list(items)
    shown = ", ".join(items[:_LISTED])
    return shown + (f" … and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def require_all_members(room: Room, done: Iterable[str], what: str) -> None:
    done = set(done)
    left = [m for m in room.members if m not in done]
    if left:
        raise StepError(f"{len(left)} of {len(room.members)} members have not {what}: {listed_names(left)}")


def require_member(room: Room, member: str) -> None:
    if member not in room.members:
        raise StepError(f"{member} is not a member of the committee")


def require_chair(room: Room, by: str, what: str) -> None:
    if room.chair is None or by != room.chair:
        raise StepError(f"only the chair ({room.chair or 'not elected'}) may {what}")


def require_reason(reason: str, what: str) -> None:
    if not reason.strip():
        raise StepError(f"{what} needs a reason")


def missing_scores(room: Room, members: Iterable[str]) -> list[str]:
    return [
        f"member {m} → bidder {b} criterion {c.id}"
        for m in members
        for b in room.valid_bidders
        for c in room.scored_criteria
        if (m, b, c.id) not in room.scores
    ]
